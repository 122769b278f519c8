package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The getdents64 listing agrees with java.nio's, as threads come and go. */
class TaskDirectoryTest {

    private static int[] nio(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return s.mapToInt(p -> Integer.parseInt(p.getFileName().toString())).sorted().toArray();
        }
    }

    @Test
    void listsThisJvmsThreadsAsNioDoes() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        CountDownLatch release = new CountDownLatch(1);
        try (TaskDirectory dir = TaskDirectory.open(self)) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 40; i++) {
                    Thread t = new Thread(() -> {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                }
                // Other JVM threads may come and go between the two listings: retry a few times.
                int[] ours = dir.list();
                int[] theirs = nio(self);
                for (int retry = 0; retry < 20 && !java.util.Arrays.equals(ours, theirs); retry++) {
                    ours = dir.list();
                    theirs = nio(self);
                }
                assertArrayEquals(theirs, ours);
                int count = dir.count();
                for (int retry = 0; retry < 20 && count != dir.list().length; retry++) {
                    count = dir.count();
                }
                assertEquals(dir.list().length, count, "the link count is the thread count");
                assertTrue(ours.length >= 40 * (round + 1));
                assertTrue(java.util.Arrays.stream(ours).anyMatch(t -> t == self));
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    void aProcessThatIsGoneHasNoThreads() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        TaskDirectory dir = TaskDirectory.open((int) p.pid());
        try {
            assertEquals(1, dir.list().length);
            assertEquals(1, dir.count());
            p.destroyForcibly();
            p.waitFor();
            assertEquals(0, dir.list().length);
        } finally {
            dir.close();
            p.destroyForcibly();
        }
    }
}
