package io.environguard.testkit;

import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * jqwik arbitraries for {@code /proc} worlds: odd process names, process specs and trees, lineages, thread sets,
 * fd tables (huge ones too), container cgroup files, proc paths (good and garbage) and access scripts.
 * Generation is cheap: no I/O; spawn the results into a {@link SimulatedProcFs}.
 *
 * <p>Paths (exe, fd targets, mount points used as paths) are ASCII so that they read back identically
 * whatever the JVM's {@code sun.jnu.encoding}; names and file contents use any bytes.
 *
 * <pre>{@code
 * @Property
 * void survivesOddNames(@ForAll("comms") byte[] comm) throws Exception {
 *     byte[] stat = ProcFormats.stat(42, comm, 'S', 1, 35021, 1, 0, 0);
 *     assertEquals(new String(comm, UTF_8), ProcStatParser.parse(stat).comm());
 * }
 * @Provide Arbitrary<byte[]> comms() { return ProcArbitraries.oddComms(); }
 * }</pre>
 */
public final class ProcArbitraries {

    /** The longest name {@link #oddComms()} makes; the kernel keeps 15 bytes, workqueue names up to 63. */
    public static final int MAX_COMM_BYTES = 64;

    private static final String HEX = "0123456789abcdef";
    private static final List<byte[]> TRICKY_COMMS = List.of(
            bytes(""), bytes(")"), bytes("("), bytes(") "), bytes("a) S 1 2 ("), bytes("(sd-pam)"),
            bytes("Web Content (pid 7)"), bytes("x\n) R 5 6"), bytes("\\n"), bytes("a\\b"), bytes(" "),
            bytes("))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))"),
            new byte[] {(byte) 0xff, (byte) 0xfe, ')'}, new byte[] {(byte) 0xc3, (byte) 0x28}, bytes("kworker/0:1-events"),
            bytes("1 (2) S 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22\n"));

    private ProcArbitraries() {
    }

    // ---------------------------------------------------------------- names and processes

    /**
     * Process names ({@code comm}) of 0 to {@value #MAX_COMM_BYTES} bytes, biased to what breaks parsers:
     * spaces, parentheses, newlines, backslashes, tabs, bytes that are not UTF-8; never NUL.
     *
     * @return names as raw bytes; a fifth of them from a fixed list of known parser breakers
     */
    public static Arbitrary<byte[]> oddComms() {
        Arbitrary<Byte> printable = Arbitraries.bytes().between((byte) 0x21, (byte) 0x7e);
        Arbitrary<Byte> special = Arbitraries.of((byte) ' ', (byte) ')', (byte) '(', (byte) '\n', (byte) '\\',
                (byte) '\t', (byte) ':');
        Arbitrary<Byte> high = Arbitraries.bytes().between((byte) 0x80, (byte) 0xff);
        Arbitrary<Byte> control = Arbitraries.bytes().between((byte) 1, (byte) 0x1f);
        Arbitrary<byte[]> generated = Arbitraries.frequencyOf(
                        Tuple.of(5, printable), Tuple.of(3, special), Tuple.of(2, high), Tuple.of(1, control))
                .list().ofMaxSize(MAX_COMM_BYTES).map(ProcArbitraries::toBytes);
        return Arbitraries.frequencyOf(Tuple.of(8, generated), Tuple.of(2, Arbitraries.of(TRICKY_COMMS).map(byte[]::clone)));
    }

    /**
     * @return absolute, normalized ASCII paths of executables, 1 to 4 segments, some with spaces or parentheses, one in
     *         ten ending with {@code " (deleted)"}
     */
    public static Arbitrary<String> exePaths() {
        Arbitrary<String> path = pathSegments().list().ofMinSize(1).ofMaxSize(4).map(s -> "/" + String.join("/", s));
        return Combinators.combine(path, Arbitraries.integers().between(0, 9))
                .as((p, deleted) -> deleted == 0 ? p + " (deleted)" : p);
    }

