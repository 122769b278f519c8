package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.linux.fanotify.ProcInstance.PidNamespace;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.PidfdInfo;
import io.environguard.linux.proc.ProcReads;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.linux.process.BootClock;
import io.environguard.linux.process.ProcScanFeed;
import io.environguard.linux.process.ProcessProbe;
import io.environguard.linux.process.ProcessRecord;
import io.environguard.linux.process.ProcessTable;
import io.environguard.linux.process.ProcessTableSettings;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resolution against simulated procfs trees, through a process table filled from them: every alias, other
 * instances, vanished readers and targets, readers the table never held.
 */
class AccessResolverTest {

    private static final String HOST_NS = "pid:[4026531836]";
    private static final String CONTAINER_NS = "pid:[4026532999]";
    private static final long HOST_DEV = FdInspector.device(0, 21);
    private static final long SECOND_DEV = FdInspector.device(0, 50);
    private static final long CONTAINER_DEV = FdInspector.device(0, 60);

    /** Event times after every start time in the trees (ticks of 10 ms). */
    private static final long EVENT_NANOS = 100_000_000_000L;

    private final Path tmp = FakeProc.newRoot();
    private ProcessTable table;
    private ProcScanFeed feed;

    @org.junit.jupiter.api.AfterEach
    void deleteTrees() throws java.io.IOException {
        if (feed != null) {
            feed.close();
        }
        FakeProc.delete(tmp);
    }

    private FakeProc host;
    private FakeProc container;
    private AccessResolver resolver;

