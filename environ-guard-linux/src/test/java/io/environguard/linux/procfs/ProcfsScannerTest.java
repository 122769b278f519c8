package io.environguard.linux.procfs;

import io.environguard.api.AccessKind;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.ProcFile;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.testkit.FdSpec;
import io.environguard.testkit.KernelPaths;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scanner against simulated trees: what is reported, once, and what is (not) re-read. */
class ProcfsScannerTest {

    private SimWorld world;
    private final Recorder rec = new Recorder();

    @BeforeEach
    void create() {
        world = SimWorld.create();
    }

    @AfterEach
    void delete() {
        world.close();
    }

    private static ScanResult scan(ProcfsPollingSource source, Recorder rec) {
        try {
            return source.scanOnce(rec);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void reportsAHeldOpenEnvironOnceWhileItStaysOpen() {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        ProcfsPollingSource source = world.source();
        scan(source, rec);
        assertTrue(rec.accesses().isEmpty());

        world.fs.openFd(reader.pid(), new FdSpec(7, KernelPaths.environ(target.pid())));
        scan(source, rec);
        EnvironAccess a = single(rec.held());
        assertEquals(reader.pid(), a.reader().pid());
        assertEquals(reader.startTime(), a.reader().startTime());
        assertEquals("cat", a.reader().comm());
        assertEquals(target.pid(), a.target().pid());
        assertEquals(target.startTime(), a.target().startTime());
        assertEquals(AliasKind.PROCESS, a.alias());
        assertEquals(ProcFile.ENVIRON, a.file());
        assertEquals("/proc/" + target.pid() + "/environ", a.path());
        assertEquals(ProcfsPollingSource.NAME, a.source());
        assertTrue(a.notes().stream().anyMatch(n -> n.contains("descriptor 7")), a.notes().toString());

        rec.clear();
        scan(source, rec);
        world.fs.run(reader.pid());
        scan(source, rec);
        world.fs.openFd(reader.pid(), "/dev/null");
        scan(source, rec);
        assertTrue(rec.accesses().isEmpty(), "still the same open file: " + rec.accesses());

        world.fs.closeFd(reader.pid(), 7);
        scan(source, rec);
        world.fs.openFd(reader.pid(), new FdSpec(7, KernelPaths.environ(target.pid())));
        scan(source, rec);
        assertEquals(1, rec.held().size(), "closed, then opened again: a new read");
    }

    @Test
    void findsEveryAlias() {
        SimProcess target = world.spawn("sleep");
        int tid = world.fs.addThread(target.pid());
        SimProcess reader = world.spawn("reader");
        world.fs.addProcMount("/run/ctr/proc");
        world.fs.openFd(reader.pid(), new FdSpec(3, KernelPaths.environ(target.pid())));
        world.fs.openFd(reader.pid(), new FdSpec(4, KernelPaths.taskEnviron(target.pid(), tid)));
        world.fs.openFd(reader.pid(), new FdSpec(5, KernelPaths.of(AliasKind.THREAD, ProcFile.ENVIRON, "/proc", target.pid(), tid)));
        world.fs.openFd(reader.pid(), new FdSpec(6, KernelPaths.mem(target.pid())));
        world.fs.openFd(reader.pid(), new FdSpec(8, "/run/ctr/proc/" + target.pid() + "/environ"));
        scan(world.source(), rec);

        List<EnvironAccess> held = rec.held();
        assertEquals(5, held.size(), held.toString());
        for (EnvironAccess a : held) {
            assertEquals(reader.pid(), a.reader().pid());
            assertEquals(target.pid(), a.target().pid(), a.toString());
        }
        assertEquals(List.of(AliasKind.PROCESS, AliasKind.TASK, AliasKind.THREAD, AliasKind.PROCESS,
                AliasKind.OTHER_PROC_MOUNT), held.stream().map(EnvironAccess::alias).toList());
        assertEquals(tid, held.get(1).target().tid());
        assertEquals(tid, held.get(2).target().tid());
        assertEquals(ProcFile.MEM, held.get(3).file());
        EnvironAccess other = held.get(4);
        assertFalse(other.target().complete(), "another instance's pid could not be mapped here");
        assertTrue(other.notes().stream().anyMatch(n -> n.contains("local to the pid namespace")), other.notes().toString());
    }

    @Test
    void selfReadsAreReportedAsSuchAndThePolicyIgnoresThem() {
        SimProcess p = world.spawn("selfish");
        world.fs.openFd(p.pid(), KernelPaths.environ(p.pid()));
        world.fs.openFd(p.pid(), KernelPaths.of(AliasKind.SELF, ProcFile.ENVIRON, "/proc", p.pid(), 0));
        SimProcess q = world.spawn("sh");
        world.fs.exec(q.pid(), "/bin/sh", "sh", "-c", "cat /proc/self/environ; cat /proc/" + q.pid() + "/environ");
        scan(world.source(), rec);

        assertEquals(4, rec.accesses().size(), rec.accesses().toString());
        Policy policy = new Policy(PolicyConfig.defaults(), world.guard.pid());
        for (EnvironAccess a : rec.accesses()) {
            assertTrue(a.isSelfRead(), a.toString());
            assertEquals(a.reader().startTime(), a.target().startTime());
            assertTrue(policy.evaluate(a).isEmpty());
        }
    }

    @Test
    void descriptorsOpenedWithOPathCannotReadAndAreNotReported() throws IOException {
        SimProcess target = world.spawn("sleep");
        SimProcess pinner = world.spawn("pinner");
        world.fs.openFd(pinner.pid(), new FdSpec(5, KernelPaths.environ(target.pid())));
        world.fs.openFd(pinner.pid(), new FdSpec(6, KernelPaths.mem(target.pid())));
        Path fdinfo = Files.createDirectories(world.fs.root().resolve(pinner.pid() + "/fdinfo"));
        // as the kernel prints them: O_PATH|O_CLOEXEC, and a plain read-only open (O_RDONLY|O_LARGEFILE)
        Files.writeString(fdinfo.resolve("5"), "pos:\t0\nflags:\t012000000\nmnt_id:\t22\nino:\t6297132\n");
        Files.writeString(fdinfo.resolve("6"), "pos:\t0\nflags:\t0100000\nmnt_id:\t22\nino:\t6297133\n");
        ScanResult r = scan(world.source(), rec);
        assertEquals(1, r.pathOnly(), r.toString());
        assertEquals(ProcFile.MEM, single(rec.held()).file(), "only the descriptor that can read");
    }

    @Test
    void ignoresTheGuardsOwnDescriptorsAndCommandLine() {
        SimProcess target = world.spawn("sleep");
        world.fs.openFd(world.guard.pid(), KernelPaths.environ(target.pid()));
        world.fs.exec(world.guard.pid(), "/usr/bin/java", "java", "/proc/" + target.pid() + "/environ");
        scan(world.source(), rec);
        assertTrue(rec.accesses().isEmpty(), rec.accesses().toString());
    }

    @Test
    void reReadsOnlyProcessesWhoseThreadsRan() {
        List<SimProcess> idle = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            SimProcess p = world.spawn("idle" + i);
            world.fs.openFds(p.pid(), List.of(new FdSpec(3, "socket:[1]"), new FdSpec(4, "pipe:[2]")));
            idle.add(p);
        }
        SimProcess multi = world.spawn("java");
        int tid = world.fs.addThread(multi.pid());
        ProcfsPollingSource source = world.source();
        ScanResult first = scan(source, rec);
        assertEquals(6, first.newProcesses());
        assertEquals(6, first.examined());

        ScanResult second = scan(source, rec);
        assertEquals(second.processes() - 1, second.unchanged(), "all but the guard (the listed thread too): " + second);
        assertEquals(0, second.examined());
        assertEquals(0, second.fdsRead());

        world.fs.run(idle.get(2).pid());
        ScanResult third = scan(source, rec);
        assertEquals(1, third.examined(), third.toString());
        assertEquals(5, third.fdsRead(), "0, 1, 2 and the two sockets");

        // a non-leader thread opens it: the leader did not run, the process is re-read all the same
        SimProcess target = world.spawn("sleep");
        scan(source, rec);
        rec.clear();
        world.fs.openFd(multi.pid(), tid, new FdSpec(9, KernelPaths.environ(target.pid())));
        ScanResult fourth = scan(source, rec);
        assertEquals(1, fourth.examined(), fourth.toString());
        assertEquals(multi.pid(), single(rec.held()).reader().pid());

        // a thread that exits changes the task list even though nothing else ran
        world.fs.exitThread(multi.pid(), tid);
        assertEquals(1, scan(source, rec).examined());
    }

    @Test
    void aBusyProcessIsReReadWithoutItsCountersAndSkippedAgainOnceQuiet() {
        SimProcess target = world.spawn("sleep");
        SimProcess busy = world.spawn("busy");
        world.fs.addThread(busy.pid());
        world.fs.addThread(busy.pid());
        ProcfsPollingSource source = world.source();
        scan(source, rec);
        for (int i = 0; i < 5; i++) {
            world.fs.run(busy.pid());
            assertEquals(1, scan(source, rec).examined());
        }
        // busy: re-read even when it did not run, until its counters are read again
        assertEquals(1, scan(source, rec).examined());
        world.fs.openFd(busy.pid(), KernelPaths.environ(target.pid()));
        scan(source, rec);
        assertEquals(busy.pid(), single(rec.held()).reader().pid(), "found while busy");
        int scans = 0;
        ScanResult r;
        do {
            r = scan(source, rec);
            scans++;
        } while (r.examined() > 0 && scans < 3 * ProcfsScanner.BUSY_RECHECK);
        assertEquals(0, r.examined(), "skipped again once quiet");
        assertTrue(scans <= ProcfsScanner.BUSY_RECHECK + 1, "within a recheck period: " + scans);
    }

    @Test
    void withoutSchedulingCountersEveryProcessIsReReadEveryScan() throws IOException {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        ProcfsPollingSource source = world.source();
        scan(source, rec);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(world.fs.root())) {
            for (Path dir : dirs) {
                Files.deleteIfExists(dir.resolve("schedstat"));
            }
        }
        ScanResult r = scan(source, rec);
        assertEquals(0, r.unchanged());
        assertEquals(r.processes() - 1, r.examined(), "all but the guard");
        // a descriptor opened behind the counters' back (no schedstat to change) is still found
        world.fs.openFd(reader.pid(), KernelPaths.environ(target.pid()));
        Files.deleteIfExists(world.fs.root().resolve(reader.pid() + "/schedstat"));
        scan(source, rec);
        assertEquals(1, rec.held().size());
    }

