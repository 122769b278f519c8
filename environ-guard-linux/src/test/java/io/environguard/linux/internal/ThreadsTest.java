package io.environguard.linux.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The one stop-and-join: a thread that ends is joined, one that waits is interrupted, one that will not stop is reported. */
class ThreadsTest {

    @Test
    void aThreadThatEndsIsJoined() throws Exception {
        Thread t = new Thread(() -> { });
        t.start();
        assertTrue(Threads.join(t, 5_000));
        assertTrue(Threads.join(null, 1), "a thread that never started has ended");
    }

    @Test
    void aThreadWaitingUntilInterruptedIsInterrupted() {
        CountDownLatch never = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                // told to stop
            }
        });
        t.start();
        assertTrue(Threads.join(t, 50));
    }

    @Test
    void aThreadThatIgnoresInterruptsIsReportedAndTheCallersInterruptIsKept() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    if (release.await(10, TimeUnit.SECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    // ignored on purpose
                }
            }
        });
        t.setDaemon(true);
        t.start();
        try {
            assertFalse(Threads.join(t, 20));
            Thread.currentThread().interrupt();
            assertFalse(Threads.join(t, 20));
            assertTrue(Thread.interrupted(), "the caller's interrupt is kept");
        } finally {
            release.countDown();
            t.join(10_000);
        }
    }
}