    /**
     * @return command lines of 0 to 6 non-empty arguments (any non-NUL text), sometimes with secrets to redact
     */
    public static Arbitrary<List<String>> cmdlines() {
        Arbitrary<String> plain = Arbitraries.strings().withCharRange(' ', '~').withCharRange('\u00e0', '\u00ff')
                .withCharRange('\u4e00', '\u4e10').ofMinLength(1).ofMaxLength(24);
        Arbitrary<String> secretish = Arbitraries.of("--password=hunter2", "--token", "s3cr3t", "https://u:pw@host/x",
                "API_KEY=abc", "-p");
        return Arbitraries.frequencyOf(Tuple.of(6, plain), Tuple.of(1, secretish)).list().ofMaxSize(6);
    }

    /**
     * Specs of user processes (odd names, exe, command line, uid/gid, a container or host cgroup, an environ
     * of up to 2 KiB) and, one time in twelve, kernel threads (no exe, no command line).
     *
     * @return specs to spawn with {@link SimulatedProcFs#spawn(ProcessSpec)}
     */
    public static Arbitrary<ProcessSpec> processSpecs() {
        Arbitrary<Integer> ids = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.of(0, 65534, 1000)),
                Tuple.of(3, Arbitraries.integers().between(0, 70_000)));
        Arbitrary<Boolean> kernelThread = Arbitraries.integers().between(0, 11).map(i -> i == 0);
        return Combinators.combine(oddComms(), exePaths(), cmdlines(), ids, ids, containerCgroups(),
                        Arbitraries.integers().between(0, 2048), kernelThread)
                .as((comm, exe, args, uid, gid, cgroup, environSize, kthread) -> {
                    ProcessSpec.Builder b = ProcessSpec.builder().comm(comm).exe(exe).cmdline(args).uid(uid).gid(gid)
                            .cgroup(cgroup.file()).environSize(environSize);
                    return kthread ? b.kernelThread().comm(comm).build() : b.build();
                });
    }

    /**
     * Process trees at most {@code maxDepth} deep (1 = a single process) with at most {@code maxChildren}
     * children per process. Keep both small: spawning costs a few dozen file operations per process.
     *
     * @param maxDepth    the most levels, at least 1
     * @param maxChildren the most children of one process, 0 or more
     * @return trees to spawn with {@link SimulatedProcFs#spawnTree(int, ProcessTree)}
     * @throws IllegalArgumentException when {@code maxDepth} is below 1 or {@code maxChildren} negative
     */
    public static Arbitrary<ProcessTree> processTrees(int maxDepth, int maxChildren) {
        if (maxDepth < 1 || maxChildren < 0) {
            throw new IllegalArgumentException("maxDepth >= 1, maxChildren >= 0");
        }
        if (maxDepth == 1) {
            return processSpecs().map(ProcessTree::leaf);
        }
        return Combinators.combine(processSpecs(), processTrees(maxDepth - 1, maxChildren).list().ofMaxSize(maxChildren))
                .as(ProcessTree::new);
    }

    /** Names of host init and of the usual container inits, which end a lineage. */
    private static final List<Ancestor> INITS = List.of(
            new Ancestor(1, 1, "systemd", "/usr/lib/systemd/systemd"), new Ancestor(1, 2, "init", "/sbin/init"));
    private static final List<String[]> CONTAINER_INITS = List.of(new String[] {"tini", "/usr/bin/tini"},
            new String[] {"dumb-init", "/usr/bin/dumb-init"}, new String[] {"sh", "/bin/sh"}, new String[] {"java", "/opt/java/bin/java"});

    /**
     * Lineages as a process table reports them ({@link ProcessInfo#ancestors()}): 1 to
     * {@value ProcessInfo#MAX_ANCESTORS} ancestors, parent first, with distinct pids and start times that fall
     * going up (a parent starts before its child), ending at the host's init (pid 1) or at a container's init
     * (another pid, {@code tini}, {@code dumb-init}...) when shorter than the cap; names with any character
     * (spaces, {@code )}, newlines, bytes that are not UTF-8, decoded as the JVM would), an executable unknown one
     * time in ten.
     *
     * <pre>{@code
     * @Property
     * void anAncestorRuleMatchesAnyLevel(@ForAll("lineages") List<Ancestor> lineage) { ... }
     * @Provide Arbitrary<List<Ancestor>> lineages() { return ProcArbitraries.lineages(); }
     * }</pre>
     *
     * @return lineages, unmodifiable, parent first
     */
    public static Arbitrary<List<Ancestor>> lineages() {
        Arbitrary<String> comm = oddComms().map(b -> new String(b, StandardCharsets.UTF_8));
        Arbitrary<String> exe = exePaths().injectNull(0.1);
        Arbitrary<Tuple.Tuple2<String, String>> level = Combinators.combine(comm, exe).as(Tuple::of);
        Arbitrary<Ancestor> containerInit = Combinators.combine(Arbitraries.of(CONTAINER_INITS),
                        Arbitraries.integers().between(3, 4_194_304), Arbitraries.longs().between(10, 500))
                .as((n, pid, start) -> new Ancestor(pid, start, n[0], n[1]));
        Arbitrary<Ancestor> end = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(INITS)), Tuple.of(1, containerInit));
        return Combinators.combine(level.list().ofMaxSize(ProcessInfo.MAX_ANCESTORS - 1), end,
                        Arbitraries.integers().between(2, 4_000_000).set().ofSize(ProcessInfo.MAX_ANCESTORS),
                        Arbitraries.longs().between(100_000, 100_000_000L))
                .as((levels, init, pids, youngest) -> {
                    List<Integer> freePids = new ArrayList<>(pids);
                    freePids.remove(Integer.valueOf(init.pid()));
                    List<Ancestor> chain = new ArrayList<>(levels.size() + 1);
                    long start = youngest;
                    for (int i = 0; i < levels.size(); i++) {
                        chain.add(new Ancestor(freePids.get(i), start, levels.get(i).get1(), levels.get(i).get2()));
                        start = Math.max(init.startTime() + 1, start - 1 - (start / 3));
                    }
                    chain.add(init);
                    return List.copyOf(chain);
                });
    }

    /**
     * @param maxThreads the most extra threads
     * @return the names of 0 to {@code maxThreads} extra threads, for {@link SimulatedProcFs#addThread(int, byte[])}
     */
    public static Arbitrary<List<byte[]>> threadSets(int maxThreads) {
        return oddComms().list().ofMaxSize(maxThreads);
    }

    // ---------------------------------------------------------------- file descriptors

    /**
     * @return link targets as the kernel prints them: devices, sockets, pipes, anon inodes, files (some deleted),
     *         environ and mem paths through the process and task aliases
     */
    public static Arbitrary<String> fdTargets() {
        Arbitrary<Long> inode = Arbitraries.longs().between(1, 4_000_000_000L);
        Arbitrary<Integer> pid = Arbitraries.integers().between(1, 99_999);
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("/dev/null", "/dev/pts/0", "/dev/urandom", "/")),
                Tuple.of(3, inode.map(i -> "socket:[" + i + "]")),
                Tuple.of(2, inode.map(i -> "pipe:[" + i + "]")),
                Tuple.of(1, Arbitraries.of("anon_inode:[eventfd]", "anon_inode:[eventpoll]", "anon_inode:inotify",
                        "anon_inode:[pidfd]", "anon_inode:[timerfd]")),
                Tuple.of(1, inode.map(i -> "net:[" + i + "]")),
                Tuple.of(3, exePaths()),
                Tuple.of(1, Arbitraries.of("/memfd:jit (deleted)", "/tmp/x (deleted)")),
                Tuple.of(2, Combinators.combine(pid, pid, Arbitraries.of(ProcFile.class), Arbitraries.of(
                        AliasKind.PROCESS, AliasKind.TASK)).as((p, t, f, a) -> KernelPaths.of(a, f, KernelPaths.PROC, p, t))));
    }

    /**
     * Fd tables of {@code minSize} to {@code maxSize} descriptors: ascending numbers from 0 with occasional
     * gaps, targets from {@link #fdTargets()}. {@code fdTables(5000, 5000)} makes a huge one.
     *
     * @param minSize the fewest descriptors
     * @param maxSize the most descriptors
     * @return tables in ascending descriptor order, for {@link SimulatedProcFs#openFds(int, java.util.Collection)}
     */
    public static Arbitrary<List<FdSpec>> fdTables(int minSize, int maxSize) {
        Arbitrary<Integer> gap = Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(0)),
                Tuple.of(1, Arbitraries.integers().between(1, 1000)));
        return Combinators.combine(gap, fdTargets()).as(Tuple::of).list().ofMinSize(minSize).ofMaxSize(maxSize)
                .map(entries -> {
                    List<FdSpec> table = new ArrayList<>(entries.size());
                    int fd = -1;
                    for (Tuple.Tuple2<Integer, String> e : entries) {
                        fd += 1 + e.get1();
                        table.add(new FdSpec(fd, e.get2()));
                    }
                    return table;
                });
    }

    // ---------------------------------------------------------------- cgroups

    /**
     * Whole {@code /proc/P/cgroup} files with the container they name: docker, containerd (CRI), podman
     * (rootful and rootless), cri-o, lxc, bare Kubernetes and containerd ids, in cgroup v2, v1 and hybrid
     * layouts, nested docker; and host files (sessions, services, conmon and lxc monitors) with none.
     *
     * @return cases: the file and the runtime and container id a parser must find ({@code null} on the host)
     */
    public static Arbitrary<CgroupCase> containerCgroups() {
        Arbitrary<String> id = Arbitraries.strings().withChars(HEX).ofLength(64);
        Arbitrary<String> podUid = Arbitraries.strings().withChars(HEX).ofLength(32)
                .map(h -> h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-"
                        + h.substring(16, 20) + "-" + h.substring(20));
        Arbitrary<String> qos = Arbitraries.of("", "burstable", "besteffort");
        Arbitrary<String> name = Combinators.combine(Arbitraries.chars().range('a', 'z'),
                Arbitraries.strings().withCharRange('a', 'z').withChars("0123456789-").ofMaxLength(15)).as((c, s) -> c + s);
        Arbitrary<Layout> layout = Arbitraries.of(Layout.class);
        Arbitrary<String> inner = Arbitraries.of("", "", "/init.scope", "/system.slice/cron.service");

        List<Arbitrary<CgroupCase>> cases = List.of(
                Combinators.combine(id, layout).as((i, l) -> l.file("docker systemd", "/system.slice/docker-" + i + ".scope", "docker", i)),
                Combinators.combine(id, layout).as((i, l) -> l.file("docker cgroupfs", "/docker/" + i, "docker", i)),
                Combinators.combine(id, id, layout).as((outer, i, l) -> l.file("docker in docker",
                        "/docker/" + outer + "/docker/" + i, "docker", i)),
                Combinators.combine(id, podUid, qos, layout).as((i, pod, q, l) -> l.file("kubernetes containerd systemd",
                        kubeSlice(q, pod) + "/cri-containerd-" + i + ".scope", "containerd", i)),
                Combinators.combine(id, podUid, qos, layout).as((i, pod, q, l) -> l.file("kubernetes docker systemd",
                        kubeSlice(q, pod) + "/docker-" + i + ".scope", "docker", i)),
                Combinators.combine(id, podUid, qos, layout).as((i, pod, q, l) -> l.file("kubernetes cri-o systemd",
                        kubeSlice(q, pod) + "/crio-" + i + ".scope", "crio", i)),
                Combinators.combine(id, podUid, qos, layout).as((i, pod, q, l) -> l.file("kubernetes cri-o cgroupfs",
                        kubeDir(q, pod) + "/crio-" + i, "crio", i)),
                Combinators.combine(id, podUid, qos, layout).as((i, pod, q, l) -> l.file("kubernetes cgroupfs",
                        kubeDir(q, pod) + "/" + i, "kubepods", i)),
                Combinators.combine(id, Arbitraries.of("", "/container"), layout).as((i, sub, l) -> l.file("podman rootful",
                        "/machine.slice/libpod-" + i + ".scope" + sub, "podman", i)),
                Combinators.combine(id, Arbitraries.integers().between(1000, 60000)).as((i, uid) -> Layout.V2.file(
                        "podman rootless", "/user.slice/user-" + uid + ".slice/user@" + uid + ".service/user.slice/libpod-"
                                + i + ".scope/container", "podman", i)),
                id.map(i -> Layout.V1.file("podman v1", "/libpod_parent/libpod-" + i, "podman", i)),
                Combinators.combine(name, inner, layout).as((n, sub, l) -> l.file("lxc payload", "/lxc.payload." + n + sub, "lxc", n)),
                Combinators.combine(name, inner).as((n, sub) -> Layout.V1.file("lxc v1", "/lxc/" + n + sub, "lxc", n)),
                id.map(i -> Layout.V2.file("containerd namespace", "/default/" + i, "unknown", i)),
                // the host
                Combinators.combine(Arbitraries.integers().between(1, 99999), Arbitraries.integers().between(1, 999), layout)
                        .as((uid, session, l) -> l.file("host session", "/user.slice/user-" + uid + ".slice/session-" + session
                                + ".scope", null, null)),
                Combinators.combine(Arbitraries.of("/", "/init.scope", "/system.slice/sshd.service",
                        "/system.slice/containerd.service", "/system.slice/docker.service", "/kubepods.slice"), layout)
                        .as((p, l) -> l.file("host service", p, null, null)),
                Combinators.combine(id, layout).as((i, l) -> l.file("podman conmon", "/machine.slice/libpod-conmon-" + i + ".scope", null, null)),
                Combinators.combine(id, layout).as((i, l) -> l.file("cri-o conmon", "/system.slice/crio-conmon-" + i + ".scope", null, null)),
                Combinators.combine(name, layout).as((n, l) -> l.file("lxc monitor", "/lxc.monitor." + n, null, null)),
                Arbitraries.strings().withChars(HEX).ofLength(32).map(h -> Layout.V1.file("sandbox", "/process_api/" + h, null, null)));
        return Arbitraries.oneOf(cases);
    }

    private static String kubeSlice(String qos, String podUid) {
        String pod = podUid.replace('-', '_');
        return qos.isEmpty()
                ? "/kubepods.slice/kubepods-pod" + pod + ".slice"
                : "/kubepods.slice/kubepods-" + qos + ".slice/kubepods-" + qos + "-pod" + pod + ".slice";
    }

    private static String kubeDir(String qos, String podUid) {
        return "/kubepods" + (qos.isEmpty() ? "" : "/" + qos) + "/pod" + podUid;
    }

    /** How the kernel lays out {@code /proc/P/cgroup}. */
    private enum Layout {
        /** cgroup v2 only: one {@code 0::} line. */
        V2,
        /** legacy v1: one line per hierarchy, no {@code 0::}. */
        V1,
        /** hybrid: v1 hierarchies plus the unified {@code 0::} line (systemd's path there). */
        HYBRID;

        CgroupCase file(String description, String path, String runtime, String containerId) {
            String v1 = "12:pids:" + path + "\n11:memory:" + path + "\n10:cpu,cpuacct:" + path + "\n9:devices:" + path
                    + "\n4:freezer:" + path + "\n1:name=systemd:" + path + "\n";
            String content;
            switch (this) {
                case V2:
                    content = "0::" + path + "\n";
                    break;
                case V1:
                    content = v1;
                    break;
                default:
                    content = v1 + "0::/\n";
            }
            return new CgroupCase(description + " " + name().toLowerCase(java.util.Locale.ROOT),
                    content.getBytes(StandardCharsets.UTF_8), runtime, containerId);
        }
    }

    // ---------------------------------------------------------------- paths and mounts

    /**
     * Mount points for proc mounts: absolute, with spaces, tabs, newlines, backslashes and non-ASCII letters,
     * which {@code mountinfo} must escape and a reader must unescape.
     *
     * @return mount points of 1 to 4 segments, unescaped
     */
    public static Arbitrary<String> mountPoints() {
        Arbitrary<String> segment = Arbitraries.strings().withCharRange('a', 'z').withChars(" \t\n\\#:é")
                .ofMinLength(1).ofMaxLength(10);
        return segment.list().ofMinSize(1).ofMaxSize(4).map(s -> "/" + String.join("/", s));
    }

    /**
     * Paths to {@code environ}/{@code mem} under {@code hostMounts} (the host's procfs and its bind mounts)
     * or {@code otherMounts} (other instances), through every alias a path can show, with the expected
     * classification; one in ten ends with {@code " (deleted)"}.
     *
     * @param hostMounts  mount points of the host's procfs; {@code /} allowed
     * @param otherMounts mount points of other procfs instances; may be empty
     * @return paths with the mount, pid, tid, alias and file a classifier must find ({@code -1} where the path names
     *         none)
     */
    public static Arbitrary<ProcPathCase> procPaths(List<String> hostMounts, List<String> otherMounts) {
        List<Tuple.Tuple2<String, Boolean>> mounts = new ArrayList<>();
        hostMounts.forEach(m -> mounts.add(Tuple.of(m, true)));
        otherMounts.forEach(m -> mounts.add(Tuple.of(m, false)));
        Arbitrary<Integer> id = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.integers().between(1, 99_999)),
                Tuple.of(1, Arbitraries.of(1, 2, 4_194_304, Integer.MAX_VALUE)));
        Arbitrary<Integer> shape = Arbitraries.integers().between(0, 4);
        Arbitrary<Boolean> deleted = Arbitraries.integers().between(0, 9).map(i -> i == 0);
        return Combinators.combine(Arbitraries.of(mounts), shape, id, id, Arbitraries.of(ProcFile.class), deleted)
                .as((mount, s, pid, tid, file, del) -> {
                    String m = mount.get1();
                    String prefix = m.equals("/") ? "" : m;
                    String name = "/" + file.id() + (del ? " (deleted)" : "");
                    boolean host = mount.get2();
                    switch (s) {
                        case 0:
                            return new ProcPathCase(prefix + "/" + pid + name, m, pid, -1,
                                    host ? AliasKind.PROCESS : AliasKind.OTHER_PROC_MOUNT, file);
                        case 1:
                            return new ProcPathCase(prefix + "/" + pid + "/task/" + tid + name, m, pid, tid,
                                    host ? AliasKind.TASK : AliasKind.OTHER_PROC_MOUNT, file);
                        case 2:
                            return new ProcPathCase(prefix + "/self" + name, m, -1, -1,
                                    host ? AliasKind.SELF : AliasKind.OTHER_PROC_MOUNT, file);
                        case 3:
                            return new ProcPathCase(prefix + "/thread-self" + name, m, -1, -1,
                                    host ? AliasKind.SELF : AliasKind.OTHER_PROC_MOUNT, file);
                        default:
                            return new ProcPathCase(prefix + "/self/task/" + tid + name, m, -1, tid,
                                    host ? AliasKind.SELF : AliasKind.OTHER_PROC_MOUNT, file);
                    }
                });
    }

    /**
     * Paths that name no per-process environ or mem file under any of {@code mounts}: other proc files,
     * leading zeros, empty or extra components, numbers too large, non-numeric ids, near-miss mount points.
     *
     * @param mounts proc mount points, at least one
     * @return paths a classifier must reject
     */
    public static Arbitrary<String> garbagePaths(List<String> mounts) {
        Arbitrary<String> mount = Arbitraries.of(mounts).map(m -> m.equals("/") ? "" : m);
        Arbitrary<Integer> pid = Arbitraries.integers().between(1, 99_999);
        Arbitrary<String> otherFile = Arbitraries.of("status", "stat", "cmdline", "environ2", "environ.old", "envir",
                "memory", "maps", "environ/", "mem/x", "Environ", "MEM", "environ\n", "mem ");
        Arbitrary<String> word = Combinators.combine(Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(8),
                Arbitraries.of("x", "-", ".", "_", " ", ":")).as((w, tail) -> w + tail);
        Arbitrary<String> nearMiss = Combinators.combine(mount, Arbitraries.of("s", "x", "2", "-")).as((m, c) -> m + c)
                .filter(candidate -> !isUnderAny(candidate + "/", mounts));
        Arbitrary<String> fixed = Arbitraries.of("", "/", "environ", "/environ", "/mem", "42/environ", "proc/42/environ",
                "/proc", "/proc/", "/proc/environ", "/proc/mem", "/proc/self", "/proc/self/", "/proc/0/environ");
        List<Arbitrary<String>> shapes = new ArrayList<>(List.of(
                Combinators.combine(mount, pid, otherFile).as((m, p, f) -> m + "/" + p + "/" + f),
                Combinators.combine(mount, pid).as((m, p) -> m + "/0" + p + "/environ"),
                Combinators.combine(mount, pid).as((m, p) -> m + "/" + p + "/task//environ"),
                Combinators.combine(mount, pid).as((m, p) -> m + "//" + p + "/environ"),
                Combinators.combine(mount, pid).as((m, p) -> m + "/" + p + "//environ"),
                Combinators.combine(mount, pid).as((m, p) -> m + "/" + p + "/task/environ"),
                Combinators.combine(mount, pid, pid).as((m, p, t) -> m + "/" + p + "/task/" + t + "/" + t + "/mem"),
                Combinators.combine(mount, pid).as((m, t) -> m + "/thread-self/task/" + t + "/environ"),
                Combinators.combine(mount, word).as((m, w) -> m + "/" + w + "/environ"),
                Combinators.combine(mount, Arbitraries.longs().between(2_147_483_648L, 99_999_999_999L))
                        .as((m, p) -> m + "/" + p + "/environ"),
                Combinators.combine(mount, pid, Arbitraries.of("x", ".", "/", " (deleted)x", "~"))
                        .as((m, p, junk) -> m + "/" + p + "/environ" + junk),
                Combinators.combine(mount, pid).as((m, p) -> m + "/-" + p + "/environ"),
                Combinators.combine(mount, pid).as((m, p) -> m + "/+" + p + "/mem"),
                fixed));
        if (!mounts.contains("/")) {
            // with "/" among the mounts every absolute path is under a mount: no near miss exists
            shapes.add(Combinators.combine(nearMiss, pid).as((m, p) -> m + "/" + p + "/environ"));
        }
        return Arbitraries.oneOf(shapes);
    }

    private static boolean isUnderAny(String path, List<String> mounts) {
        for (String m : mounts) {
            if (m.equals("/") || path.startsWith(m + "/")) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- access scripts

    /**
     * Scripts of up to {@code maxSteps} accesses among {@code processes} spawned processes: who reads
     * whose environ or mem, through which alias, briefly or holding it open, at non-decreasing offsets
     * within a few seconds. {@code SELF} steps read the reader's own file.
     *
     * @param processes how many processes the script's indices range over, at least 1
     * @param maxSteps  the most steps
     * @return scripts, steps in time order, each naming its reader and target by index
     * @throws IllegalArgumentException when {@code processes} is below 1
     */
    public static Arbitrary<List<AccessStep>> accessScripts(int processes, int maxSteps) {
        if (processes < 1) {
            throw new IllegalArgumentException("processes >= 1");
        }
        Arbitrary<Integer> index = Arbitraries.integers().between(0, processes - 1);
        Arbitrary<AliasKind> alias = Arbitraries.of(AliasKind.PROCESS, AliasKind.TASK, AliasKind.THREAD, AliasKind.SELF,
                AliasKind.OTHER_PROC_MOUNT);
        Arbitrary<AccessStep.Mode> mode = Arbitraries.of(AccessStep.Mode.class);
        Arbitrary<Long> delta = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0L)),
                Tuple.of(5, Arbitraries.longs().between(1, 200)), Tuple.of(1, Arbitraries.longs().between(200, 2000)));
        Arbitrary<Long> hold = Arbitraries.longs().between(1, 3000);
        return Combinators.combine(index, index, alias, Arbitraries.of(ProcFile.class), mode, delta, hold)
                .as((reader, target, a, file, m, d, h) -> new AccessStep(reader, a == AliasKind.SELF ? reader : target, a,
                        file, m, d, m == AccessStep.Mode.HOLD_OPEN ? h : 0))
                .list().ofMaxSize(maxSteps)
                .map(steps -> {
                    List<AccessStep> timed = new ArrayList<>(steps.size());
                    long at = 0;
                    for (AccessStep s : steps) {
                        at += s.offsetMillis();
                        timed.add(new AccessStep(s.reader(), s.target(), s.alias(), s.file(), s.mode(), at, s.holdMillis()));
                    }
                    return timed;
                });
    }

    // ---------------------------------------------------------------- helpers

    private static Arbitrary<String> pathSegments() {
        return Combinators.combine(Arbitraries.chars().range('a', 'z'),
                Arbitraries.strings().withCharRange('a', 'z').withChars("0123456789 ._-()+").ofMaxLength(11))
                .as((first, rest) -> first + rest);
    }

    private static byte[] toBytes(List<Byte> list) {
        byte[] out = new byte[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