    @Test
    void theFullScanIntervalReReadsProcessesThatDidNotRun() throws IOException {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        ProcfsPollingSource source = world.source(s -> s.withFullScanInterval(Duration.ZERO));
        scan(source, rec);
        // write the link behind the simulation's back: no scheduling counter changes
        Files.createSymbolicLink(world.fs.root().resolve(reader.pid() + "/fd/11"), Path.of(KernelPaths.environ(target.pid())));
        ScanResult r = scan(source, rec);
        assertEquals(0, r.unchanged());
        assertEquals(1, rec.held().size(), "found because every table is re-read");
    }

    @Test
    void theFullScanSafetyNetReReadsAShareOfTheProcessesEachScan() throws InterruptedException {
        for (int i = 0; i < 8; i++) {
            world.spawn("p" + i);
        }
        // a share of ceil(9 processes * 10ms / 40ms) = 3 re-reads per scan, once 40ms have passed
        Duration interval = Duration.ofMillis(10);
        Duration full = Duration.ofMillis(40);
        ProcfsPollingSource source = world.source(s -> s.withInterval(interval).withFullScanInterval(full));
        scan(source, rec);
        Thread.sleep(full.toMillis() + 10);
        int reRead = 0;
        for (int i = 0; i < 10 && reRead < 8; i++) {
            ScanResult r = scan(source, rec);
            assertTrue(r.due() <= 3, r.toString());
            assertEquals(r.due(), r.examined(), "nothing ran: only the safety net re-reads: " + r);
            reRead += r.due();
        }
        assertTrue(reRead >= 8, "every process re-read within a few scans: " + reRead);
        assertTrue(rec.accesses().isEmpty() && rec.losses().isEmpty());
    }

