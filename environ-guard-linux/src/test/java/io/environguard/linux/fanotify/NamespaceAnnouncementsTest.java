package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PollSet;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hand-over of announced namespaces from any thread to the mounts thread: coalesced, bounded, never lost. */
class NamespaceAnnouncementsTest {

    private static boolean readable(NamespaceAnnouncements a) {
        PollSet poll = new PollSet(1);
        poll.watch(0, a.fd(), LinuxLibC.POLLIN);
        return poll.await(0) > 0;
    }

    @Test
    void aBurstIsOneSignalAndOneEntryPerNamespaceWithTheLatestPid() throws IOException {
        try (NamespaceAnnouncements a = NamespaceAnnouncements.create()) {
            assertTrue(!readable(a));
            a.announce(100, 4026532175L);
            a.announce(101, 4026532175L);
            a.announce(200, 4026532176L);
            assertTrue(readable(a));
            assertEquals(Map.of(4026532175L, 101, 4026532176L, 200), a.drain());
            assertTrue(!readable(a), "drained");
            assertEquals(Map.of(), a.drain());
            assertEquals(3, a.announced());
        }
    }

    @Test
    void impossibleValuesAreIgnoredAndNothingIsTakenAfterClose() throws IOException {
        NamespaceAnnouncements a = NamespaceAnnouncements.create();
        a.announce(0, 4026532175L);
        a.announce(-5, 4026532175L);
        a.announce(100, 0);
        assertEquals(Map.of(), a.drain());
        a.close();
        a.announce(100, 4026532175L); // a caller racing with close: no write to a closed descriptor
        assertEquals(0, a.announced());
    }

    @Test
    void beyondTheBoundAnnouncementsAreCountedAsDropped() throws IOException {
        try (NamespaceAnnouncements a = NamespaceAnnouncements.create()) {
            for (int i = 0; i < NamespaceAnnouncements.MAX_PENDING + 10; i++) {
                a.announce(1000 + i, 1_000_000L + i);
            }
            a.announce(7, 1_000_000L); // a namespace already waiting is still updated
            assertEquals(10, a.dropped());
            Map<Long, Integer> taken = a.drain();
            assertEquals(NamespaceAnnouncements.MAX_PENDING, taken.size());
            assertEquals(7, taken.get(1_000_000L));
        }
    }

    @Test
    void announcementsFromManyThreadsAreAllTakenWhileTheConsumerDrains() throws Exception {
        int threads = 4;
        int perThread = 1_000; // 4,000 namespaces in all: under the bound, so none may be dropped
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (NamespaceAnnouncements a = NamespaceAnnouncements.create()) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> producers = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * perThread;
                producers.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        a.announce(1 + base + i, 10_000L + base + i);
                    }
                    return null;
                }));
            }
            Map<Long, Integer> taken = new HashMap<>();
            PollSet poll = new PollSet(1);
            poll.watch(0, a.fd(), LinuxLibC.POLLIN);
            go.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (taken.size() < threads * perThread && System.nanoTime() < deadline) {
                // The consumer's loop: wait for the signal, then drain; an announcement is never stranded.
                if (poll.await(100) > 0) {
                    taken.putAll(a.drain());
                }
            }
            for (Future<?> f : producers) {
                f.get(30, TimeUnit.SECONDS);
            }
            if (poll.await(0) > 0) {
                taken.putAll(a.drain());
            }
            assertEquals(threads * perThread, taken.size());
            for (Map.Entry<Long, Integer> e : taken.entrySet()) {
                assertEquals(e.getKey() - 10_000L + 1, (long) e.getValue());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
