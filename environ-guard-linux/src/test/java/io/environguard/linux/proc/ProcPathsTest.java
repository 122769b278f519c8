package io.environguard.linux.proc;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;
import io.environguard.testkit.KernelPaths;
import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcPathCase;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProcPathsTest {

    private static final List<String> HOST = List.of("/proc", "/mnt/proc bind");
    private static final List<String> OTHER = List.of("/run/ctr/proc", "/proc/sys/fs/binfmt_misc/proc", "/");
    private static final List<String> ALL = concat(HOST, OTHER);

    @Property
    void classifiesEveryAlias(@ForAll("paths") ProcPathCase c) {
        assertEquals(Optional.of(new ProcPath(c.mountPoint(), c.pid(), c.taskId(), c.alias(), c.file())),
                ProcPaths.classify(c.path(), ALL, HOST), c.path());
    }

    @Property
    void classifiesEveryAliasWithoutARootMount(@ForAll("pathsNoRoot") ProcPathCase c) {
        List<String> mounts = concat(HOST, OTHER.subList(0, 2));
        assertEquals(Optional.of(new ProcPath(c.mountPoint(), c.pid(), c.taskId(), c.alias(), c.file())),
                ProcPaths.classify(c.path(), mounts, HOST), c.path());
    }

    @Property
    void rejectsGarbage(@ForAll("garbage") String path) {
        assertEquals(Optional.empty(), ProcPaths.classify(path, concat(HOST, OTHER.subList(0, 2)), HOST), path);
    }

    @Example
    void examples() {
        List<String> mounts = List.of("/proc", "/run/ctr/proc");
        assertEquals(Optional.of(new ProcPath("/proc", 42, -1, AliasKind.PROCESS, ProcFile.ENVIRON)),
                ProcPaths.classify("/proc/42/environ", mounts));
        assertEquals(Optional.of(new ProcPath("/proc", 42, 43, AliasKind.TASK, ProcFile.MEM)),
                ProcPaths.classify("/proc/42/task/43/mem", mounts));
        assertEquals(Optional.of(new ProcPath("/proc", -1, -1, AliasKind.SELF, ProcFile.ENVIRON)),
                ProcPaths.classify("/proc/thread-self/environ", mounts));
        assertEquals(Optional.of(new ProcPath("/run/ctr/proc", 7, -1, AliasKind.OTHER_PROC_MOUNT, ProcFile.ENVIRON)),
                ProcPaths.classify("/run/ctr/proc/7/environ", mounts));
        assertEquals(Optional.of(new ProcPath("/proc", 42, -1, AliasKind.PROCESS, ProcFile.ENVIRON)),
                ProcPaths.classify("/proc/42/environ (deleted)", mounts));
        assertEquals(Optional.empty(), ProcPaths.classify("/proc/42/status", mounts));
        assertEquals(Optional.empty(), ProcPaths.classify("/srv/42/environ", mounts));
        assertEquals(Optional.empty(), ProcPaths.classify(null, mounts));
        // with the two-argument form, only "/proc" is the host's instance
        assertEquals(AliasKind.OTHER_PROC_MOUNT, ProcPaths.classify("/mnt/p/1/environ", List.of("/proc", "/mnt/p"))
                .orElseThrow().alias());
    }

    /** /proc/T/environ names a thread: classify says PROCESS with pid T; tgidOf tells it is a thread. */
    @Example
    void aThreadIdPathIsResolvedThroughTheInspector() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess p = fs.spawn(1, "worker");
            int tid = fs.addThread(p.pid());
            ProcPath path = ProcPaths.classify(KernelPaths.of(AliasKind.THREAD, ProcFile.ENVIRON, "/proc", p.pid(), tid),
                    List.of("/proc")).orElseThrow();
            assertEquals(new ProcPath("/proc", tid, -1, AliasKind.PROCESS, ProcFile.ENVIRON), path);
            ProcessInspector inspector = new ProcessInspector(fs.root());
            assertEquals(p.pid(), inspector.tgidOf(tid));
            assertEquals(p.pid(), inspector.tgidOf(p.pid()));
            fs.exitThread(p.pid(), tid);
            assertEquals(-1, inspector.tgidOf(tid));
        }
    }

    @Provide
    Arbitrary<ProcPathCase> paths() {
        return ProcArbitraries.procPaths(HOST, OTHER);
    }

    @Provide
    Arbitrary<ProcPathCase> pathsNoRoot() {
        return ProcArbitraries.procPaths(HOST, OTHER.subList(0, 2));
    }

    @Provide
    Arbitrary<String> garbage() {
        return ProcArbitraries.garbagePaths(concat(HOST, OTHER.subList(0, 2)));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }
}