    @Test
    void aReusedReaderPidIsANewReader() {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        world.fs.openFd(reader.pid(), new FdSpec(5, KernelPaths.environ(target.pid())));
        ProcfsPollingSource source = world.source();
        scan(source, rec);
        assertEquals(reader.startTime(), single(rec.held()).reader().startTime());

        rec.clear();
        SimProcess again = world.fs.reusePid(reader.pid(), ProcessSpec.builder().comm("cat").exe("/usr/bin/cat").build());
        world.fs.openFd(again.pid(), new FdSpec(5, KernelPaths.environ(target.pid())));
        ScanResult r = scan(source, rec);
        assertEquals(1, r.newProcesses());
        EnvironAccess a = single(rec.held());
        assertEquals(again.startTime(), a.reader().startTime());
        assertTrue(again.startTime() > reader.startTime());
    }

    @Test
    void aReusedTargetPidDoesNotRenameAnOldDescriptor() {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        world.fs.openFd(reader.pid(), new FdSpec(5, KernelPaths.environ(target.pid())));
        ProcfsPollingSource source = world.source();
        scan(source, rec);
        assertEquals(target.startTime(), single(rec.held()).target().startTime());

        rec.clear();
        SimProcess newcomer = world.fs.reusePid(target.pid(), ProcessSpec.builder().comm("vault").build());
        world.fs.run(reader.pid());
        scan(source, rec);
        assertTrue(rec.held().isEmpty(), "descriptor 5 still refers to the file it was opened on: " + rec.held());

        world.fs.openFd(reader.pid(), new FdSpec(6, KernelPaths.environ(target.pid())));
        scan(source, rec);
        EnvironAccess a = single(rec.held());
        assertEquals(newcomer.startTime(), a.target().startTime(), "a new descriptor names the process there now");
        assertEquals("vault", a.target().comm());
    }

