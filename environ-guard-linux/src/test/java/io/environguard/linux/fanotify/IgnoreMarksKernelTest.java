package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.GuardConfig;
import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import java.io.FileInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ignore marks on the real kernel: the files they go on, the files they must never go on (environ and mem,
 * through every alias), their scope and their budget. What a group has marked is read from its fdinfo.
 * Only files of processes this test started (and of this JVM) are ever marked.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IgnoreMarksKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Children children = new Children();
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closeLater) {
            c.close();
        }
        children.close();
    }

    private FanotifyHostSource start(RecordingListener listener) throws IOException {
        FanotifyHostSource source = new FanotifyHostSource(FanotifySettings.from(GuardConfig.of(
                KernelTestSupport.ownProcessesOnly())));
        closeLater.add(source);
        source.start(listener);
        return source;
    }

    private FanotifyGroup procGroup() throws Exception {
        FanotifyGroup group = FanotifyGroup.open(FanotifySupport.get().initFlags());
        closeLater.add(group);
        assertEquals(0, group.markFilesystemOpen("/proc"));
        return group;
    }

    /** The device of the host's {@code /proc}, as {@link FdInspector#device()} packs it. */
    static long procDevice() {
        FdInspector fds = new FdInspector();
        assertEquals(0, fds.stat("/proc"));
        return fds.device();
    }

    private static void openAndClose(String file) throws IOException {
        try (FileInputStream in = new FileInputStream(file)) {
            in.read();
        }
    }

    @Test
    void uninterestingFilesAreMarkedAndEnvironAndMemNeverAre() throws Exception {
        RecordingListener seen = new RecordingListener();
        FanotifyHostSource source = start(seen);
        Process target = children.threaded();
        long pid = target.pid();
        int thread = Children.tasks(pid).stream().filter(t -> t != pid).findFirst().orElseThrow();

        // A file this JVM opens is marked once the kernel-read thread has seen its open.
        String status = "/proc/" + pid + "/status";
        openAndClose(status);
        Children.await("an ignore mark on " + status,
                () -> GroupMarks.ignoredOpens(source.groupFd()).contains(GroupMarks.inode(status)), WAIT);

        // Every alias of environ and mem, opened again and again, is an access every time and never marked.
        List<String> aliases = List.of("/proc/" + pid + "/environ", "/proc/" + pid + "/task/" + thread + "/environ",
                "/proc/" + thread + "/environ", "/proc/" + pid + "/mem", "/proc/" + pid + "/task/" + thread + "/mem");
        for (int round = 0; round < 3; round++) {
            for (String alias : aliases) {
                Process cat = children.start("cat", alias, "-");
                seen.awaitAccess(alias + " by " + cat.pid(),
                        a -> a.reader().pid() == cat.pid() && a.path().equals(alias), WAIT);
                Children.stop(cat);
            }
        }
        Set<Long> ignored = GroupMarks.ignoredOpens(source.groupFd());
        for (String alias : aliases) {
            assertFalse(ignored.contains(GroupMarks.inode(alias)), alias + " carries an ignore mark");
        }
        // The resolver marked what it read of the target before reading it: its own reads made no events.
        assertTrue(ignored.contains(GroupMarks.inode("/proc/" + pid + "/cmdline")), "the target's cmdline is not marked");
        assertTrue(ignored.contains(GroupMarks.inode("/proc/" + pid + "/stat")), "the target's stat is not marked");
    }

    @Test
    void environAndMemModesAreLearnedSoMostEventsNeedNoPath() throws Exception {
        FanotifyGroup group = procGroup();
        KernelReader reader = new KernelReader(group, -1, new ArrayBlockingQueue<>(1), 1, null, "/proc", 0, true);
        assertTrue(reader.filtersByMode(), "the modes of /proc/self/environ and /proc/self/mem could not be read");
        // The filter keys on these modes: every alias of environ and mem must have them, other files not.
        Process target = children.threaded();
        long pid = target.pid();
        int thread = Children.tasks(pid).stream().filter(t -> t != pid).findFirst().orElseThrow();
        FdInspector fds = new FdInspector();
        assertEquals(0, fds.stat("/proc/self/environ"));
        int environ = fds.mode();
        assertEquals(0, fds.stat("/proc/self/mem"));
        int mem = fds.mode();
        for (String alias : List.of(pid + "/environ", pid + "/task/" + thread + "/environ", thread + "/environ")) {
            assertEquals(0, fds.stat("/proc/" + alias));
            assertEquals(environ, fds.mode(), alias);
        }
        for (String alias : List.of(pid + "/mem", pid + "/task/" + thread + "/mem", thread + "/mem")) {
            assertEquals(0, fds.stat("/proc/" + alias));
            assertEquals(mem, fds.mode(), alias);
        }
        for (String other : List.of("stat", "status", "cmdline", "cgroup", "comm", "maps")) {
            assertEquals(0, fds.stat("/proc/" + pid + "/" + other));
            assertTrue(fds.mode() != environ && fds.mode() != mem, other + " has the mode of environ or mem");
        }
    }

    @Test
    void onlyFilesOfTheScopeAreMarked() throws Exception {
        FanotifyGroup group = procGroup();
        Process inside = children.sleeper();
        Process outside = children.sleeper();
        IgnoreMarks marks = new IgnoreMarks(group, 1000, (int) inside.pid(), procDevice());
        assertTrue(marks.needsPath());

        marks.beforeRead((int) inside.pid(), -1, "/proc/" + inside.pid() + "/stat");
        marks.beforeRead((int) outside.pid(), -1, "/proc/" + outside.pid() + "/stat");
        afterEvent(marks, "/proc/" + inside.pid() + "/status");
        afterEvent(marks, "/proc/" + outside.pid() + "/status");
        afterEvent(marks, "/proc/meminfo");

        Set<Long> ignored = GroupMarks.ignoredOpens(group.fd());
        assertTrue(ignored.contains(GroupMarks.inode("/proc/" + inside.pid() + "/stat")));
        assertTrue(ignored.contains(GroupMarks.inode("/proc/" + inside.pid() + "/status")));
        assertFalse(ignored.contains(GroupMarks.inode("/proc/meminfo")), "within a scope, a file of no process is not");
        assertFalse(ignored.contains(GroupMarks.inode("/proc/" + outside.pid() + "/stat")));
        assertFalse(ignored.contains(GroupMarks.inode("/proc/" + outside.pid() + "/status")));
        assertEquals(2, marks.placed());
    }

    /** Opens {@code file} and hands the descriptor to {@code marks} the way the kernel-read thread does. */
    private static void afterEvent(IgnoreMarks marks, String file) {
        int fd = LinuxLibC.open(file, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        assertTrue(fd >= 0, file);
        try {
            FdInspector fds = new FdInspector();
            int n = fds.readFdLink(fd);
            assertTrue(n > 0);
            long device = fds.deviceOf(fd);
            n = fds.readFdLink(fd);
            marks.afterEvent(fd, device, fds.linkBytes(), n);
        } finally {
            LinuxLibC.close(fd);
        }
    }

    @Test
    void theBudgetFlushesTheMarksAndMarkingGoesOn() throws Exception {
        FanotifyGroup group = procGroup();
        Process target = children.sleeper();
        String dir = "/proc/" + target.pid() + "/";
        IgnoreMarks marks = new IgnoreMarks(group, 2, (int) target.pid(), procDevice());
        int generation = marks.generation();
        marks.beforeRead((int) target.pid(), -1, dir + "stat");
        marks.beforeRead((int) target.pid(), -1, dir + "cmdline"); // the second mark reaches the budget
        assertEquals(1, marks.flushes());
        assertTrue(marks.generation() != generation, "a flush must tell caches of marked inodes");
        assertTrue(GroupMarks.ignoredOpens(group.fd()).isEmpty(), "the flush left marks behind");
        marks.beforeRead((int) target.pid(), -1, dir + "status");
        assertEquals(Set.of(GroupMarks.inode(dir + "status")), GroupMarks.ignoredOpens(group.fd()));
        assertEquals(3, marks.placed());
        assertTrue(marks.active());
        // The filesystem mark survived the flush: an environ open is still an event.
        assertTrue(marks.degradation().isEmpty());
    }

    @Test
    void aZeroBudgetPlacesNoneAndSaysSo() throws Exception {
        FanotifyGroup group = procGroup();
        Process target = children.sleeper();
        IgnoreMarks marks = new IgnoreMarks(group, 0, 0, procDevice());
        marks.beforeRead((int) target.pid(), -1, "/proc/" + target.pid() + "/stat");
        assertFalse(marks.active());
        assertTrue(GroupMarks.ignoredOpens(group.fd()).isEmpty());
        assertTrue(marks.degradation().orElseThrow().contains(FanotifySettings.IGNORE_MARKS + "=0"));
        assertEquals(0, marks.placed());
    }

    @Test
    void theSourceSaysInItsCoverageWhenMarksAreOff() throws Exception {
        FanotifyHostSource source = new FanotifyHostSource(FanotifySettings.from(GuardConfig.of(
                KernelTestSupport.ownProcessesOnly(Map.of(FanotifySettings.IGNORE_MARKS, "0")))));
        closeLater.add(source);
        source.start(new RecordingListener());
        assertTrue(source.coverage().blindSpots().stream().anyMatch(b -> b.contains("ignore marks are off")),
                source.coverage().toString());
    }
}