    @BeforeEach
    void setUp() {
        host = new FakeProc(tmp.resolve("host"));
        container = new FakeProc(tmp.resolve("container"));
        // target 42 with a second thread 43 and a third 44; reader 500 (cat); a containerized process 4000 = 1 there
        host.task(42, 42, 1, "sleep", "/usr/bin/sleep", 1000, List.of(42), HOST_NS)
                .task(42, 43, 1, "sleep", "/usr/bin/sleep", 1000, List.of(43), HOST_NS)
                .task(42, 44, 1, "sleep", "/usr/bin/sleep", 1000, List.of(44), HOST_NS)
                .process(500, 499, "cat", "/usr/bin/cat", 2000, List.of(500), HOST_NS)
                .process(4000, 3999, "app", "/srv/app", 3000, List.of(4000, 1), CONTAINER_NS)
                .task(4000, 4001, 3999, "app", "/srv/app", 3000, List.of(4001, 2), CONTAINER_NS)
                .process(4100, 3999, "other", "/srv/other", 3000, List.of(4100, 5), CONTAINER_NS);
        container.process(1, 0, "app", "/srv/app", 3000, List.of(1), CONTAINER_NS)
                .task(1, 2, 0, "app", "/srv/app", 3000, List.of(2), CONTAINER_NS)
                .process(7, 1, "ghost", "/srv/ghost", 3500, List.of(7), CONTAINER_NS);
        Map<String, ProcInstance> instances = new LinkedHashMap<>();
        instances.put("0:21", new ProcInstance("0:21", List.of("/proc"), host.root.toString(), null,
                PidNamespace.OURS, true, 0));
        instances.put("0:50", new ProcInstance("0:50", List.of("/tmp/p"), host.root.toString(), null,
                PidNamespace.OURS, false, 0));
        instances.put("0:60", new ProcInstance("0:60", List.of("/proc"), container.root.toString(), "mnt:[4026532998]",
                PidNamespace.OTHER, false, 0));
        ProcInstanceTracker.Snapshot snapshot = new ProcInstanceTracker.Snapshot(instances, 0);
        table = new ProcessTable(ProcessTableSettings.defaults());
        feed = ProcScanFeed.start(table, ProcessTableSettings.defaults(), ProcessProbe.portable(host.root, ProcReads.FILES),
                BootClock.fixed(0, 100));
        // The scan queued the command lines for the table's reader thread: let it read them.
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && java.util.stream.IntStream.of(42, 500, 4000)
                .anyMatch(pid -> table.live(pid).commandLineState() != ProcessRecord.CommandLineState.READ)) {
            Thread.onSpinWait();
        }
        resolver = new AccessResolver(() -> snapshot, host.root, false, ProcessInspector.BeforeOpen.NONE, feed, 0, 100, 0);
    }

    private static RawAccess.Open open(String path, long device, int readerPid) {
        return new RawAccess.Open(Instant.EPOCH, EVENT_NANOS, readerPid, -1, false, path, device, null, null);
    }

    private EnvironAccess resolve(RawAccess.Open open) {
        Optional<EnvironAccess> access = resolver.resolve(open);
        assertTrue(access.isPresent(), "no access for " + open.path());
        return access.get();
    }

    @Test
    void plainPath() {
        EnvironAccess a = resolve(open("/proc/42/environ", HOST_DEV, 500));
        assertEquals(AliasKind.PROCESS, a.alias());
        assertEquals(ProcFile.ENVIRON, a.file());
        assertEquals(42, a.target().pid());
        assertEquals(-1, a.target().tid());
        assertEquals("/usr/bin/sleep", a.target().exe());
        assertEquals(500, a.reader().pid());
        assertEquals(499, a.reader().ppid());
        assertEquals("/usr/bin/cat", a.reader().exe());
        assertEquals("fanotify", a.source());
        assertFalse(a.isSelfRead());
        assertEquals(List.of(), a.notes());
    }

    @Test
    void taskPathOfAThreadResolvesToItsProcess() {
        EnvironAccess a = resolve(open("/proc/42/task/43/environ", HOST_DEV, 500));
        assertEquals(AliasKind.TASK, a.alias());
        assertEquals(42, a.target().pid());
        assertEquals(43, a.target().tid());
    }

    @Test
    void bareThreadIdPathBecomesTheThreadAlias() {
        EnvironAccess a = resolve(open("/proc/43/environ", HOST_DEV, 500));
        assertEquals(AliasKind.THREAD, a.alias());
        assertEquals(42, a.target().pid());
        assertEquals(43, a.target().tid());
    }

    @Test
    void taskPathUnderAThreadIdResolvesToTheProcess() {
        EnvironAccess a = resolve(open("/proc/43/task/44/environ", HOST_DEV, 500));
        assertEquals(AliasKind.TASK, a.alias());
        assertEquals(42, a.target().pid());
        assertEquals(44, a.target().tid());
    }

    @Test
    void memIsItsOwnFile() {
        EnvironAccess a = resolve(open("/proc/42/mem", HOST_DEV, 500));
        assertEquals(ProcFile.MEM, a.file());
        assertEquals(42, a.target().pid());
    }

    @Test
    void aBindMountNotYetScannedIsKnownByItsDevice() {
        EnvironAccess a = resolve(open("/tmp/bind/x/42/environ", HOST_DEV, 500));
        assertEquals(AliasKind.PROCESS, a.alias());
        assertEquals(42, a.target().pid());
    }

    @Test
    void aSecondInstanceOfThisPidNamespaceKeepsItsPids() {
        EnvironAccess a = resolve(open("/tmp/p/43/environ", SECOND_DEV, 500));
        assertEquals(AliasKind.OTHER_PROC_MOUNT, a.alias());
        assertEquals(42, a.target().pid());
        assertEquals(43, a.target().tid());
        assertTrue(a.notes().get(0).contains("0:50"), a.notes().toString());
    }

    @Test
    void aContainerPidIsMappedToThisNamespaceThroughNsPid() {
        EnvironAccess a = resolve(open("/proc/1/environ", CONTAINER_DEV, 500));
        assertEquals(AliasKind.OTHER_PROC_MOUNT, a.alias());
        assertEquals(4000, a.target().pid());
        assertEquals("/srv/app", a.target().exe());
        assertTrue(a.notes().get(0).contains("is pid 4000 here"), a.notes().toString());
    }

    @Test
    void aContainerThreadIsMappedToItsHostProcessAndThread() {
        EnvironAccess a = resolve(open("/proc/1/task/2/environ", CONTAINER_DEV, 500));
        assertEquals(4000, a.target().pid());
        assertEquals(4001, a.target().tid());
        EnvironAccess bare = resolve(open("/proc/2/environ", CONTAINER_DEV, 500));
        assertEquals(4000, bare.target().pid());
        assertEquals(4001, bare.target().tid());
    }

    @Test
    void anUnmappablePidStaysNamespaceLocalWithANote() {
        EnvironAccess a = resolve(open("/proc/7/environ", CONTAINER_DEV, 500));
        assertEquals(7, a.target().pid());
        assertEquals("/srv/ghost", a.target().exe());
        assertTrue(a.notes().get(0).contains("local to the pid namespace"), a.notes().toString());
        assertFalse(a.isSelfRead());
    }

    @Test
    void equalNumbersFromTwoNamespacesAreNoSelfRead() {
        host.process(7, 1, "cat", "/usr/bin/cat", 4000, List.of(7), HOST_NS);
        EnvironAccess a = resolve(open("/proc/7/environ", CONTAINER_DEV, 7));
        assertFalse(a.isSelfRead());
        assertEquals(-1, a.target().pid());
        assertFalse(a.target().complete());
    }

    @Test
    void aProcessReadingItsOwnEnvironIsASelfRead() {
        EnvironAccess a = resolve(open("/proc/500/environ", HOST_DEV, 500));
        assertTrue(a.isSelfRead());
    }

    @Test
    void aReaderGoneBeforeTheReadKeepsItsPid() {
        EnvironAccess a = resolve(new RawAccess.Open(Instant.EPOCH, EVENT_NANOS, 600, -1, true, "/proc/42/environ", HOST_DEV, null, null));
        assertEquals(600, a.reader().pid());
        assertFalse(a.reader().complete());
        assertNull(a.reader().exe());
        assertEquals(42, a.target().pid());
        assertTrue(a.notes().get(0).contains("exited"), a.notes().toString());
    }

    @Test
    void aReaderGoneBeforeInspectionKeepsTheExeReadAtDecoding() {
        EnvironAccess a = resolve(new RawAccess.Open(Instant.EPOCH, EVENT_NANOS, 601, -1, false, "/proc/42/environ", HOST_DEV,
                "/usr/bin/dd", new PidfdInfo(601, 601, 599, 1000, 1001, 1000, 77)));
        assertEquals(601, a.reader().pid());
        assertEquals("/usr/bin/dd", a.reader().exe());
        assertEquals(599, a.reader().ppid(), "from the pidfd read with the event");
        assertEquals(1000, a.reader().uid());
        assertEquals(1001, a.reader().gid());
        assertFalse(a.reader().complete());
    }

    @Test
    void aHiddenReaderIsUnknownWithANote() {
        EnvironAccess a = resolve(new RawAccess.Open(Instant.EPOCH, EVENT_NANOS, 0, -1, false, "/proc/42/environ", HOST_DEV, null, null));
        assertFalse(a.reader().isKnown());
        assertTrue(a.notes().get(0).contains("did not name the reader"), a.notes().toString());
    }

    @Test
    void aTargetGoneBeforeResolutionKeepsThePidFromThePath() {
        EnvironAccess a = resolve(open("/proc/77/environ", HOST_DEV, 500));
        assertEquals(77, a.target().pid());
        assertFalse(a.target().complete());
        assertTrue(a.notes().get(0).contains("exited"), a.notes().toString());
    }

    @Test
    void filesThatAreNoPerProcessFileAreDropped() {
        assertEquals(Optional.empty(), resolver.resolve(open("/proc/sys/vm/mem", HOST_DEV, 500)));
        assertEquals(Optional.empty(), resolver.resolve(open("/proc/42/fdinfo/mem", HOST_DEV, 500)));
    }

    @Test
    void mountPointsAreFoundFromThePathTail() {
        assertEquals(Optional.of("/proc"), AccessResolver.mountPointOf("/proc/42/environ"));
        assertEquals(Optional.of("/tmp/b"), AccessResolver.mountPointOf("/tmp/b/42/task/43/mem"));
        assertEquals(Optional.of("/"), AccessResolver.mountPointOf("/42/environ"));
        assertEquals(Optional.of("/proc"), AccessResolver.mountPointOf("/proc/42/environ (deleted)"));
        assertEquals(Optional.of("/x"), AccessResolver.mountPointOf("/x/self/environ"));
        assertEquals(Optional.empty(), AccessResolver.mountPointOf("/proc/042/environ"));
        assertEquals(Optional.empty(), AccessResolver.mountPointOf("/proc/42/status"));
        assertEquals(Optional.empty(), AccessResolver.mountPointOf("/proc/sys/vm/mem"));
    }
}