    @Test
    void aTargetThatExitedIsReportedWithWhatIsKnown() {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        world.fs.exit(target.pid());
        world.fs.openFd(reader.pid(), KernelPaths.environ(target.pid()));
        world.fs.openFd(reader.pid(), "/proc/" + target.pid() + "/environ (deleted)");
        scan(world.source(), rec);
        assertEquals(2, rec.held().size());
        for (EnvironAccess a : rec.held()) {
            assertEquals(target.pid(), a.target().pid());
            assertFalse(a.target().complete());
            assertEquals(-1, a.target().startTime());
            assertTrue(a.notes().stream().anyMatch(n -> n.contains("exited")), a.notes().toString());
        }
    }

    @Test
    void commandLinesAreSearchedOncePerProcessAndContent() {
        SimProcess target = world.spawn("sleep");
        SimProcess sh = world.fs.spawn(ProcessSpec.builder().comm("sh").exe("/bin/sh")
                .cmdline("sh", "-c", "sleep 2; cat /proc/" + target.pid() + "/environ").build());
        SimProcess glob = world.fs.spawn(ProcessSpec.builder().comm("sh").exe("/bin/sh")
                .cmdline("sh", "-c", "strings /proc/*/environ").build());
        SimProcess ps = world.fs.spawn(ProcessSpec.builder().comm("ps").exe("/usr/bin/ps").cmdline("ps", "eww").build());
        ProcfsPollingSource source = world.source();
        scan(source, rec);
        List<EnvironAccess> lines = rec.commandLines();
        assertEquals(3, lines.size(), lines.toString());
        EnvironAccess exact = byReader(lines, sh.pid());
        assertEquals(target.pid(), exact.target().pid());
        assertEquals(target.startTime(), exact.target().startTime());
        assertEquals(AccessKind.COMMAND_LINE, exact.kind());
        EnvironAccess pattern = byReader(lines, glob.pid());
        assertFalse(pattern.target().isKnown());
        assertEquals("/proc/*/environ", pattern.path());
        assertTrue(pattern.notes().stream().anyMatch(n -> n.contains("pattern")));
        EnvironAccess psAccess = byReader(lines, ps.pid());
        assertFalse(psAccess.target().isKnown());
        assertTrue(psAccess.notes().stream().anyMatch(n -> n.contains("ps asked to print environments (ps eww")));

        rec.clear();
        world.fs.run(sh.pid());
        scan(source, rec);
        assertTrue(rec.accesses().isEmpty(), "the same command line again");

        world.fs.exec(target.pid(), "/usr/bin/strings", "strings", "/proc/" + sh.pid() + "/environ");
        scan(source, rec);
        EnvironAccess afterExec = single(rec.commandLines());
        assertEquals(target.pid(), afterExec.reader().pid());
        assertEquals(sh.pid(), afterExec.target().pid());
        assertEquals("/usr/bin/strings", afterExec.reader().exe());
    }

