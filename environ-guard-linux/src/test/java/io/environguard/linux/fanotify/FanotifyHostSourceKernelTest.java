package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.ProcFile;
import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.proc.ProcessInspector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fanotify host source against the real kernel: every alias of a target's environ, opened by readers
 * this test starts, must arrive as an access naming the right target process, reader pid and reader exe.
 * Foreign readers exist on this machine, so accesses are matched by the pids started here.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FanotifyHostSourceKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Children children = new Children();
    private final List<FanotifyHostSource> sources = new ArrayList<>();
    private final List<Path> mounts = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @AfterEach
    void cleanUp() throws IOException {
        try {
            children.close();
        } finally {
            sources.forEach(FanotifyHostSource::close);
            for (Path m : mounts) {
                unmount(m);
            }
            for (Path d : dirs) {
                Files.deleteIfExists(d);
            }
        }
    }

    private RecordingListener start(Map<String, String> config) throws IOException {
        return start(config, new RecordingListener());
    }

    private <L extends RecordingListener> L start(Map<String, String> config, L listener) throws IOException {
        FanotifyHostSource source = new FanotifyHostSource(FanotifySettings.from(GuardConfig.of(
                KernelTestSupport.ownProcessesOnly(config))));
        sources.add(source);
        source.start(listener);
        return listener;
    }

    private RecordingListener start() throws IOException {
        return start(Map.of());
    }

    private static Predicate<EnvironAccess> by(Process reader, Process target) {
        return a -> a.reader().pid() == reader.pid() && a.target().pid() == target.pid();
    }

    /** Starts {@code cat <path> -}: it opens the file, then blocks on its stdin until the test closes it. */
    private Process holdingCat(String path) {
        return children.start("cat", path, "-");
    }

    private static void assertReaderIs(EnvironAccess access, Process reader, String exeName) {
        assertEquals(reader.pid(), access.reader().pid());
        String exe = Children.exeOf(reader.pid()); // the reader is still alive: its exe is readable here too
        assertNotNull(exe, "reader " + reader.pid() + " is alive");
        assertEquals(exe, access.reader().exe());
        assertTrue(exe.endsWith("/" + exeName), exe);
        assertNotNull(access.reader().comm(), access.toString());
        assertTrue(access.reader().startTime() > 0, access.toString());
        assertFalse(access.reader().ancestors().isEmpty(), "the reader's lineage: " + access);
        assertEquals(access.reader().ppid(), access.reader().ancestors().get(0).pid(), "the first ancestor is the parent");
        // Everything is known, but for a command line whose read (queued at the reader's exec, off the alert's
        // path) was not done yet; a note says so.
        assertTrue(access.reader().complete() || access.notes().stream().anyMatch(n -> n.contains("command line had"
                + " not been read yet")), access.toString());
    }

    @Test
    void plainPath() throws IOException {
        RecordingListener seen = start();
        Process target = children.sleeper();
        Process cat = holdingCat("/proc/" + target.pid() + "/environ");
        EnvironAccess a = seen.awaitAccess("by cat of the sleeper", by(cat, target), WAIT);
        assertEquals(AliasKind.PROCESS, a.alias());
        assertEquals(ProcFile.ENVIRON, a.file());
        assertEquals("/proc/" + target.pid() + "/environ", a.path());
        assertEquals("fanotify", a.source());
        assertEquals(Children.exeOf(target.pid()), a.target().exe());
        assertTargetKnown(a);
        assertReaderIs(a, cat, "cat");
        assertEquals(ProcessHandle.current().pid(), a.reader().ppid());
        assertFalse(a.isSelfRead());
    }

    /** The public counters: every /proc open that reached the guard is a kernel event read; the queue drains. */
    @Test
    void metricsCountKernelEventsAndShowTheResolverQueue() throws IOException {
        RecordingListener seen = start();
        FanotifyHostSource source = sources.get(0);
        Map<String, Long> before = source.metrics();
        // The source's own counters, among the process table's (README lists them all).
        assertTrue(before.keySet().containsAll(Set.of(GuardStats.KERNEL_EVENTS_READ, GuardStats.RESOLVER_QUEUE_DEPTH,
                GuardStats.RESOLVER_QUEUE_CAPACITY, "process_table_live", "process_events_read")), before.toString());
        assertEquals(16384L, before.get(GuardStats.RESOLVER_QUEUE_CAPACITY));
        Process target = children.sleeper();
        Process cat = holdingCat("/proc/" + target.pid() + "/environ");
        seen.awaitAccess("by cat of the sleeper", by(cat, target), WAIT);
        Map<String, Long> after = source.metrics();
        assertTrue(after.get(GuardStats.KERNEL_EVENTS_READ) > before.get(GuardStats.KERNEL_EVENTS_READ),
                "the open of the sleeper's environ was read from the kernel: " + before + " then " + after);
        assertTrue(after.get(GuardStats.RESOLVER_QUEUE_DEPTH) >= 0
                && after.get(GuardStats.RESOLVER_QUEUE_DEPTH) <= 16384, after.toString());
    }

    /**
     * The reader and the target are inspected pinned by pidfds (fewer /proc reads): what the access carries must
     * still be everything a full inspection of the two live processes shows.
     */
    @Test
    void readerAndTargetDetailsAreWhatProcShows() throws IOException {
        RecordingListener seen = start();
        Process target = children.sleeper();
        Process cat = holdingCat("/proc/" + target.pid() + "/environ");
        EnvironAccess a = seen.awaitAccess("by cat of the sleeper", by(cat, target), WAIT);
        ProcessInspector proc = new ProcessInspector(Path.of("/proc"));
        for (var pair : List.of(List.of(proc.inspect((int) cat.pid()), a.reader()),
                List.of(proc.inspect((int) target.pid()), a.target()))) {
            ProcessInfo inspected = pair.get(0);
            ProcessInfo fromTable = pair.get(1);
            assertEquals(inspected.pid(), fromTable.pid());
            assertEquals(inspected.ppid(), fromTable.ppid());
            assertEquals(inspected.uid(), fromTable.uid());
            assertEquals(inspected.gid(), fromTable.gid());
            assertEquals(inspected.comm(), fromTable.comm());
            assertEquals(inspected.exe(), fromTable.exe());
            assertEquals(inspected.containerId(), fromTable.containerId());
            assertEquals(inspected.startTime(), fromTable.startTime(), "the exact start time: " + fromTable);
            if (fromTable.complete()) {
                assertEquals(inspected.cmdline(), fromTable.cmdline());
            }
            assertEquals(ProcessHandle.current().pid(), fromTable.ancestors().get(0).pid(), "parent: this JVM");
        }
    }

    @Test
    void taskPathOfANonMainThread() throws IOException {
        RecordingListener seen = start();
        Process target = children.threaded();
        int thread = Children.tasks(target.pid()).stream().filter(t -> t != target.pid()).findFirst().orElseThrow();
        Process cat = holdingCat("/proc/" + target.pid() + "/task/" + thread + "/environ");
        EnvironAccess a = seen.awaitAccess("through the task path", by(cat, target), WAIT);
        assertEquals(AliasKind.TASK, a.alias());
        assertEquals(thread, a.target().tid());
        assertReaderIs(a, cat, "cat");
    }

    @Test
    void bareThreadIdPath() throws IOException {
        RecordingListener seen = start();
        Process target = children.threaded();
        int thread = Children.tasks(target.pid()).stream().filter(t -> t != target.pid()).findFirst().orElseThrow();
        Process cat = holdingCat("/proc/" + thread + "/environ");
        EnvironAccess a = seen.awaitAccess("through the thread id", by(cat, target), WAIT);
        assertEquals(AliasKind.THREAD, a.alias());
        assertEquals("/proc/" + thread + "/environ", a.path());
        assertEquals(thread, a.target().tid());
        assertReaderIs(a, cat, "cat");
    }

    @Test
    void symlinkToTheProcessDirectory() throws IOException {
        RecordingListener seen = start();
        Process target = children.sleeper();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "eg-link");
        Path link = dir.resolve("p");
        dirs.add(link);
        dirs.add(dir);
        Files.createSymbolicLink(link, Path.of("/proc/" + target.pid()));
        Process cat = holdingCat(link + "/environ");
        EnvironAccess a = seen.awaitAccess("through a symlink", by(cat, target), WAIT);
        assertEquals(AliasKind.PROCESS, a.alias());
        assertEquals("/proc/" + target.pid() + "/environ", a.path(), "the kernel reports the resolved path");
        assertReaderIs(a, cat, "cat");
    }

    @Test
    void openatWithADirectoryDescriptor() throws IOException {
        RecordingListener seen = start();
        Process target = children.sleeper();
        Process python = children.start(Children.PYTHON, "-c", "import os, sys\n"
                + "d = os.open('/proc/' + sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
                + "os.open('environ', os.O_RDONLY, dir_fd=d)\n"
                + "sys.stdin.read()\n", Long.toString(target.pid()));
        EnvironAccess a = seen.awaitAccess("through openat", by(python, target), WAIT);
        assertEquals(AliasKind.PROCESS, a.alias());
        assertReaderIs(a, python, Path.of(Children.exeOf(python.pid())).getFileName().toString());

        Process sh = children.start("sh", "-c", "cd /proc/" + target.pid() + " && exec cat environ -");
        EnvironAccess relative = seen.awaitAccess("through chdir and a relative path", by(sh, target), WAIT);
        assertEquals(AliasKind.PROCESS, relative.alias());
        assertReaderIs(relative, sh, "cat");
    }

    @Test
    void bindMountOfProcMadeAfterStart() throws IOException {
        RecordingListener seen = start();
        Process target = children.sleeper();
        Path dir = mount("--bind", "/proc");
        Process cat = holdingCat(dir + "/" + target.pid() + "/environ");
        EnvironAccess a = seen.awaitAccess("through a bind mount", by(cat, target), WAIT);
        assertEquals(AliasKind.PROCESS, a.alias(), "same superblock, same pids: " + a);
        assertEquals(dir + "/" + target.pid() + "/environ", a.path());
        assertReaderIs(a, cat, "cat");
    }

    @Test
    void secondProcMountMadeAfterStart() throws IOException {
        RecordingListener seen = start();
        FanotifyHostSource source = sources.get(0);
        Process target = children.sleeper();
        Path dir = mount("-t", "proc", "proc");
        String device = deviceOf(dir);
        assertNotEquals(deviceOf(Path.of("/proc")), device, "a new procfs instance");
        Children.await("a mark on " + dir, () -> source.coverage().watching().stream()
                .anyMatch(w -> w.contains(device) && w.contains(dir.toString())), WAIT);
        Process cat = holdingCat(dir + "/" + target.pid() + "/environ");
        EnvironAccess a = seen.awaitAccess("through a second proc mount", by(cat, target), WAIT);
        assertEquals(AliasKind.OTHER_PROC_MOUNT, a.alias());
        assertTrue(a.notes().stream().anyMatch(n -> n.contains(device)), a.notes().toString());
        assertReaderIs(a, cat, "cat");
    }

    @Test
    void procOfAContainerWithItsOwnMountAndPidNamespace() throws IOException {
        RecordingListener seen = start(Map.of(FanotifySettings.RESCAN_INTERVAL, "200ms"));
        FanotifyHostSource source = sources.get(0);
        // A minimal container: new mount and pid namespaces with their own /proc; sleep is pid 1 there.
        Process unshare = children.start("unshare", "--mount", "--pid", "--fork", "--mount-proc", "sleep", "300");
        int[] sleep = new int[1];
        Children.await("the container's pid 1", () -> {
            List<Integer> kids = Children.childrenOf(unshare.pid());
            String exe = kids.isEmpty() ? null : Children.exeOf(kids.get(0));
            sleep[0] = kids.isEmpty() ? 0 : kids.get(0);
            return exe != null && exe.endsWith("/sleep");
        }, WAIT);
        String mountNamespace = Files.readSymbolicLink(Path.of("/proc/" + sleep[0] + "/ns/mnt")).toString();
        Children.await("a mark on the container's /proc", () -> source.instances().byDevice().values().stream()
                .anyMatch(i -> mountNamespace.equals(i.mountNamespace()) && i.marked()), WAIT);
        Process nsenter = children.start("nsenter", "-t", Integer.toString(sleep[0]), "-m", "-p",
                "cat", "/proc/1/environ", "-");
        int[] cat = new int[1];
        Children.await("cat inside the container", () -> {
            List<Integer> kids = Children.childrenOf(nsenter.pid());
            String exe = kids.isEmpty() ? null : Children.exeOf(kids.get(0));
            cat[0] = kids.isEmpty() ? 0 : kids.get(0);
            return exe != null && exe.endsWith("/cat");
        }, WAIT);
        EnvironAccess a = seen.awaitAccess("inside the container",
                x -> x.reader().pid() == cat[0] && x.path().equals("/proc/1/environ")
                        && x.alias() == AliasKind.OTHER_PROC_MOUNT, WAIT);
        assertEquals(sleep[0], a.target().pid(), "the container's pid 1 mapped to this namespace: " + a);
        assertEquals(Children.exeOf(sleep[0]), a.target().exe());
        assertEquals(Children.exeOf(cat[0]), a.reader().exe());
        assertEquals(nsenter.pid(), a.reader().ppid());
        assertTrue(a.notes().stream().anyMatch(n -> n.contains("is pid " + sleep[0] + " here")), a.notes().toString());
        assertFalse(a.isSelfRead());
    }

    @Test
    void targetThatExitsRightAfterBeingRead() throws IOException, InterruptedException {
        // Hold the resolver on a first access so that the target is gone when its access is resolved.
        CountDownLatch release = new CountDownLatch(1);
        Process decoy = children.sleeper();
        BlockingListener seen = start(Map.of(), new BlockingListener(a -> a.target().pid() == decoy.pid(), release));
        Process first = children.start("cat", "/proc/" + decoy.pid() + "/environ");
        assertTrue(seen.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the resolver is held");
        Process target = children.sleeper();
        Process cat = children.start("cat", "/proc/" + target.pid() + "/environ");
        assertTrue(cat.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        Children.stop(target);
        release.countDown();
        Optional<EnvironAccess> access = RecordingListener.poll(
                () -> seen.accesses.stream().filter(by(cat, target)).findFirst(), WAIT);
        if (access.isPresent()) {
            EnvironAccess a = access.get();
            assertFalse(a.target().complete(), "the target was gone when it was resolved: " + a);
            assertEquals(AliasKind.PROCESS, a.alias());
            assertTrue(a.notes().stream().anyMatch(n -> n.contains("target exited")), a.notes().toString());
        } else {
            // The kernel could not open the file any more when the event was read: counted, not silent.
            assertTrue(seen.awaitLoss(LossTally.TARGET_EXITED, WAIT).isPresent(),
                    "neither an access nor a target_exited loss for " + target.pid() + "; losses " + seen.losses);
        }
        assertTrue(first.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void readerThatExitsRightAfterReading() throws IOException, InterruptedException {
        RecordingListener seen = start();
        Process target = children.sleeper();
        Process cat = children.start("cat", "/proc/" + target.pid() + "/environ");
        Process dd = children.start("dd", "if=/proc/" + target.pid() + "/environ", "of=/dev/null", "status=none");
        assertTrue(cat.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertTrue(dd.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        for (Process reader : List.of(cat, dd)) {
            EnvironAccess a = seen.awaitAccess("by short-lived reader " + reader.pid(), by(reader, target), WAIT);
            assertEquals(AliasKind.PROCESS, a.alias());
            // The target was started just before: its identity is in the table from its exec; its command line is
            // read off the alert's path and may not be in yet (the alert never waits for it, and says so).
            assertEquals(target.pid(), a.target().pid(), a.toString());
            assertEquals("sleep", a.target().comm(), a.toString());
            assertTargetKnown(a);
            // Gone long before its event was resolved, and named all the same: the table recorded it at its exec.
            String name = reader == cat ? "cat" : "dd";
            assertEquals("/usr/bin/" + name, a.reader().exe().replace("/bin/" + name, "/usr/bin/" + name)
                    .replace("/usr/usr/", "/usr/"), a.reader().toString());
            assertEquals(name, a.reader().comm(), a.reader().toString());
            assertEquals(ProcessHandle.current().pid(), a.reader().ppid());
            assertEquals(0, a.reader().uid());
            assertTrue(a.reader().startTime() > 0);
        }
    }

    /**
     * The target is named in full, but for its command line when that is still being read (a target started just
     * before the read: the table reads it off the alert's path, and the alert says so rather than wait for it).
     */
    private static void assertTargetKnown(EnvironAccess a) {
        assertTrue(a.target().exe() != null && a.target().exe().endsWith("/sleep"), a.toString());
        assertTrue(a.target().complete() || a.notes().stream().anyMatch(n -> n.contains("target's command line")),
                a.toString());
    }

    @Test
    void processReadingItsOwnEnviron() throws IOException {
        RecordingListener seen = start();
        // Kept alive on stdin: a reader that is its own target and exits at once takes the file with it
        // (the kernel cannot open it for the event any more: a target_exited loss, tested elsewhere).
        Process self = holdingCat("/proc/self/environ");
        Process threadSelf = holdingCat("/proc/thread-self/environ");
        EnvironAccess a = seen.awaitAccess("of cat's own environ", by(self, self), WAIT);
        assertTrue(a.isSelfRead());
        assertEquals(AliasKind.PROCESS, a.alias());
        assertEquals("/proc/" + self.pid() + "/environ", a.path(), "the kernel reports /proc/self resolved");
        assertReaderIs(a, self, "cat");
        EnvironAccess t = seen.awaitAccess("of cat's own environ via thread-self", by(threadSelf, threadSelf), WAIT);
        assertTrue(t.isSelfRead());
        assertEquals(AliasKind.TASK, t.alias());
        assertEquals(threadSelf.pid(), t.target().tid());
    }

    @Test
    void openOfAnotherProcessesMem() throws IOException {
        RecordingListener seen = start();
        Process target = children.sleeper();
        Process python = children.start(Children.PYTHON, "-c", "import sys\n"
                + "f = open('/proc/' + sys.argv[1] + '/mem', 'rb')\n"
                + "sys.stdin.read()\n", Long.toString(target.pid()));
        EnvironAccess a = seen.awaitAccess("of mem", by(python, target).and(x -> x.file() == ProcFile.MEM), WAIT);
        assertEquals("/proc/" + target.pid() + "/mem", a.path());
        assertEquals(AliasKind.PROCESS, a.alias());
        assertReaderIs(a, python, Path.of(Children.exeOf(python.pid())).getFileName().toString());
    }

    @Test
    void closeStopsEveryThreadAndClosesEveryDescriptor() throws IOException {
        // A first cycle loads every class and JNA's native library, which keep descriptors of their own.
        start();
        sources.get(0).close();
        long before = openDescriptors();
        RecordingListener seen = start();
        try (Children local = new Children()) { // its pipes to the children are this JVM's descriptors too
            Process target = local.threaded();
            for (int tid : Children.tasks(target.pid())) {
                Process cat = local.start("cat", "/proc/" + tid + "/environ", "-");
                seen.awaitAccess("by " + cat.pid(), by(cat, target), WAIT);
            }
        }
        sources.get(1).close();
        sources.get(1).close();
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("fanotify-")),
                "a source thread outlived close()");
        assertTrue(openDescriptors() <= before, "descriptors before start " + before + ", after close " + openDescriptors());
    }

    @Test
    void ownProcReadsNeverBecomeAccesses() throws IOException {
        RecordingListener seen = start();
        Process target = children.threaded();
        List<Process> readers = new ArrayList<>();
        for (int tid : Children.tasks(target.pid())) {
            readers.add(holdingCat("/proc/" + target.pid() + "/task/" + tid + "/environ"));
        }
        for (Process r : readers) {
            seen.awaitAccess("by " + r.pid(), by(r, target), WAIT); // each resolution read /proc/<pid>/* here
        }
        long self = ProcessHandle.current().pid();
        assertTrue(seen.accesses.stream().noneMatch(a -> a.reader().pid() == self),
                "this JVM opened no environ file, yet an access names it as the reader");
        // The resolver marked what it read before reading it, so its own reads made no events at all.
        assertTrue(GroupMarks.ignoredOpens(sources.get(0).groupFd()).contains(GroupMarks.inode("/proc/" + target.pid() + "/cmdline")),
                "the resolver read the target's cmdline without marking it first");
    }

    @Test
    void queueOverflowIsReportedAsALoss() throws IOException, InterruptedException {
        RecordingListener seen = start(Map.of(FanotifySettings.UNLIMITED_QUEUE, "false"));
        int readerTid = threadId("fanotify-reader");
        String cpus = cpusAllowed();
        // Starve the kernel-read thread (SCHED_IDLE on one CPU, the flood on the same CPU) so the bounded
        // kernel queue (16384 events) must overflow; then let it run again and drain.
        assertEquals(0, children.run(WAIT, "taskset", "-p", "-c", "0", Integer.toString(readerTid)));
        assertEquals(0, children.run(WAIT, "chrt", "--idle", "-p", "0", Integer.toString(readerTid)));
        try {
            // Distinct files, or the kernel merges the unread opens: fdinfo of 1000 descriptors in each of
            // 26 tasks is 26000 /proc files, well over the 16384 events the queue holds.
            int flood = children.run(Duration.ofSeconds(60), "taskset", "-c", "0", Children.PYTHON, "-c",
                    "import os, threading\n"
                    + "stop = threading.Event()\n"
                    + "threads = [threading.Thread(target=stop.wait) for _ in range(25)]\n"
                    + "[t.start() for t in threads]\n"
                    + "r, w = os.pipe()\n"
                    + "fds = [os.dup(r) for _ in range(1000)]\n"
                    + "for tid in os.listdir('/proc/self/task'):\n"
                    + "    for fd in fds:\n"
                    + "        os.close(os.open('/proc/self/task/%s/fdinfo/%d' % (tid, fd), os.O_RDONLY))\n"
                    + "stop.set()\n");
            assertEquals(0, flood);
        } finally {
            children.run(WAIT, "chrt", "--other", "-p", "0", Integer.toString(readerTid));
            children.run(WAIT, "taskset", "-p", "-c", cpus, Integer.toString(readerTid));
        }
        Optional<LossReport> overflow = seen.awaitLoss(LossTally.QUEUE_OVERFLOW, WAIT);
        assertTrue(overflow.isPresent(), "no queue_overflow loss; losses " + seen.losses);
        assertTrue(overflow.get().count() >= 1);
        assertTrue(overflow.get().detail().contains("FAN_Q_OVERFLOW"), overflow.get().detail());
        // The source still works after an overflow.
        Process target = children.sleeper();
        Process cat = holdingCat("/proc/" + target.pid() + "/environ");
        seen.awaitAccess("after the overflow", by(cat, target), WAIT);
    }

    @Test
    void aFullResolverQueueIsReportedAsALoss() throws IOException, InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        Process target = children.sleeper();
        Process first = children.sleeper();
        BlockingListener seen = start(Map.of(FanotifySettings.RESOLVER_QUEUE, "2"),
                new BlockingListener(a -> a.target().pid() == first.pid(), release));
        Process holder = children.start("cat", "/proc/" + first.pid() + "/environ");
        assertTrue(seen.blocked.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the resolver is held");
        // 20 readers (the kernel merges unread opens of one file by one process into one event)
        List<Process> readers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            readers.add(children.start("cat", "/proc/" + target.pid() + "/environ"));
        }
        for (Process r : readers) {
            assertTrue(r.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        release.countDown();
        Optional<LossReport> backlog = seen.awaitLoss(LossTally.RESOLVER_BACKLOG, WAIT);
        assertTrue(backlog.isPresent(), "no resolver_backlog loss; losses " + seen.losses);
        assertTrue(backlog.get().detail().contains("capacity 2"), backlog.get().detail());
        // Accesses queued before the loss report were delivered before it: the resolver keeps the order. The kernel
        // may hand the 20 opens over in several reads, each with its own loss report: wait for them all (bounded).
        long delivered = 0;
        long lost = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        do {
            delivered = seen.accesses.stream()
                    .filter(a -> a.target().pid() == target.pid() && readers.stream().anyMatch(r -> r.pid() == a.reader().pid()))
                    .count();
            lost = seen.losses.stream().filter(l -> l.cause().equals(LossTally.RESOLVER_BACKLOG))
                    .mapToLong(LossReport::count).sum();
            if (delivered + lost < readers.size()) {
                Thread.sleep(20);
            }
        } while (delivered + lost < readers.size() && System.nanoTime() < deadline);
        assertTrue(delivered <= 2 + 1, "at most the queue's capacity got through: " + delivered);
        assertTrue(delivered + lost >= readers.size(), "20 opens: " + delivered + " delivered, " + lost + " counted lost");
        assertTrue(holder.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void coverageNamesEveryMarkAndTheBlindSpots() throws IOException {
        start();
        FanotifyHostSource source = sources.get(0);
        String proc = deviceOf(Path.of("/proc"));
        assertTrue(source.coverage().watching().stream().anyMatch(w -> w.contains(proc) && w.contains("/proc")),
                source.coverage().toString());
        List<String> blind = source.coverage().blindSpots();
        assertTrue(blind.stream().anyMatch(b -> b.contains("process_vm_readv")), blind.toString());
        assertTrue(blind.stream().anyMatch(b -> b.contains("never blocked")), blind.toString());
        assertTrue(blind.stream().anyMatch(b -> b.contains("failed open")), blind.toString());
        List<String> watching = source.coverage().watching();
        assertTrue(watching.stream().anyMatch(w -> w.contains("process table fed by the kernel's proc connector")
                && w.contains("exited ones kept for 30 s")), watching.toString());
        assertTrue(watching.stream().anyMatch(w -> w.contains("exec log")), watching.toString());
        assertTrue(blind.stream().anyMatch(b -> b.contains("not hold")), blind.toString());
        assertTrue(blind.stream().anyMatch(b -> b.contains("command lines are read on")), blind.toString());
        source.close();
        source.close(); // idempotent
        assertTrue(source.coverage().watching().isEmpty());
    }

    /** Blocks the resolver thread on the first matching access until released. */
    static final class BlockingListener extends RecordingListener {
        final CountDownLatch blocked = new CountDownLatch(1);
        private final Predicate<EnvironAccess> match;
        private final CountDownLatch release;

        BlockingListener(Predicate<EnvironAccess> match, CountDownLatch release) {
            this.match = match;
            this.release = release;
        }

        @Override
        public void onAccess(EnvironAccess access) {
            super.onAccess(access);
            if (blocked.getCount() > 0 && match.test(access)) {
                blocked.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private Path mount(String... args) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "eg-mnt");
        dirs.add(dir);
        List<String> command = new ArrayList<>(List.of("mount"));
        command.addAll(List.of(args));
        command.add(dir.toString());
        assertEquals(0, children.run(WAIT, command.toArray(String[]::new)), "mount " + List.of(args));
        mounts.add(dir);
        return dir;
    }

    private static void unmount(Path dir) {
        try (Children umount = new Children()) {
            if (umount.run(WAIT, "umount", dir.toString()) != 0) {
                umount.run(WAIT, "umount", "-l", dir.toString());
            }
        }
    }

    private static String deviceOf(Path path) throws IOException {
        long dev = (long) Files.getAttribute(path, "unix:dev");
        // glibc's encoding of dev_t
        long major = ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
        long minor = ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
        return major + ":" + minor;
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static String cpusAllowed() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring("Cpus_allowed_list:".length()).trim()).findFirst().orElseThrow();
    }

    /**
     * The native thread id of this JVM's thread whose name starts with {@code prefix} (comm holds 15 bytes).
     * Waits, bounded: a new thread sets its kernel name from inside itself, just after {@code start()} returns.
     */
    private static int threadId(String prefix) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Map<Integer, String> comms = new HashMap<>();
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path t : tasks.toList()) {
                    try {
                        comms.put(Integer.parseInt(t.getFileName().toString()), Files.readString(t.resolve("comm")).trim());
                    } catch (java.nio.file.NoSuchFileException exited) {
                        // a thread of this JVM ended while we listed them
                    }
                }
            }
            var found = comms.entrySet().stream().filter(e -> e.getValue().startsWith(prefix)).map(Map.Entry::getKey).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no thread named " + prefix + " in " + comms.values());
            }
            Thread.sleep(10);
        }
    }
}
