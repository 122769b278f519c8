package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.Pidfds;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The resolver's cache of processes inspected lately: an entry serves only the same live process running the
 * same executable, within its ttl, and never leaks a descriptor.
 */
@Tag("kernel")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RecentProcessesKernelTest {

    private static final long TTL = Duration.ofSeconds(1).toNanos();
    private static final Duration WAIT = Duration.ofSeconds(20);

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    private static ProcessInfo inspected(Process p) {
        return ProcessInfo.builder((int) p.pid()).exe(Children.exeOf(p.pid())).comm("sleep")
                .cmdline(List.of("sleep", "300")).startTime(1).complete(true).build();
    }

    @Test
    void servesOnlyTheSameLiveProcessRunningTheSameExecutableWithinTheTtl() throws Exception {
        long before = openDescriptors();
        try (Children children = new Children(); RecentProcesses recent = new RecentProcesses(TTL)) {
            Process p = children.sleeper();
            int pid = (int) p.pid();
            int pidfd = Pidfds.open(pid, false);
            assertTrue(pidfd >= 0);
            try {
                ProcessInfo info = inspected(p);
                String exe = info.exe();
                long now = System.nanoTime();
                recent.put(pid, pidfd, info, now);
                assertSame(info, recent.get(pid, exe, now + TTL - 1));

                assertNull(recent.get(pid, "/usr/bin/another", now), "another executable: the process exec'd");
                assertFalse(recent.has(pid), "a stale entry is dropped");

                recent.put(pid, pidfd, info, now);
                assertNull(recent.get(pid, exe, now + TTL + 1), "older than the ttl");

                recent.put(pid, pidfd, info, now);
                assertNull(recent.get(pid, null, now), "an exe that could not be read now proves nothing");

                recent.put(pid, pidfd, info.toBuilder().complete(false).build(), now);
                assertFalse(recent.has(pid), "an incomplete inspection is not kept");

                recent.put(pid, pidfd, info, now);
                Children.stop(p); // exited and reaped: the pid may be anyone's now
                assertNull(recent.get(pid, exe, now), "the process is gone");
            } finally {
                LinuxLibC.close(pidfd);
            }
        }
        assertTrue(openDescriptors() <= before, "descriptors before " + before + ", after " + openDescriptors());
    }

    @Test
    void isBoundedAndClosesWhatItDrops() throws Exception {
        long before = openDescriptors();
        try (Children children = new Children()) {
            Process p = children.sleeper();
            int pidfd = Pidfds.open((int) p.pid(), false);
            try (RecentProcesses recent = new RecentProcesses(TTL)) {
                ProcessInfo info = inspected(p);
                for (int key = 1; key <= RecentProcesses.MAX_ENTRIES + 50; key++) {
                    recent.put(1_000_000 + key, pidfd, info, System.nanoTime());
                    assertTrue(recent.size() <= RecentProcesses.MAX_ENTRIES);
                }
                assertEquals(RecentProcesses.MAX_ENTRIES, recent.size());
            } finally {
                LinuxLibC.close(pidfd);
            }
        }
        assertTrue(openDescriptors() <= before, "descriptors before " + before + ", after " + openDescriptors());
    }

    @Test
    void aTargetThatExecsAnotherProgramIsInspectedAgain() throws Exception {
        RecordingListener seen = new RecordingListener();
        try (Children children = new Children();
             FanotifyHostSource source = new FanotifyHostSource(FanotifySettings.from(GuardConfig.of(
                     KernelTestSupport.ownProcessesOnly())))) {
            source.start(seen);
            Process target = children.start("sh", "-c", "read line; exec sleep 300");
            Process first = children.start("cat", "/proc/" + target.pid() + "/environ", "-");
            EnvironAccess before = seen.awaitAccess("the first read", a -> a.reader().pid() == first.pid(), WAIT);
            assertEquals(Children.exeOf(target.pid()), before.target().exe());

            try (OutputStream in = target.getOutputStream()) {
                in.write('\n');
            }
            Children.await("the target to run sleep", () -> {
                String exe = Children.exeOf(target.pid());
                return exe != null && exe.endsWith("/sleep");
            }, WAIT);
            Process second = children.start("cat", "/proc/" + target.pid() + "/environ", "-");
            EnvironAccess after = seen.awaitAccess("the second read", a -> a.reader().pid() == second.pid(), WAIT);
            assertTrue(after.target().exe().endsWith("/sleep"), after.target().toString());
            assertEquals(List.of("sleep", "300"), after.target().cmdline());
            assertEquals("sleep", after.target().comm());
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
