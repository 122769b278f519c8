package io.environguard.linux.proc;

import com.sun.security.auth.module.UnixSystem;
import io.environguard.api.CommandLines;
import io.environguard.api.ProcessInfo;
import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.ProcessTree;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessInspectorTest {

    /** stat, status, comm, exe, cmdline, cgroup, stat again. */
    private static final int READS_PER_INSPECT = 7;

    private static SimulatedProcFs fs;

    @BeforeContainer
    static void createTree() throws IOException {
        fs = SimulatedProcFs.create();
    }

    @AfterContainer
    static void deleteTree() throws IOException {
        fs.close();
    }

    @Property
    void inspectsEveryProcessOfAGeneratedTree(@ForAll("trees") ProcessTree tree) throws ProcParseException {
        List<SimProcess> spawned = fs.spawnTree(1, tree);
        try {
            ProcessInspector inspector = new ProcessInspector(fs.root());
            for (SimProcess p : spawned) {
                ProcessInfo info = inspector.inspect(p.pid());
                assertEquals(expected(p), info);
                assertEquals(p.ppid() == 1 ? null : fs.process(p.ppid()).orElseThrow().spec().exe(),
                        p.ppid() == 1 ? null : inspector.parentExe(p.pid()));
            }
        } finally {
            spawned.forEach(p -> fs.exit(p.pid()));
        }
    }

    @Property
    void recordsTheActingThread(@ForAll("threadSets") List<byte[]> threadNames) {
        SimProcess p = fs.spawn(1, "multi");
        try {
            List<Integer> tids = new ArrayList<>();
            for (byte[] name : threadNames) {
                tids.add(fs.addThread(p.pid(), name));
            }
            ProcessInspector inspector = new ProcessInspector(fs.root());
            for (int tid : tids) {
                ProcessInfo info = inspector.inspect(inspector.tgidOf(tid), tid);
                assertEquals(p.pid(), info.pid());
                assertEquals(tid, info.tid());
                assertEquals("multi", info.comm(), "the process's name, not the thread's");
                assertTrue(info.complete());
            }
        } finally {
            fs.exit(p.pid());
        }
    }

    /**
     * The process exits before read number {@code k}: every answer keeps the pid, never throws, and is
     * complete exactly when the process outlived the whole lookup.
     */
    @Property
    void aProcessThatVanishesMidLookupIsIncomplete(@ForAll("specs") ProcessSpec spec,
                                                   @ForAll @IntRange(max = READS_PER_INSPECT) int k) {
        SimProcess p = fs.spawn(spec.toBuilder().ppid(1).build());
        try {
            ProcessInspector inspector = new ProcessInspector(fs.root(), beforeRead(k, () -> fs.exit(p.pid())));
            ProcessInfo info = inspector.inspect(p.pid(), 77);
            assertEquals(p.pid(), info.pid());
            assertEquals(77, info.tid());
            if (k == READS_PER_INSPECT) {
                assertEquals(expected(p).toBuilder().tid(77).build(), info);
            } else {
                assertFalse(info.complete());
                if (k == 0) {
                    assertEquals(ProcessInfo.builder(p.pid()).tid(77).complete(false).build(), info);
                } else {
                    assertEquals(p.startTime(), info.startTime(), "what was read before the exit is kept");
                    assertEquals(p.ppid(), info.ppid());
                }
            }
        } finally {
            fs.exit(p.pid());
        }
    }

    /**
     * A pinned inspection (the caller holds a pidfd and knows uid and gid) reads stat, exe, cmdline and cgroup,
     * nothing else, and reports what a full inspection reports.
     */
    @Property
    void aPinnedInspectionReadsFourFilesAndAgreesWithAFullOne(@ForAll("trees") ProcessTree tree) {
        List<SimProcess> spawned = fs.spawnTree(1, tree);
        try {
            List<String> read = new ArrayList<>();
            ProcessInspector pinned = new ProcessInspector(fs.root(), recording(read));
            ProcessInspector full = new ProcessInspector(fs.root());
            for (SimProcess p : spawned) {
                read.clear();
                ProcessInfo info = pinned.inspectPinned(p.pid(), 77, p.spec().uid(), p.spec().gid());
                assertEquals(expected(p).toBuilder().tid(77).build(), info);
                assertEquals(full.inspect(p.pid(), 77), info);
                assertEquals(List.of("stat", "exe", "cmdline", "cgroup"), read);
            }
        } finally {
            spawned.forEach(p -> fs.exit(p.pid()));
        }
    }

    /**
     * What the caller knows is taken as it is and not read: a known exe spares the readlink, a known container
     * the cgroup file; the hook hears of every file opened (and of nothing else), with the parent it was given.
     */
    @Property
    void whatTheCallerKnowsIsNotRead(@ForAll("specs") ProcessSpec spec, @ForAll boolean exeKnown,
                                     @ForAll boolean containerKnown) {
        SimProcess p = fs.spawn(spec.toBuilder().ppid(1).build());
        try {
            List<String> read = new ArrayList<>();
            List<String> told = new ArrayList<>();
            ProcessInspector inspector = new ProcessInspector(fs.root(), recording(read),
                    (pid, ppid, file) -> told.add(pid + " " + ppid + " " + file.getFileName()));
            String exe = exeKnown ? "/opt/known/exe" : null;
            String container = containerKnown ? "known-container" : null;
            ProcessInfo info = inspector.inspectPinned(p.pid(), ProcessInfo.UNKNOWN, new ProcessInspector.Known(
                    spec.uid(), spec.gid(), 1, exeKnown, exe, containerKnown, container));
            ProcessInfo expected = expected(p);
            assertEquals(expected.toBuilder().exe(exeKnown ? exe : expected.exe())
                    .containerId(containerKnown ? container : expected.containerId()).build(), info);
            List<String> files = new ArrayList<>(List.of("stat", "cmdline"));
            if (!containerKnown) {
                files.add("cgroup");
            }
            List<String> expectedReads = new ArrayList<>(files);
            if (!exeKnown) {
                expectedReads.add(1, "exe");
            }
            assertEquals(expectedReads, read);
            assertEquals(files.stream().map(f -> p.pid() + " 1 " + f).toList(), told);
        } finally {
            fs.exit(p.pid());
        }
    }

    /** Without known credentials, a pinned inspection reads them from status. */
    @Property
    void aPinnedInspectionWithoutCredentialsReadsStatus(@ForAll("specs") ProcessSpec spec,
                                                        @ForAll boolean uidKnown) {
        SimProcess p = fs.spawn(spec.toBuilder().ppid(1).build());
        try {
            List<String> read = new ArrayList<>();
            ProcessInfo info = new ProcessInspector(fs.root(), recording(read))
                    .inspectPinned(p.pid(), ProcessInfo.UNKNOWN, uidKnown ? spec.uid() : -1, uidKnown ? -1 : spec.gid());
            assertEquals(expected(p), info);
            assertEquals(List.of("stat", "status", "exe", "cmdline", "cgroup"), read);
        } finally {
            fs.exit(p.pid());
        }
    }

    /** The process exits before read number {@code k} of a pinned inspection: incomplete, never an exception. */
    @Property
    void aProcessThatVanishesMidPinnedLookupIsIncomplete(@ForAll("specs") ProcessSpec spec,
                                                         @ForAll @IntRange(max = 4) int k) {
        SimProcess p = fs.spawn(spec.toBuilder().ppid(1).build());
        try {
            ProcessInspector inspector = new ProcessInspector(fs.root(), beforeRead(k, () -> fs.exit(p.pid())));
            ProcessInfo info = inspector.inspectPinned(p.pid(), 77, spec.uid(), spec.gid());
            assertEquals(p.pid(), info.pid());
            assertEquals(77, info.tid());
            if (k == 4) {
                assertEquals(expected(p).toBuilder().tid(77).build(), info);
            } else if (k == 0) {
                assertEquals(ProcessInfo.builder(p.pid()).tid(77).complete(false).build(), info);
            } else {
                assertFalse(info.complete(), "read " + k + " failed: " + info);
                assertEquals(p.startTime(), info.startTime(), "what was read before the exit is kept");
            }
        } finally {
            fs.exit(p.pid());
        }
    }

    /** The pid is reused before read number {@code k}: the mix of two processes is never reported as complete. */
    @Property
    void aPidReusedMidLookupIsIncomplete(@ForAll("specs") ProcessSpec first, @ForAll("specs") ProcessSpec second,
                                         @ForAll @IntRange(max = READS_PER_INSPECT) int k) {
        SimProcess p = fs.spawn(first.toBuilder().ppid(1).build());
        AtomicReference<SimProcess> successor = new AtomicReference<>();
        try {
            ProcessInspector inspector = new ProcessInspector(fs.root(),
                    beforeRead(k, () -> successor.set(fs.reusePid(p.pid(), second.toBuilder().ppid(1).build()))));
            ProcessInfo info = inspector.inspect(p.pid());
            if (k == 0) {
                assertEquals(expected(successor.get()), info, "the lookup saw only the new process");
            } else if (k == READS_PER_INSPECT) {
                assertEquals(expected(p), info, "the lookup ended before the reuse");
            } else {
                assertFalse(info.complete());
                assertEquals(p.startTime(), info.startTime());
            }
        } finally {
            fs.exit(p.pid());
        }
    }

    @Example
    void pidReuseChangesTheStartTime() {
        SimProcess p = fs.spawn(1, "first");
        try {
            ProcessInspector inspector = new ProcessInspector(fs.root());
            ProcessInfo before = inspector.inspect(p.pid());
            SimProcess q = fs.reusePid(p.pid(), ProcessSpec.builder().comm("second").build());
            ProcessInfo after = inspector.inspect(p.pid());
            assertEquals(before.pid(), after.pid());
            assertTrue(after.startTime() > before.startTime());
            assertEquals(q.startTime(), after.startTime());
            assertFalse(before.sameProcessAs(after));
            assertEquals("second", after.comm());
        } finally {
            fs.exit(p.pid());
        }
    }

    @Example
    void unknownAndNonPositivePidsAreIncomplete() {
        ProcessInspector inspector = new ProcessInspector(fs.root());
        for (int pid : new int[] {0, -1, 3_999_999}) {
            ProcessInfo info = inspector.inspect(pid);
            assertEquals(pid, info.pid());
            assertFalse(info.complete());
        }
        assertEquals(-1, inspector.tgidOf(3_999_999));
        assertNull(inspector.parentExe(3_999_999));
        assertEquals(fs.root(), inspector.root());
    }

    @Example
    void aKernelThreadHasNoExeAndIsComplete() {
        SimProcess k = fs.spawn(ProcessSpec.builder().kernelThread().comm("kworker/0:1-events").build());
        try {
            ProcessInfo info = new ProcessInspector(fs.root()).inspect(k.pid());
            assertNull(info.exe());
            assertEquals(List.of(), info.cmdline());
            assertEquals("kworker/0:1-events", info.comm());
            assertTrue(info.complete());
        } finally {
            fs.exit(k.pid());
        }
    }

    @Example
    void execChangesNameExeAndCommandLineButNotIdentity() {
        SimProcess p = fs.spawn(1, "bash");
        try {
            fs.addThread(p.pid());
            fs.exec(p.pid(), "/usr/bin/a-very-long-program-name", "a-very-long-program-name", "--password=hunter2");
            ProcessInfo info = new ProcessInspector(fs.root()).inspect(p.pid());
            assertEquals("a-very-long-pro", info.comm(), "the kernel keeps 15 bytes");
            assertEquals("/usr/bin/a-very-long-program-name", info.exe());
            assertEquals(List.of("a-very-long-program-name", "--password=" + CommandLines.MASK), info.cmdline());
            assertEquals(p.startTime(), info.startTime());
            assertEquals(List.of(p.pid()), fs.process(p.pid()).orElseThrow().tids(), "exec ends the other threads");
        } finally {
            fs.exit(p.pid());
        }
    }

    /** A writer spawns, reuses and ends pids while a reader inspects them: no exception, never a mixed answer. */
    @Example
    void survivesConcurrentChurn() throws InterruptedException {
        List<Integer> pids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pids.add(fs.spawn(1, "churn" + i).pid());
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        AtomicInteger rounds = new AtomicInteger();
        Thread writer = new Thread(() -> {
            try {
                for (int round = 0; round < 400 && !stop.get(); round++) {
                    int pid = pids.get(round % pids.size());
                    if (round % 3 == 0) {
                        fs.exit(pid);
                    } else {
                        fs.reusePid(pid, ProcessSpec.builder().comm("gen" + round).build());
                    }
                    rounds.incrementAndGet();
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        }, "churn-writer");
        writer.start();
        try {
            ProcessInspector inspector = new ProcessInspector(fs.root());
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (writer.isAlive() && System.nanoTime() < deadline) {
                for (int pid : pids) {
                    ProcessInfo info = inspector.inspect(pid);
                    assertEquals(pid, info.pid());
                    if (info.complete()) {
                        // a complete answer is one process: its name matches its start time's generation
                        assertTrue(info.comm().startsWith("gen") || info.comm().startsWith("churn"), info.comm());
                        assertTrue(info.startTime() > 0);
                    }
                }
            }
        } finally {
            stop.set(true);
            writer.join(Duration.ofSeconds(30).toMillis());
            pids.forEach(fs::exit);
        }
        assertNull(writerFailure.get());
        assertTrue(rounds.get() > 0);
    }

    /** Reads only our own process: what Java knows of itself must match. */
    @Example
    void inspectsOurselvesInTheRealProc() throws IOException {
        ProcessHandle self = ProcessHandle.current();
        int pid = (int) self.pid();
        ProcessInspector inspector = new ProcessInspector(Path.of("/proc"));
        ProcessInfo info = inspector.inspect(pid);

        assertTrue(info.complete(), info.toString());
        assertEquals(pid, info.pid());
        assertEquals(self.parent().map(ProcessHandle::pid).orElseThrow().intValue(), info.ppid());
        assertEquals(self.info().command().orElseThrow(), info.exe());
        UnixSystem unix = new UnixSystem();
        assertEquals(unix.getUid(), info.uid());
        assertEquals(unix.getGid(), info.gid());
        assertTrue(info.startTime() > 0);
        String comm = new String(Files.readAllBytes(Path.of("/proc/self/comm")), StandardCharsets.UTF_8).strip();
        assertEquals(comm, info.comm());
        List<String> args = new ArrayList<>();
        args.add(info.cmdline().get(0));
        args.addAll(List.of(self.info().arguments().orElseThrow()));
        assertEquals(CommandLines.redact(args), info.cmdline());
        assertEquals(self.parent().orElseThrow().info().command().orElse(null), inspector.parentExe(pid));

        // every JVM thread belongs to us
        int threads = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                int tid = Integer.parseInt(task.getFileName().toString());
                assertEquals(pid, inspector.tgidOf(tid));
                threads++;
            }
        }
        assertTrue(threads > 1);
    }

    private static ProcessInfo expected(SimProcess p) throws RuntimeException {
        ProcessSpec s = p.spec();
        String container;
        try {
            container = CgroupParser.parse(s.cgroup()).containerId();
        } catch (ProcParseException e) {
            throw new AssertionError("the testkit wrote a cgroup file the parser refuses", e);
        }
        return ProcessInfo.builder(p.pid()).ppid(s.ppid()).uid(s.uid()).gid(s.gid())
                .comm(new String(s.comm(), StandardCharsets.UTF_8)).exe(s.exe()).cmdline(s.cmdline())
                .containerId(container).startTime(p.startTime()).build();
    }

    /** Reads that record the name of each file read, in order. */
    private static ProcReads recording(List<String> names) {
        return new ProcReads() {
            @Override
            public byte[] read(Path file, int maxBytes) throws IOException {
                names.add(file.getFileName().toString());
                return ProcReads.FILES.read(file, maxBytes);
            }

            @Override
            public String readLink(Path link) throws IOException {
                names.add(link.getFileName().toString());
                return ProcReads.FILES.readLink(link);
            }
        };
    }

    /** Reads that run {@code action} once, just before read number {@code k} (0-based). */
    private static ProcReads beforeRead(int k, Runnable action) {
        AtomicInteger count = new AtomicInteger();
        return new ProcReads() {
            @Override
            public byte[] read(Path file, int maxBytes) throws IOException {
                tick();
                return ProcReads.FILES.read(file, maxBytes);
            }

            @Override
            public String readLink(Path link) throws IOException {
                tick();
                return ProcReads.FILES.readLink(link);
            }

            private void tick() {
                if (count.getAndIncrement() == k) {
                    action.run();
                }
            }
        };
    }

    @Provide
    Arbitrary<ProcessTree> trees() {
        return ProcArbitraries.processTrees(3, 2);
    }

    @Provide
    Arbitrary<ProcessSpec> specs() {
        return ProcArbitraries.processSpecs();
    }

    @Provide
    Arbitrary<List<byte[]>> threadSets() {
        return ProcArbitraries.threadSets(4);
    }
}