    @Test
    void commandLinesCanBeTurnedOff() {
        SimProcess target = world.spawn("sleep");
        world.fs.spawn(ProcessSpec.builder().comm("cat").cmdline("cat", "/proc/" + target.pid() + "/environ").build());
        scan(world.source(s -> s.withCommandLines(false)), rec);
        assertTrue(rec.accesses().isEmpty());
    }

    @Test
    void listedThreadsAreNotTakenForProcesses() {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.fs.spawn(ProcessSpec.builder().comm("sh")
                .cmdline("sh", "-c", "cat /proc/" + target.pid() + "/environ").build());
        int tid = world.fs.addThread(reader.pid());
        assertTrue(Files.isSymbolicLink(world.fs.root().resolve(Integer.toString(tid))), "the simulation lists threads");
        world.fs.openFd(reader.pid(), KernelPaths.environ(target.pid()));
        ScanResult r = scan(world.source(), rec);
        assertEquals(2, rec.accesses().size(), rec.accesses().toString());
        assertTrue(rec.accesses().stream().allMatch(a -> a.reader().pid() == reader.pid()));
        assertEquals(r.processes() - 2, r.examined(), "neither the guard nor the thread " + tid);
    }

    @Test
    void processesThatVanishMidScanYieldWhatWasKnown() {
        SimProcess t1 = world.spawn("sleep");
        SimProcess t2 = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        SimProcess later = world.spawn("later");
        world.fs.openFd(reader.pid(), new FdSpec(3, KernelPaths.environ(t1.pid())));
        world.fs.openFd(reader.pid(), new FdSpec(4, KernelPaths.environ(t2.pid())));
        world.fs.openFd(later.pid(), new FdSpec(3, KernelPaths.environ(t1.pid())));
        rec.onEach(a -> {
            // after the first access, the second target, the reader and a process not yet examined all exit
            world.fs.exit(t2.pid());
            world.fs.exit(reader.pid());
            world.fs.exit(later.pid());
        });
        ScanResult r = scan(world.source(), rec);
        assertEquals(2, rec.held().size(), rec.held().toString());
        EnvironAccess second = rec.held().get(1);
        assertEquals(reader.pid(), second.reader().pid());
        assertEquals(t2.pid(), second.target().pid());
        assertFalse(second.target().complete());
        assertEquals(1, r.vanished(), r.toString());
    }

