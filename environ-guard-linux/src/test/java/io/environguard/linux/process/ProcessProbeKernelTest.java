package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.ProcessInspector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ProcessProbe#ended} against the real kernel, on processes this test starts: a running process has not
 * ended; a zombie (its parent never waits for it) and a reaped process have (their arguments are gone).
 */
@Tag("kernel")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessProbeKernelTest {

    private static final Path PROC = Path.of("/proc");

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void aRunningProcessHasNotEndedAZombieAndAReapedOneHave() throws Exception {
        ProcessProbe probe = ProcessProbe.host(PROC, ContainerIds.forHost(PROC), ProcessInspector.BeforeOpen.NONE);
        assertFalse(probe.ended(-1), "no pidfd: cannot be told");
        // The inner sleep's parent becomes the outer sleep, which never waits: the inner one stays a zombie.
        Process outer = new ProcessBuilder("sh", "-c", "sleep 0.2 & exec sleep 30").start();
        int running = -1;
        int zombie = -1;
        try {
            running = probe.openPidfd((int) outer.pid());
            assertTrue(running >= 0, "pidfd of the running process");
            int inner = awaitZombieChild((int) outer.pid());
            zombie = probe.openPidfd(inner);
            assertTrue(zombie >= 0, "pidfd of the zombie");
            assertFalse(probe.ended(running), "running");
            assertTrue(probe.ended(zombie), "a zombie has ended");
            outer.destroyForcibly();
            assertTrue(outer.waitFor(10, TimeUnit.SECONDS));
            assertTrue(probe.ended(running), "reaped");
        } finally {
            outer.destroyForcibly();
            if (running >= 0) {
                LinuxLibC.close(running);
            }
            if (zombie >= 0) {
                LinuxLibC.close(zombie);
            }
        }
    }

    /** The child of {@code parent} once it is a zombie (state Z in its stat), bounded in time. */
    private static int awaitZombieChild(int parent) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Path children = PROC.resolve(parent + "/task/" + parent + "/children");
            List<String> pids = List.of(Files.readString(children).trim().split("\\s+"));
            for (String p : pids) {
                if (p.isEmpty()) {
                    continue;
                }
                String stat = Files.readString(PROC.resolve(p + "/stat"));
                if (stat.charAt(stat.lastIndexOf(')') + 2) == 'Z') {
                    return Integer.parseInt(p);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no zombie child of " + parent + " within 10 s");
    }
}
