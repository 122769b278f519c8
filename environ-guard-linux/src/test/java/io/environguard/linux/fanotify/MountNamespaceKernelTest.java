package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.linux.KernelTestSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * New mount namespaces on the real kernel: a namespace announced through
 * {@link FanotifyHostSource#watchMountNamespaceOf} has its procfs marked without the periodic rescan (the tests
 * set the rescan to an hour), reads inside it are seen and resolved to host pids, a later procfs mount in a
 * watched namespace is marked through {@code FAN_MNT_ATTACH}, a namespace that dies leaves the table and the
 * kernel's marks, the cap holds, and the fallback without mount events still marks announced namespaces.
 *
 * <p>Every namespace, mount and process here is the test's own: mounts are made inside private namespaces the
 * test creates (they vanish with them), and every process is stopped in {@code finally}. Accesses are matched
 * by the pids started here. The latencies printed are for the record, as this thread saw them (it looks every
 * 10 ms); nothing here asserts a duration. MountNamespaceBench measures them.
 */
@Tag("kernel")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MountNamespaceKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Long enough that nothing in a test is found by the periodic rescan. */
    private static final String NO_RESCAN = "1h";

    private final Children children = new Children();
    private final List<Process> piped = new ArrayList<>();
    private final List<FanotifyHostSource> sources = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @AfterEach
    void cleanUp() throws IOException {
        try {
            for (Process p : piped) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                Children.stop(p);
            }
            children.close();
        } finally {
            sources.forEach(FanotifyHostSource::close);
            for (Path d : dirs) {
                Files.deleteIfExists(d);
            }
        }
    }

    private FanotifyHostSource start(Map<String, String> config, RecordingListener listener) throws IOException {
        Map<String, String> all = new HashMap<>(Map.of(FanotifySettings.RESCAN_INTERVAL, NO_RESCAN));
        all.putAll(config);
        FanotifyHostSource source = new FanotifyHostSource(FanotifySettings.from(GuardConfig.of(
                KernelTestSupport.ownProcessesOnly(all))));
        sources.add(source);
        source.start(listener);
        return source;
    }

    /** Starts {@code command} with stdin and stdout as pipes (stderr discarded) and a minimal environment. */
    private Process startPiped(String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        Process p = pb.start();
        piped.add(p);
        return p;
    }

    private static String readLine(Process p) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = out.readLine();
        assertNotNull(line, "process " + p.pid() + " ended before it said anything");
        return line;
    }

    private static void send(Process p, String line) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    private Path tempDir() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "eg-mntns");
        dirs.add(dir);
        return dir;
    }

    static String namespaceOf(long pid) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt")).toString();
    }

    static long inodeOf(String namespace) {
        long inode = MountNamespaceWatch.inodeOf(namespace);
        assertTrue(inode > 0, namespace);
        return inode;
    }

    /**
     * The marked procfs instance mounted at {@code mountPoint} in {@code namespace}, waiting for it (bounded). The
     * mount point matters: a new namespace starts as a copy of this one's mount table, so on a shared machine it
     * may also hold copies of procfs mounts other tests made.
     */
    private static ProcInstance awaitMarked(FanotifyHostSource source, String namespace, String mountPoint,
                                            String what) {
        return awaitMarked(source, namespace, mountPoint, what, path -> true);
    }

    /** As above, for an instance reached through a path {@code way} accepts. */
    private static ProcInstance awaitMarked(FanotifyHostSource source, String namespace, String mountPoint,
                                            String what, java.util.function.Predicate<String> way) {
        Optional<ProcInstance> found = RecordingListener.poll(() -> source.instances().byDevice().values().stream()
                .filter(i -> namespace.equals(i.mountNamespace()) && i.marked() && !i.hostInstance()
                        && i.mountPoints().contains(mountPoint) && way.test(i.accessPath())).findFirst(), WAIT);
        assertTrue(found.isPresent(), "no marked procfs instance at " + mountPoint + " in " + namespace + " " + what
                + "; instances: "
                + source.instances().byDevice().values() + "; " + source.coverage());
        return found.get();
    }

    private static MountNamespaceWatch.Watched awaitWatched(FanotifyHostSource source, String namespace) {
        long inode = inodeOf(namespace);
        Optional<MountNamespaceWatch.Watched> w = RecordingListener.poll(() -> source.mountNamespaces().namespaces()
                .stream().filter(x -> x.inode() == inode).findFirst(), WAIT);
        assertTrue(w.isPresent(), namespace + " is not watched: " + source.mountNamespaces());
        return w.get();
    }

    private static void requireMountEvents(FanotifyHostSource source) {
        assertEquals(MountNamespaceWatch.Mode.MOUNT_EVENTS, source.mountNamespaces().mode(),
                "this kernel (6.15+ expected on CI) should have mount events: " + source.mountNamespaces());
    }

    private static String us(long nanos) {
        return (nanos / 1000) + " us";
    }

    @Test
    void privateNamespaceIsMarkedOnAnnouncementAndItsReadsAreSeen() throws IOException {
        RecordingListener seen = new RecordingListener();
        FanotifyHostSource source = start(Map.of(), seen);
        requireMountEvents(source);
        Process target = children.sleeper();
        Path dir = tempDir();
        // sh is the namespace's first process: it mounts a procfs only it sees, then becomes cat, which opens the
        // target's environ there and waits on its stdin.
        Process ns = startPiped("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t proc proc " + dir + " || exit 1; echo mounted; read t; exec cat " + dir + "/$t/environ -");
        assertEquals("mounted", readLine(ns));
        String namespace = namespaceOf(ns.pid());
        assertFalse(namespace.equals(namespaceOf(ProcessHandle.current().pid())));

        long announced = System.nanoTime();
        source.watchMountNamespaceOf((int) ns.pid(), inodeOf(namespace));
        ProcInstance instance = awaitMarked(source, namespace, dir.toString(), "after its announcement");
        System.out.println("private namespace: procfs mark seen " + us(System.nanoTime() - announced)
                + " after the announcement (by this thread, which looks every 10 ms)");
        assertTrue(instance.mountPoints().contains(dir.toString()), instance.toString());
        assertEquals(ProcInstance.PidNamespace.OURS, instance.pidNamespace(), instance.toString());
        MountNamespaceWatch.Watched w = awaitWatched(source, namespace);
        assertTrue(w.marked(), w.toString());

        send(ns, Long.toString(target.pid()));
        EnvironAccess a = seen.awaitAccess("by cat in the private namespace",
                x -> x.reader().pid() == ns.pid() && x.target().pid() == target.pid(), WAIT);
        assertEquals(dir + "/" + target.pid() + "/environ", a.path());
        assertEquals(Children.exeOf(target.pid()), a.target().exe());
    }

    @Test
    void rootlessNamespaceIsMarkedOnAnnouncementAndItsPid1IsMappedToTheHost() throws IOException {
        RecordingListener seen = new RecordingListener();
        FanotifyHostSource source = start(Map.of(), seen);
        requireMountEvents(source);
        // New user, mount and pid namespaces, procfs mounted by unshare; sh is pid 1 there. After "go" it starts
        // cat (pid 2 there), which reads pid 1's environ and then waits on the stdin it shares with sh.
        Process unshare = startPiped("unshare", "-Urpf", "--mount-proc", "sh", "-c",
                "echo ready; read go; cat /proc/1/environ -");
        assertEquals("ready", readLine(unshare));
        int sh = awaitChild(unshare.pid(), "sh");
        String namespace = namespaceOf(sh);

        long announced = System.nanoTime();
        source.watchMountNamespaceOf(sh, inodeOf(namespace));
        ProcInstance instance = awaitMarked(source, namespace, "/proc", "after its announcement");
        System.out.println("rootless namespace: procfs mark seen " + us(System.nanoTime() - announced)
                + " after the announcement (by this thread, which looks every 10 ms)");
        assertEquals(ProcInstance.PidNamespace.OTHER, instance.pidNamespace(), instance.toString());
        MountNamespaceWatch.Watched w = awaitWatched(source, namespace);
        assertTrue(w.marked(), "a rootless namespace is markable by root of the initial user namespace: " + w);
        assertTrue(w.foreignOwner(), "owned by the new user namespace: " + w);
        assertTrue(source.coverage().watching().stream().anyMatch(l -> l.contains("owned by another user namespace")),
                source.coverage().toString());

        send(unshare, "go");
        int cat = awaitChild(sh, "cat");
        EnvironAccess a = seen.awaitAccess("of pid 1 by cat in the rootless namespace",
                x -> x.reader().pid() == cat && x.path().equals("/proc/1/environ"), WAIT);
        assertEquals(AliasKind.OTHER_PROC_MOUNT, a.alias());
        assertEquals(sh, a.target().pid(), "pid 1 there is sh here: " + a);
        assertEquals(sh, a.reader().ppid(), a.toString());
        assertTrue(a.notes().stream().anyMatch(n -> n.contains("is pid " + sh + " here") && n.contains(namespace)),
                a.notes().toString());
        assertFalse(a.isSelfRead());
    }

    @Test
    void aLaterProcMountInAWatchedNamespaceIsMarkedThroughItsAttachEvent() throws IOException {
        RecordingListener seen = new RecordingListener();
        FanotifyHostSource source = start(Map.of(), seen);
        requireMountEvents(source);
        Process target = children.sleeper();
        Path dir = tempDir();
        Process ns = startPiped("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "echo ready; read x; mount -t proc proc " + dir + " || exit 1; echo mounted; read t;"
                        + " exec cat " + dir + "/$t/environ -");
        assertEquals("ready", readLine(ns));
        String namespace = namespaceOf(ns.pid());
        source.watchMountNamespaceOf((int) ns.pid(), inodeOf(namespace));
        assertTrue(awaitWatched(source, namespace).marked());
        long procAttachesBefore = source.mountNamespaces().procAttaches();

        send(ns, "mount");
        assertEquals("mounted", readLine(ns));
        long mounted = System.nanoTime();
        ProcInstance instance = awaitMarked(source, namespace, dir.toString(), "after a procfs was mounted there");
        System.out.println("later mount: procfs mark seen " + us(System.nanoTime() - mounted)
                + " after the shell reported the mount (by this thread, which looks every 10 ms)");
        assertTrue(instance.mountPoints().contains(dir.toString()), instance.toString());
        assertTrue(source.mountNamespaces().procAttaches() > procAttachesBefore,
                "found through a FAN_MNT_ATTACH event: " + source.mountNamespaces());

        send(ns, Long.toString(target.pid()));
        seen.awaitAccess("by cat through the procfs mounted later",
                x -> x.reader().pid() == ns.pid() && x.target().pid() == target.pid(), WAIT);
    }

    @Test
    void aProcfsOnTheDeviceNumberOfOneThatWentIsMarkedAgain() throws IOException, InterruptedException {
        RecordingListener seen = new RecordingListener();
        FanotifyHostSource source = start(Map.of(), seen);
        String[] devices = new String[2];
        for (int round = 0; round < 2; round++) {
            // Anonymous device numbers are handed out lowest first, so the second procfs usually gets the number
            // the first one had; the guard must not take it for the instance it already marked.
            Process unshare = startPiped("unshare", "-Urpf", "--mount-proc", "sh", "-c",
                    "echo ready; read go; cat /proc/1/environ -");
            assertEquals("ready", readLine(unshare));
            int sh = awaitChild(unshare.pid(), "sh");
            String namespace = namespaceOf(sh);
            source.watchMountNamespaceOf(sh, inodeOf(namespace));
            devices[round] = awaitMarked(source, namespace, "/proc", "in round " + round).device();
            send(unshare, "go");
            int cat = awaitChild(sh, "cat");
            EnvironAccess a = seen.awaitAccess("of pid 1 by cat in round " + round,
                    x -> x.reader().pid() == cat && x.path().equals("/proc/1/environ"), WAIT);
            assertEquals(sh, a.target().pid(), a.toString());
            unshare.descendants().forEach(ProcessHandle::destroyForcibly);
            Children.stop(unshare);
        }
        System.out.println("procfs devices of the two rounds: " + devices[0] + ", " + devices[1]
                + (devices[0].equals(devices[1]) ? " (reused)" : " (not reused this time)"));
    }

    @Test
    void aNamespaceOnlyTheRescanFindsIsMarkedEvenOnAReusedDeviceNumber() throws IOException {
        // Nothing announced and no mount events: only the periodic rescan finds the namespaces, and it must not
        // take the second procfs for the first when it gets the first one's device number.
        RecordingListener seen = new RecordingListener();
        FanotifyHostSource source = start(Map.of(FanotifySettings.MOUNT_EVENTS, "false",
                FanotifySettings.RESCAN_INTERVAL, "200ms"), seen);
        String[] devices = new String[2];
        for (int round = 0; round < 2; round++) {
            Process unshare = startPiped("unshare", "-Urpf", "--mount-proc", "sh", "-c",
                    "echo ready; read go; cat /proc/1/environ -");
            assertEquals("ready", readLine(unshare));
            int sh = awaitChild(unshare.pid(), "sh");
            // Through this round's processes: the kernel hands out namespace inodes, like device numbers, lowest
            // first, so the last round's instance (kept for one more rescan) can bear this round's namespace and
            // device too, and is not this round's mark.
            Set<String> ways = Set.of("/proc/" + unshare.pid() + "/", "/proc/" + sh + "/");
            devices[round] = awaitMarked(source, namespaceOf(sh), "/proc", "by the rescan in round " + round,
                    path -> ways.stream().anyMatch(path::startsWith)).device();
            send(unshare, "go");
            int cat = awaitChild(sh, "cat");
            EnvironAccess a = seen.awaitAccess("of pid 1 by cat in round " + round,
                    x -> x.reader().pid() == cat && x.path().equals("/proc/1/environ"), WAIT);
            assertEquals(sh, a.target().pid(), a.toString());
            unshare.descendants().forEach(ProcessHandle::destroyForcibly);
            Children.stop(unshare);
        }
        System.out.println("procfs devices of the two rounds (rescan only): " + devices[0] + ", " + devices[1]);
    }

    @Test
    void aNamespaceThatDiesIsReleased() throws IOException, InterruptedException {
        FanotifyHostSource source = start(Map.of(FanotifySettings.RESCAN_INTERVAL, "300ms"), new RecordingListener());
        requireMountEvents(source);
        Process ns = startPiped("unshare", "--mount", "--propagation", "private", "sh", "-c", "echo ready; read x");
        assertEquals("ready", readLine(ns));
        String namespace = namespaceOf(ns.pid());
        long inode = inodeOf(namespace);
        source.watchMountNamespaceOf((int) ns.pid(), inode);
        assertTrue(awaitWatched(source, namespace).marked());
        int groupFd = source.mountGroupFd();
        assertTrue(GroupMarks.mountNamespaces(groupFd).contains(inode), "the kernel lists the mark");
        assertFalse(openDescriptorsOf(namespace), "no descriptor of the namespace is kept open");
        long releasedBefore = source.mountNamespaces().released();

        send(ns, "exit");
        assertTrue(ns.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
        Optional<Boolean> gone = RecordingListener.poll(() -> source.mountNamespaces().namespaces().stream()
                .noneMatch(w -> w.inode() == inode) ? Optional.of(true) : Optional.empty(), WAIT);
        assertTrue(gone.isPresent(), "still watched after it died: " + source.mountNamespaces());
        assertTrue(source.mountNamespaces().released() > releasedBefore, source.mountNamespaces().toString());
        assertFalse(GroupMarks.mountNamespaces(groupFd).contains(inode), "the kernel dropped the mark with it");
    }

    @Test
    void beyondTheCapANamespaceIsStillMarkedButNotWatched() throws IOException {
        FanotifyHostSource source = start(Map.of(FanotifySettings.MAX_MOUNT_NAMESPACES, "2",
                FanotifySettings.OTHER_NAMESPACES, "true"), new RecordingListener());
        requireMountEvents(source);
        // The table holds this process's own namespace plus one other: whichever two others come first (a
        // foreign namespace met by the first rescan may take the free place), at least one of ours is beyond it.
        List<String> namespaces = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path dir = tempDir();
            Process ns = startPiped("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    "mount -t proc proc " + dir + " || exit 1; echo mounted; read x");
            assertEquals("mounted", readLine(ns));
            String namespace = namespaceOf(ns.pid());
            namespaces.add(namespace);
            source.watchMountNamespaceOf((int) ns.pid(), inodeOf(namespace));
            awaitMarked(source, namespace, dir.toString(), "after its announcement, watched or not");
        }
        MountNamespaceWatch.State state = source.mountNamespaces();
        assertTrue(state.namespaces().size() <= 2, state.toString());
        assertTrue(state.beyondCap() >= 1, state.toString());
        long watchedOfOurs = namespaces.stream().filter(n -> state.namespaces().stream()
                .anyMatch(w -> w.inode() == inodeOf(n))).count();
        assertTrue(watchedOfOurs <= 1, state.toString());
        assertTrue(source.coverage().blindSpots().stream().anyMatch(b -> b.contains("beyond the cap of 2")),
                source.coverage().toString());
    }

    @Test
    void withoutMountEventsAnAnnouncedNamespaceIsStillMarkedAtOnce() throws IOException {
        RecordingListener seen = new RecordingListener();
        FanotifyHostSource source = start(Map.of(FanotifySettings.MOUNT_EVENTS, "false"), seen);
        assertEquals(MountNamespaceWatch.Mode.POLLING, source.mountNamespaces().mode());
        assertTrue(source.coverage().watching().stream().anyMatch(l -> l.contains("POLLPRI on /proc/self/mountinfo")
                && l.contains(FanotifySettings.MOUNT_EVENTS + "=false")), source.coverage().toString());
        assertTrue(source.coverage().blindSpots().stream().anyMatch(b -> b.contains("without mount events")),
                source.coverage().toString());
        assertEquals(-1, source.mountGroupFd());
        Process target = children.sleeper();
        Path dir = tempDir();
        Process ns = startPiped("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t proc proc " + dir + " || exit 1; echo mounted; read t; exec cat " + dir + "/$t/environ -");
        assertEquals("mounted", readLine(ns));
        String namespace = namespaceOf(ns.pid());
        source.watchMountNamespaceOf((int) ns.pid(), inodeOf(namespace));
        awaitMarked(source, namespace, dir.toString(), "after its announcement, without mount events");
        send(ns, Long.toString(target.pid()));
        seen.awaitAccess("by cat in the private namespace",
                x -> x.reader().pid() == ns.pid() && x.target().pid() == target.pid(), WAIT);
    }

    @Test
    void ownNamespaceIsWatchedByMountEventsAndCoverageSaysSo() throws IOException {
        FanotifyHostSource source = start(Map.of(), new RecordingListener());
        requireMountEvents(source);
        MountNamespaceWatch.State state = source.mountNamespaces();
        assertTrue(state.namespaces().stream().anyMatch(w -> w.own() && w.marked()), state.toString());
        long ownInode = inodeOf(namespaceOf(ProcessHandle.current().pid()));
        assertTrue(GroupMarks.mountNamespaces(source.mountGroupFd()).contains(ownInode));
        List<String> watching = source.coverage().watching();
        assertTrue(watching.stream().anyMatch(l -> l.contains("FAN_MNT_ATTACH")), watching.toString());
        assertTrue(source.coverage().blindSpots().stream().anyMatch(b -> b.contains("until the namespace is announced")),
                source.coverage().toString());
        source.close();
        assertEquals(-1, source.mountGroupFd());
    }

    /** Whether any descriptor of this JVM refers to {@code namespace}. */
    private static boolean openDescriptorsOf(String namespace) throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals(namespace);
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    /** The first child of {@code parent} running {@code exeName}, waiting for it (bounded). */
    static int awaitChild(long parent, String exeName) {
        int[] child = new int[1];
        Children.await(exeName + " under " + parent, () -> {
            for (int kid : Children.childrenOf(parent)) {
                String exe = Children.exeOf(kid);
                if (exe != null && (exe.endsWith("/" + exeName) || exe.endsWith("/dash") && exeName.equals("sh"))) {
                    child[0] = kid;
                    return true;
                }
            }
            return false;
        }, WAIT);
        return child[0];
    }
}