    @Test
    void aScanOutOfBudgetReportsTheRestAndTheNextOneStartsWithThem() {
        List<SimProcess> ps = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ps.add(world.spawn("p" + i));
        }
        SimProcess target = world.spawn("sleep");
        SimProcess last = ps.get(ps.size() - 1);
        world.fs.openFd(last.pid(), KernelPaths.environ(target.pid()));
        // a budget of a nanosecond: each scan examines one process and stops
        ProcfsPollingSource source = world.source(s -> s.withScanBudget(Duration.ofNanos(1)));
        ScanResult first = scan(source, rec);
        assertTrue(first.cutShort());
        assertEquals(first.processes() - 1, first.notExamined());
        LossReport loss = single(rec.losses());
        assertEquals(ProcfsScanner.CUT_SHORT, loss.cause());
        assertEquals(first.notExamined(), loss.count());
        for (int i = 0; i < first.processes() + 1 && rec.held().isEmpty(); i++) {
            scan(source, rec);
        }
        assertEquals(last.pid(), single(rec.held()).reader().pid(), "every process is reached in turn");
        assertEquals(1, rec.losses().size(), "later cuts are batched into the next report, a minute on");
        assertTrue(source.coverage().blindSpots().stream().anyMatch(b -> b.contains("did not reach")));
    }

    @Test
    void descriptorsPastTheLimitAreReportedLostOnce() {
        SimProcess p = world.spawn("db");
        List<FdSpec> many = new ArrayList<>();
        for (int fd = 3; fd < 20; fd++) {
            many.add(new FdSpec(fd, "socket:[" + fd + "]"));
        }
        world.fs.openFds(p.pid(), many);
        ProcfsPollingSource source = world.source(s -> s.withMaxFdsPerProcess(5));
        scan(source, rec);
        world.fs.run(p.pid());
        scan(source, rec);
        List<LossReport> losses = rec.losses().stream().filter(l -> l.cause().equals(ProcfsScanner.FD_LIMIT)).toList();
        assertEquals(1, losses.size(), rec.losses().toString());
        assertTrue(losses.get(0).detail().contains(ProcfsSettings.MAX_FDS));
    }

    @Test
    void aReaderInAnotherMountNamespaceIsReadAgainstItsOwnMounts() throws IOException {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        Path ns = world.fs.root().resolve(reader.pid() + "/ns");
        Files.createDirectories(ns);
        Files.createSymbolicLink(ns.resolve("mnt"), Path.of("mnt:[4026532999]"));
        Path ours = world.fs.root().resolve(world.guard.pid() + "/ns");
        Files.createDirectories(ours);
        Files.createSymbolicLink(ours.resolve("mnt"), Path.of("mnt:[4026531841]"));
        // the container's own procfs mounted over the inherited /proc (unshare --mount-proc): another superblock
        world.fs.setMountTable(reader.pid(), List.of(io.environguard.testkit.MountLine.rootFs(1),
                io.environguard.testkit.MountLine.proc(2, 1, "/proc", "0:21"),
                io.environguard.testkit.MountLine.proc(3, 1, "/proc", "0:99")));
        world.fs.openFd(reader.pid(), "/proc/1/environ");
        scan(world.source(), rec);
        EnvironAccess a = single(rec.held());
        assertEquals(AliasKind.OTHER_PROC_MOUNT, a.alias(), "pid 1 of the container, not the host's pid 1");
        assertFalse(a.target().complete());
        assertTrue(target.pid() > 0);
    }

    private static EnvironAccess byReader(List<EnvironAccess> accesses, int pid) {
        return single(accesses.stream().filter(a -> a.reader().pid() == pid).collect(Collectors.toList()));
    }

    private static <T> T single(List<T> list) {
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }
}
