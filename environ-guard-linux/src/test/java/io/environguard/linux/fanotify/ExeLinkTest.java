package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reader's exe link that the kernel-read thread sets after queueing the open, and the resolver waits for. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ExeLinkTest {

    @Test
    void aLinkSetLaterOnAnotherThreadIsWhatTheWaiterGets() throws InterruptedException {
        RawAccess.ExeLink link = new RawAccess.ExeLink();
        Thread setter = new Thread(() -> {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            link.set("/usr/bin/cat");
        });
        setter.start();
        assertEquals("/usr/bin/cat", link.await());
        setter.join();
    }

    @Test
    void aLinkThatCouldNotBeReadIsNull() {
        assertNull(RawAccess.ExeLink.of(null).await());
        assertEquals("/bin/sh", RawAccess.ExeLink.of("/bin/sh").await());
    }

    @Test
    void aLinkNeverSetEndsTheWaitWithNull() {
        long start = System.nanoTime();
        assertNull(new RawAccess.ExeLink().await());
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waited >= 40 && waited < 5_000, "waited " + waited + " ms");
    }
}
