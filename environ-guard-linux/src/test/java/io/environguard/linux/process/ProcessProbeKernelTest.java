package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.Pidfds;
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
 * ended; a zombie (its parent never waits for it) and a reaped process have (their arguments are gone). And
 * {@link ProcessProbe#namespaces(int, int)}: through a pidfd it reads the same namespaces as the
 * {@code /proc/<pid>/ns} links, new ones included, and nothing once the process has exited, even when its pid
 * names another process by then.
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

    @Test
    void namespacesThroughAPidfdAreTheOnesTheProcLinksNameAndNoneOnceTheProcessHasExited() throws Exception {
        ProcessProbe probe = ProcessProbe.host(PROC, ContainerIds.forHost(PROC), ProcessInspector.BeforeOpen.NONE);
        // One process in this test's namespaces, one in new mount and pid namespaces (unshare forks: sleep is pid 1
        // of the new pid namespace, a child of unshare).
        Process same = new ProcessBuilder("sleep", "30").start();
        Process unshare = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "sleep", "30").start();
        int samePidfd = -1;
        int newPidfd = -1;
        try {
            int inner = awaitChild((int) unshare.pid(), "sleep");
            samePidfd = probe.openPidfd((int) same.pid());
            newPidfd = probe.openPidfd(inner);
            assertTrue(samePidfd >= 0 && newPidfd >= 0, "pidfds of both");
            int nsfd = Pidfds.namespace(samePidfd, Pidfds.PIDFD_GET_MNT_NAMESPACE);
            assertTrue(nsfd >= 0, "this kernel (6.11+) has the pidfd namespace ioctls: " + Errno.describe(-nsfd));
            LinuxLibC.close(nsfd);
            long[] own = {linkInode("self", "mnt"), linkInode("self", "pid")};
            long[] inNew = {linkInode(Integer.toString(inner), "mnt"), linkInode(Integer.toString(inner), "pid")};
            assertNotEquals(own[0], inNew[0], "unshare made a new mount namespace");
            assertNotEquals(own[1], inNew[1], "and a new pid namespace");
            assertArrayEquals(own, probe.namespaces((int) same.pid(), samePidfd), "through the pidfd: this test's");
            assertArrayEquals(inNew, probe.namespaces(inner, newPidfd), "through the pidfd: the new ones");
            assertArrayEquals(own, probe.namespaces((int) same.pid()), "through the links: this test's");
            assertArrayEquals(inNew, probe.namespaces(inner), "through the links: the new ones");
            same.destroyForcibly();
            assertTrue(same.waitFor(10, TimeUnit.SECONDS));
            assertArrayEquals(new long[] {-1, -1}, probe.namespaces((int) same.pid(), samePidfd),
                    "a reaped process has none, whoever holds its pid now");
        } finally {
            same.destroyForcibly();
            unshare.destroyForcibly();
            if (samePidfd >= 0) {
                LinuxLibC.close(samePidfd);
            }
            if (newPidfd >= 0) {
                LinuxLibC.close(newPidfd);
            }
        }
    }

    private static long linkInode(String pid, String kind) throws Exception {
        return ProcessProbe.namespaceInode(Files.readSymbolicLink(PROC.resolve(pid + "/ns/" + kind)).toString());
    }

    /** The child of {@code parent} named {@code comm}, bounded in time. */
    private static int awaitChild(int parent, String comm) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Path children = PROC.resolve(parent + "/task/" + parent + "/children");
            for (String p : Files.readString(children).trim().split("\\s+")) {
                if (!p.isEmpty() && Files.readString(PROC.resolve(p + "/comm")).trim().equals(comm)) {
                    return Integer.parseInt(p);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no child " + comm + " of " + parent + " within 10 s");
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
