package io.environguard.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@code /proc}-like tree in a temporary directory, for code that reads procfs through a configurable
 * root ({@code ProcessInspector}, {@code ProcMounts}, {@code FdLinks}, the polling source).
 *
 * <p>Each simulated process gets {@code <root>/<pid>/} with {@code stat}, {@code status}, {@code comm},
 * {@code cmdline}, {@code environ}, {@code mem} (empty), {@code cgroup}, {@code mountinfo}, {@code schedstat}, an
 * {@code exe} symlink (none for kernel threads), {@code fd/} symlinks and {@code task/<tid>/} for every thread (the same
 * files but {@code fd/}), all in the kernel's formats ({@link ProcFormats}). Link targets read back exactly as the kernel prints them
 * ({@code /proc/42/environ}, {@code socket:[999]}), whatever the temporary directory is; {@code self} and
 * {@code thread-self} are relative links to the {@linkplain #setCurrent current} process, as in procfs.
 *
 * <p>Differences from the kernel, on purpose: a non-leader thread {@code T} also appears as {@code <root>/<T>},
 * a relative symlink to {@code <pid>/task/<T>}, so that {@code /proc/T/environ} opens as on Linux; unlike
 * procfs, {@code readdir} of the root lists it (as a symlink), so a scanner should skip entries that are
 * links or whose {@code status} {@code Tgid} differs from their name. Nothing enforces permissions.
 *
 * <p>Scheduling: each task's {@code schedstat} ({@code <pid>/schedstat} is the leader's) changes whenever the
 * simulated task acts: opens or closes a descriptor, execs, creates a thread, or is {@linkplain #run run}
 * without visible effect. As on Linux, a task whose {@code schedstat} is unchanged has not run in between,
 * which a scanner may use to skip re-reading a process; a thread that exits does not make its leader run.
 * Every change gives the task a triple no other task had before, so a reused pid never shows an old value.
 *
 * <p>Changes are atomic as seen by a concurrent reader: a process directory appears and disappears by one
 * {@code rename}, and a rewritten file replaces the old one by one {@code rename}. A reader can therefore
 * see a process vanish between two of its reads, exactly the race the code under test must survive, but
 * never a half-written file. Mutators are synchronized; readers need no lock.
 *
 * <p>Errors: a method given a pid that is not a live simulated process throws {@link IllegalArgumentException};
 * one that spawns or changes a process throws {@link IllegalStateException} once the tree is closed;
 * a file of the tree that cannot be written is an {@link UncheckedIOException}.
 *
 * <pre>{@code
 * try (SimulatedProcFs fs = SimulatedProcFs.create()) {
 *     SimProcess target = fs.spawn(ProcessSpec.builder().comm("sleep").build());
 *     SimProcess reader = fs.spawn(ProcessSpec.builder().comm("x) (y\n").exe("/tmp/cat").build());
 *     fs.openFd(reader.pid(), new FdSpec(3, KernelPaths.environ(target.pid())));
 *     ProcessInfo info = new ProcessInspector(fs.root()).inspect(reader.pid());
 *     fs.exit(target.pid());
 * }
 * }</pre>
 */
public final class SimulatedProcFs implements AutoCloseable {

    /** The first pid handed out, like a freshly booted system after its first services. */
    public static final int FIRST_PID = 100;
    /** The kernel's {@code PID_MAX_LIMIT} on 64-bit: allocation wraps here, back to {@value #WRAP_TO}. */
    public static final int PID_MAX = 4_194_304;
    /** Where allocation resumes after wrapping ({@code RESERVED_PIDS}). */
    public static final int WRAP_TO = 300;

    /** System property naming the directory {@link #create()} makes its trees in. */
    public static final String TMPDIR_PROPERTY = "environguard.testkit.tmpdir";

    private static final int ROOT_MOUNT_ID = 21;

    private final Path base;
    private final Path root;
    private final Path staging;
    private final Map<Integer, State> processes = new TreeMap<>();
    /** Every pid and tid in use: the kernel allocates both from one space. */
    private final Set<Integer> usedIds = new HashSet<>();
    private final List<MountLine> mounts = new ArrayList<>();
    private int nextPid = FIRST_PID;
    private long clock = 1_000;
    /** Counts every simulated scheduling event: each {@code schedstat} change is unique tree-wide. */
    private long schedEvents;
    private int nextMountId = 40;
    private int nextDeviceMinor = 40;
    private long tempCounter;
    private int currentPid = -1;
    private boolean closed;

    private SimulatedProcFs(Path base) throws IOException {
        this.base = base;
        this.root = Files.createDirectory(base.resolve("proc"));
        this.staging = Files.createDirectory(base.resolve("staging"));
        mounts.add(MountLine.rootFs(ROOT_MOUNT_ID));
        mounts.add(MountLine.proc(22, ROOT_MOUNT_ID, KernelPaths.PROC, "0:21"));
    }

    /**
     * An empty tree (no processes; the mount table holds {@code /} and {@code /proc}) in a new temporary
     * directory: under the system property {@value #TMPDIR_PROPERTY} if set, else in {@code /dev/shm} when it
     * is a writable directory (tmpfs: creating and deleting the many small files of a tree is several times
     * cheaper than on a disk filesystem, which keeps property tests fast), else in {@code java.io.tmpdir}.
     *
     * @return the tree, to close (which deletes it)
     * @throws IOException when the temporary directory cannot be created
     */
    public static SimulatedProcFs create() throws IOException {
        String configured = System.getProperty(TMPDIR_PROPERTY);
        Path parent = configured != null ? Path.of(configured) : Path.of("/dev/shm");
        if (configured == null && !(Files.isDirectory(parent) && Files.isWritable(parent))) {
            return new SimulatedProcFs(Files.createTempDirectory("environ-guard-procfs-"));
        }
        return new SimulatedProcFs(Files.createTempDirectory(parent, "environ-guard-procfs-"));
    }

    /**
     * As {@link #create()}, under {@code parent} (e.g. a JUnit {@code @TempDir}).
     *
     * @param parent an existing, writable directory
     * @return the tree, to close (which deletes it)
     * @throws IOException when the temporary directory cannot be created
     */
    public static SimulatedProcFs create(Path parent) throws IOException {
        return new SimulatedProcFs(Files.createTempDirectory(parent, "procfs-"));
    }

    /** @return the directory to use as the proc root: it plays {@code /proc} */
    public Path root() {
        return root;
    }

    // ---------------------------------------------------------------- processes

    /**
     * Spawns a process; pid and start time come from the spec or the simulated kernel.
     *
     * @param spec what the process is; its pid, if set, must be free
     * @return the process as spawned
     * @throws IllegalStateException when the spec's pid is in use or out of range, or no pid is free
     */
    public synchronized SimProcess spawn(ProcessSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ensureOpen();
        int pid = spec.pid() > 0 ? claim(spec.pid()) : allocate();
        long start = nextStartTime(spec.startTime());
        State state = new State(pid, start, spec, ++schedEvents);
        state.fds.putAll(spec.kernelThread() ? Map.of() : Map.of(0, "/dev/null", 1, "/dev/null", 2, "/dev/null"));
        try {
            Path dir = newStagingPath("spawn");
            Files.createDirectory(dir);
            writeProcessDir(state, dir);
            Files.move(dir, processDir(pid), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            usedIds.remove(pid);
            throw new UncheckedIOException("cannot spawn simulated pid " + pid, e);
        }
        processes.put(pid, state);
        return state.snapshot();
    }

    /**
     * Spawns {@code comm} (also used as exe {@code /usr/bin/<comm>} and argv[0]) with parent {@code ppid}.
     *
     * @param ppid the parent's pid; need not be a simulated process
     * @param comm the name, at most 15 bytes kept
     * @return the process as spawned
     */
    public SimProcess spawn(int ppid, String comm) {
        return spawn(ProcessSpec.builder().ppid(ppid).comm(comm).exe("/usr/bin/" + comm).cmdline(comm).build());
    }

    /**
     * Spawns a whole tree under {@code ppid}, parents before children.
     *
     * @param ppid the root's parent pid; need not be a simulated process
     * @param tree the tree; each spec's own ppid is replaced by its parent's pid
     * @return the processes in pre-order, the root first
     */
    public synchronized List<SimProcess> spawnTree(int ppid, ProcessTree tree) {
        List<SimProcess> out = new ArrayList<>(tree.size());
        spawnTree(ppid, tree, out);
        return out;
    }

    private void spawnTree(int ppid, ProcessTree tree, List<SimProcess> out) {
        SimProcess p = spawn(tree.spec().toBuilder().ppid(ppid).build());
        out.add(p);
        for (ProcessTree child : tree.children()) {
            spawnTree(p.pid(), child, out);
        }
    }

    /**
     * {@code execve}: the process keeps its pid, parent, start time, cgroup, pid-namespace ids and open fds;
     * it takes {@code image}'s comm, exe, command line, environ, uid, gid, state and env range. Other threads
     * end, as the kernel's {@code de_thread} does.
     *
     * @param pid a live simulated process
     * @param image the new program
     * @return the process after the exec
     */
    public synchronized SimProcess exec(int pid, ProcessSpec image) {
        State s = require(pid);
        s.spec = image.toBuilder().ppid(s.spec.ppid()).cgroup(s.spec.cgroup()).nsPid(s.spec.nsPid()).pid(pid)
                .startTime(s.startTime).build();
        s.threads.put(pid, s.threads.get(pid).renamed(s.spec.comm()));
        try {
            for (int tid : new ArrayList<>(s.threads.keySet())) {
                if (tid != pid) {
                    removeThread(s, tid);
                }
            }
            Path dir = processDir(pid);
            for (Path d : List.of(dir, taskDir(s, pid))) {
                Path exe = d.resolve("exe");
                if (s.spec.exe() == null) {
                    Files.deleteIfExists(exe);
                } else {
                    replaceLink(exe, s.spec.exe());
                }
                replace(d.resolve("cmdline"), ProcFormats.cmdline(s.spec.cmdline()));
                replace(d.resolve("environ"), s.spec.environ());
                replace(d.resolve("comm"), ProcFormats.comm(s.spec.comm()));
            }
            rewriteStatFiles(s);
            ran(s, pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot exec in simulated pid " + pid, e);
        }
        return s.snapshot();
    }

    /**
     * {@code execve(exe, args)} with comm the first 15 bytes of the exe's base name, as the kernel sets it.
     *
     * @param pid a live simulated process
     * @param exe  the new executable's path
     * @param args the new command line, argv[0] first
     * @return the process after the exec
     */
    public SimProcess exec(int pid, String exe, String... args) {
        ProcessSpec current;
        synchronized (this) {
            current = require(pid).spec;
        }
        byte[] name = exe.substring(exe.lastIndexOf('/') + 1).getBytes(StandardCharsets.UTF_8);
        byte[] comm = Arrays.copyOf(name, Math.min(name.length, 15));
        return exec(pid, current.toBuilder().exe(exe).comm(comm).cmdline(List.of(args)).build());
    }

    /**
     * {@code prctl(PR_SET_NAME)} by the main thread: the process's name ({@code comm}, the name in {@code stat} and
     * {@code status}) becomes {@code comm}; nothing else changes. The kernel keeps 15 bytes; so does this.
     *
     * @param pid a live simulated process
     * @param comm the new name, as raw bytes
     * @return the process after the rename
     */
    public synchronized SimProcess rename(int pid, byte[] comm) {
        State s = require(pid);
        byte[] name = Arrays.copyOf(comm, Math.min(comm.length, 15));
        s.spec = s.spec.toBuilder().comm(name).build();
        s.threads.put(pid, s.threads.get(pid).renamed(name));
        try {
            for (Path d : List.of(processDir(pid), taskDir(s, pid))) {
                replace(d.resolve("comm"), ProcFormats.comm(name));
            }
            rewriteStatFiles(s);
            ran(s, pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename simulated pid " + pid, e);
        }
        return s.snapshot();
    }

    /**
     * The process exits and is reaped: its directory (and its threads' directories) vanish at once; its
     * children are re-parented to pid 1; {@code self} keeps pointing at it if it was current (and so
     * dangles, as a vanished reader's would).
     *
     * @param pid a process id
     * @return whether there was such a process
     */
    public synchronized boolean exit(int pid) {
        State s = processes.remove(pid);
        if (s == null) {
            return false;
        }
        try {
            Path dead = newStagingPath("exit");
            Files.move(processDir(pid), dead, StandardCopyOption.ATOMIC_MOVE);
            for (int tid : s.threads.keySet()) {
                usedIds.remove(tid);
                if (tid != pid) {
                    Files.deleteIfExists(processDir(tid)); // the thread's link, dangling since the move
                }
            }
            usedIds.remove(pid);
            deleteTree(dead);
            for (State child : processes.values()) {
                if (child.spec.ppid() == pid) {
                    child.spec = child.spec.toBuilder().ppid(1).build();
                    rewriteStatFiles(child);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot exit simulated pid " + pid, e);
        }
        return true;
    }

    /**
     * Pid reuse: ends {@code pid} if it still runs, then spawns {@code spec} under the same pid with a later
     * start time (the next tick of the simulated clock, or {@code spec.startTime()} if that is later still).
     *
     * @param pid  the pid to reuse
     * @param spec the new process; its own pid is ignored
     * @return the new process
     * @throws IllegalStateException when {@code pid} is a live thread's id
     */
    public synchronized SimProcess reusePid(int pid, ProcessSpec spec) {
        State old = processes.get(pid);
        long minimum = old == null ? -1 : old.startTime;
        exit(pid);
        if (usedIds.contains(pid)) {
            throw new IllegalStateException("pid " + pid + " is a live thread id");
        }
        long start = Math.max(spec.startTime(), Math.max(clock, minimum) + 1);
        return spawn(spec.toBuilder().pid(pid).startTime(start).build());
    }

    /**
     * Adds a thread named like the process.
     *
     * @param pid a live simulated process
     * @return the new thread's id
     */
    public synchronized int addThread(int pid) {
        return addThread(pid, require(pid).spec.comm());
    }

    /**
     * Adds a thread with its own comm.
     *
     * @param pid a live simulated process
     * @param comm the thread's name, as raw bytes
     * @return the new thread's id, allocated from the pid space, as the kernel does
     */
    public synchronized int addThread(int pid, byte[] comm) {
        State s = require(pid);
        int tid = allocate();
        long start = nextStartTime(-1);
        s.threads.put(tid, new ThreadState(comm.clone(), start, ++schedEvents));
        try {
            Path staged = newStagingPath("thread");
            Files.createDirectory(staged);
            writeTaskFiles(s, tid, staged);
            Files.move(staged, taskDir(s, tid), StandardCopyOption.ATOMIC_MOVE);
            Files.createSymbolicLink(processDir(tid), Path.of(pid + "/task/" + tid));
            rewriteStatFiles(s);
            ran(s, pid); // the leader created it
        } catch (IOException e) {
            throw new UncheckedIOException("cannot add a thread to simulated pid " + pid, e);
        }
        return tid;
    }

    /**
     * Ends thread {@code tid} of {@code pid} (not the leader: use {@link #exit}).
     *
     * @param pid a live simulated process
     * @param tid one of its threads other than the leader
     */
    public synchronized void exitThread(int pid, int tid) {
        State s = require(pid);
        if (tid == pid || !s.threads.containsKey(tid)) {
            throw new IllegalArgumentException(tid + " is not a non-leader thread of " + pid);
        }
        try {
            removeThread(s, tid);
            rewriteStatFiles(s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot end simulated thread " + tid, e);
        }
    }

    private void removeThread(State s, int tid) throws IOException {
        s.threads.remove(tid);
        usedIds.remove(tid);
        Path dead = newStagingPath("thread-exit");
        Files.move(taskDir(s, tid), dead, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(processDir(tid));
        deleteTree(dead);
    }

    // ---------------------------------------------------------------- file descriptors

    /**
     * Opens (or, like {@code dup2}, replaces) descriptor {@code fd.fd()} of {@code pid}; its leader thread runs.
     *
     * @param pid a live simulated process
     * @param fd the descriptor and its link target
     */
    public synchronized void openFd(int pid, FdSpec fd) {
        openFd(pid, pid, fd);
    }

    /**
     * Thread {@code tid} of {@code pid} opens (or replaces) descriptor {@code fd.fd()}: the descriptor table is
     * the process's, but only that thread's {@code schedstat} changes.
     *
     * @param pid a live simulated process
     * @param tid one of its threads, the leader included
     * @param fd  the descriptor and its link target
     */
    public synchronized void openFd(int pid, int tid, FdSpec fd) {
        State s = require(pid);
        requireThread(s, tid);
        installFd(s, fd);
        ranUnchecked(s, tid);
    }

    private void installFd(State s, FdSpec fd) {
        int pid = s.pid;
        try {
            Path link = processDir(pid).resolve("fd").resolve(Integer.toString(fd.fd()));
            if (s.fds.containsKey(fd.fd())) {
                replaceLink(link, fd.target());
            } else {
                Files.createSymbolicLink(link, Path.of(fd.target()));
            }
            s.fds.put(fd.fd(), fd.target());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a simulated fd in " + pid, e);
        }
    }

    /**
     * Opens {@code target} on the lowest free descriptor, as {@code open(2)} does.
     *
     * @param pid a live simulated process
     * @param target the link target, as the kernel prints it
     * @return the descriptor
     */
    public synchronized int openFd(int pid, String target) {
        State s = require(pid);
        int fd = 0;
        while (s.fds.containsKey(fd)) {
            fd++;
        }
        openFd(pid, new FdSpec(fd, target));
        return fd;
    }

    /**
     * Opens many descriptors (replacing those with the same numbers); the leader runs once for all of them.
     *
     * @param pid a live simulated process
     * @param fds the descriptors and their link targets
     */
    public synchronized void openFds(int pid, Collection<FdSpec> fds) {
        State s = require(pid);
        for (FdSpec fd : fds) {
            installFd(s, fd);
        }
        ranUnchecked(s, pid);
    }

    /**
     * Closes descriptor {@code fd}.
     *
     * @param pid a live simulated process
     * @param fd a descriptor number
     * @return whether it was open
     */
    public synchronized boolean closeFd(int pid, int fd) {
        State s = require(pid);
        if (s.fds.remove(fd) == null) {
            return false;
        }
        try {
            Files.delete(processDir(pid).resolve("fd").resolve(Integer.toString(fd)));
            ran(s, pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close a simulated fd in " + pid, e);
        }
        return true;
    }

    // ---------------------------------------------------------------- scheduling

    /**
     * The leader thread of {@code pid} runs without any other visible effect: its {@code schedstat} changes.
     *
     * @param pid a live simulated process
     */
    public synchronized void run(int pid) {
        run(pid, pid);
    }

    /**
     * Thread {@code tid} of {@code pid} runs without any other visible effect: its {@code schedstat} changes.
     *
     * @param pid a live simulated process
     * @param tid one of its threads, the leader included
     */
    public synchronized void run(int pid, int tid) {
        State s = require(pid);
        requireThread(s, tid);
        ranUnchecked(s, tid);
    }

    /**
     * @param pid a live simulated process
     * @return its open descriptors, ascending
     */
    public synchronized List<FdSpec> fds(int pid) {
        List<FdSpec> out = new ArrayList<>();
        require(pid).fds.forEach((fd, target) -> out.add(new FdSpec(fd, target)));
        return out;
    }

    // ---------------------------------------------------------------- self, mounts, queries

    /**
     * Points {@code self} at {@code pid} and {@code thread-self} at its leader thread.
     *
     * @param pid a live simulated process
     */
    public synchronized void setCurrent(int pid) {
        setCurrent(pid, pid);
    }

    /**
     * Points {@code self} at {@code pid} and {@code thread-self} at {@code pid/task/tid}.
     *
     * @param pid a live simulated process
     * @param tid one of its threads, the leader included
     */
    public synchronized void setCurrent(int pid, int tid) {
        State s = require(pid);
        if (!s.threads.containsKey(tid)) {
            throw new IllegalArgumentException(tid + " is not a thread of " + pid);
        }
        try {
            replaceLink(root.resolve("self"), Integer.toString(pid));
            replaceLink(root.resolve("thread-self"), pid + "/task/" + tid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot point self at " + pid, e);
        }
        currentPid = pid;
    }

    /** @return the pid {@code self} points at, or {@code -1} before {@link #setCurrent(int)} */
    public synchronized int currentPid() {
        return currentPid;
    }

    /**
     * Mounts another procfs instance (new superblock device) at {@code mountPoint}; every process's
     * {@code mountinfo} shows it.
     *
     * @param mountPoint where it is mounted, unescaped
     * @return the new line
     */
    public synchronized MountLine addProcMount(String mountPoint) {
        MountLine line = MountLine.proc(nextMountId++, ROOT_MOUNT_ID, mountPoint, "0:" + nextDeviceMinor++);
        addMount(line);
        return line;
    }

    /**
     * Adds a bind mount of {@code /proc} at {@code mountPoint}: same superblock as {@code /proc}.
     *
     * @param mountPoint where it is mounted, unescaped
     * @return the new line
     */
    public synchronized MountLine addProcBindMount(String mountPoint) {
        MountLine line = MountLine.proc(nextMountId++, ROOT_MOUNT_ID, mountPoint, mounts.get(1).device());
        addMount(line);
        return line;
    }

    /**
     * Adds any mount line to the shared mount table and rewrites every {@code mountinfo}.
     *
     * @param line the mount
     */
    public synchronized void addMount(MountLine line) {
        mounts.add(line);
        try {
            for (State s : processes.values()) {
                if (s.mountInfo == null) {
                    rewriteMountInfo(s);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite mountinfo", e);
        }
    }

    /** @return a copy of the shared mount table, in order: {@code /} and {@code /proc} first */
    public synchronized List<MountLine> mounts() {
        return List.copyOf(mounts);
    }

    /**
     * Gives {@code pid} its own mount table (another mount namespace).
     *
     * @param pid a live simulated process
     * @param table its mounts; {@code null} returns it to the shared table
     */
    public synchronized void setMountTable(int pid, List<MountLine> table) {
        State s = require(pid);
        s.mountInfo = table == null ? null : List.copyOf(table);
        try {
            rewriteMountInfo(s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite mountinfo of " + pid, e);
        }
    }

    /**
     * @param pid a process id
     * @return the live process {@code pid}, or empty
     */
    public synchronized Optional<SimProcess> process(int pid) {
        State s = processes.get(pid);
        return s == null ? Optional.empty() : Optional.of(s.snapshot());
    }

    /** @return all live processes, by ascending pid */
    public synchronized List<SimProcess> processes() {
        List<SimProcess> out = new ArrayList<>(processes.size());
        for (State s : processes.values()) {
            out.add(s.snapshot());
        }
        return out;
    }

    /**
     * Advances the simulated clock (start times of later spawns).
     *
     * @param ticks clock ticks, 0 or more
     * @throws IllegalArgumentException when {@code ticks} is negative
     */
    public synchronized void advanceClock(long ticks) {
        if (ticks < 0) {
            throw new IllegalArgumentException("time runs forward");
        }
        clock += ticks;
    }

    /**
     * Sets where pid allocation continues (e.g. just below {@link #PID_MAX} to test wrapping).
     *
     * @param pid the next pid to try, from 1 to below {@link #PID_MAX}
     * @throws IllegalArgumentException when {@code pid} is out of that range
     */
    public synchronized void setNextPid(int pid) {
        if (pid < 1 || pid >= PID_MAX) {
            throw new IllegalArgumentException("pid out of range");
        }
        nextPid = pid;
    }

    /** Deletes the whole tree. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            processes.clear();
            usedIds.clear();
            deleteTree(base);
        }
    }

    // ---------------------------------------------------------------- writing

    private void writeProcessDir(State s, Path dir) throws IOException {
        writeTaskFiles(s, s.pid, dir);
        Path fdDir = Files.createDirectory(dir.resolve("fd"));
        for (Map.Entry<Integer, String> fd : s.fds.entrySet()) {
            Files.createSymbolicLink(fdDir.resolve(Integer.toString(fd.getKey())), Path.of(fd.getValue()));
        }
        Path tasks = Files.createDirectory(dir.resolve("task"));
        for (int tid : s.threads.keySet()) {
            Path taskDir = Files.createDirectory(tasks.resolve(Integer.toString(tid)));
            writeTaskFiles(s, tid, taskDir);
        }
    }

    /** The files of {@code <pid>/} and of every {@code <pid>/task/<tid>/}. */
    private void writeTaskFiles(State s, int tid, Path dir) throws IOException {
        ThreadState t = s.threads.get(tid);
        Files.write(dir.resolve("stat"), stat(s, tid));
        Files.write(dir.resolve("status"), status(s, tid));
        Files.write(dir.resolve("comm"), ProcFormats.comm(t.comm));
        Files.write(dir.resolve("cmdline"), ProcFormats.cmdline(s.spec.cmdline()));
        Files.write(dir.resolve("environ"), s.spec.environ());
        Files.write(dir.resolve("mem"), new byte[0]);
        Files.write(dir.resolve("cgroup"), s.spec.cgroup());
        Files.write(dir.resolve("mountinfo"), ProcFormats.mountInfo(s.mountInfo == null ? mounts : s.mountInfo));
        Files.write(dir.resolve("schedstat"), t.schedstat());
        if (s.spec.exe() != null) {
            Files.createSymbolicLink(dir.resolve("exe"), Path.of(s.spec.exe()));
        }
    }

    private byte[] stat(State s, int tid) {
        ThreadState t = s.threads.get(tid);
        ProcessSpec p = s.spec;
        return ProcFormats.stat(tid, t.comm, p.state(), p.ppid(), t.startTime, s.threads.size(), p.envStart(),
                p.envEnd());
    }

    private byte[] status(State s, int tid) {
        ThreadState t = s.threads.get(tid);
        ProcessSpec p = s.spec;
        List<Integer> nsPid = new ArrayList<>();
        nsPid.add(tid);
        if (tid == s.pid) {
            nsPid.addAll(p.nsPid());
        }
        return ProcFormats.status(t.comm, p.state(), s.pid, tid, p.ppid(), p.uid(), p.gid(), nsPid, s.threads.size());
    }

    /** Rewrites every stat and status of a process (parent, thread count or state changed). */
    private void rewriteStatFiles(State s) throws IOException {
        Path dir = processDir(s.pid);
        replace(dir.resolve("stat"), stat(s, s.pid));
        replace(dir.resolve("status"), status(s, s.pid));
        for (int tid : s.threads.keySet()) {
            Path task = taskDir(s, tid);
            replace(task.resolve("stat"), stat(s, tid));
            replace(task.resolve("status"), status(s, tid));
        }
    }

    private void rewriteMountInfo(State s) throws IOException {
        byte[] content = ProcFormats.mountInfo(s.mountInfo == null ? mounts : s.mountInfo);
        replace(processDir(s.pid).resolve("mountinfo"), content);
        for (int tid : s.threads.keySet()) {
            replace(taskDir(s, tid).resolve("mountinfo"), content);
        }
    }

    /**
     * Task {@code tid} was scheduled: a new, tree-wide unique {@code schedstat} in its task directory (and in the
     * process's, for the leader).
     */
    private void ran(State s, int tid) throws IOException {
        ThreadState t = s.threads.get(tid);
        t.ran(++schedEvents);
        byte[] content = t.schedstat();
        replace(taskDir(s, tid).resolve("schedstat"), content);
        if (tid == s.pid) {
            replace(processDir(s.pid).resolve("schedstat"), content);
        }
    }

    private void ranUnchecked(State s, int tid) {
        try {
            ran(s, tid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update schedstat of simulated task " + tid, e);
        }
    }

    /** Replaces a visible file in one rename, so a concurrent reader sees the old or the new content. */
    private void replace(Path file, byte[] content) throws IOException {
        Path temp = newStagingPath("file");
        Files.write(temp, content);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void replaceLink(Path link, String target) throws IOException {
        Path temp = newStagingPath("link");
        Files.createSymbolicLink(temp, Path.of(target));
        Files.move(temp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Path newStagingPath(String what) {
        return staging.resolve(what + "-" + tempCounter++);
    }

    private Path processDir(int pid) {
        return root.resolve(Integer.toString(pid));
    }

    private Path taskDir(State s, int tid) {
        return processDir(s.pid).resolve("task").resolve(Integer.toString(tid));
    }

    private static void deleteTree(Path top) throws IOException {
        if (!Files.exists(top, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // walkFileTree does not follow links: fd/ and exe links to the real /proc are removed, not followed
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    // ---------------------------------------------------------------- bookkeeping

    private State require(int pid) {
        ensureOpen();
        State s = processes.get(pid);
        if (s == null) {
            throw new IllegalArgumentException("no simulated process " + pid);
        }
        return s;
    }

    private static void requireThread(State s, int tid) {
        if (!s.threads.containsKey(tid)) {
            throw new IllegalArgumentException(tid + " is not a thread of " + s.pid);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
    }

    private int claim(int pid) {
        if (pid >= PID_MAX || !usedIds.add(pid)) {
            throw new IllegalStateException("pid " + pid + " is in use or out of range");
        }
        return pid;
    }

    /** Next free id, counting up and wrapping like the kernel's {@code alloc_pid}. */
    private int allocate() {
        for (int tries = 0; tries < PID_MAX; tries++) {
            int candidate = nextPid;
            nextPid = nextPid + 1 >= PID_MAX ? WRAP_TO : nextPid + 1;
            if (usedIds.add(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free pid");
    }

    private long nextStartTime(long requested) {
        if (requested >= 0) {
            clock = Math.max(clock, requested);
            return requested;
        }
        return ++clock;
    }

    private static final class State {
        final int pid;
        final long startTime;
        ProcessSpec spec;
        final TreeMap<Integer, ThreadState> threads = new TreeMap<>();
        final TreeMap<Integer, String> fds = new TreeMap<>();
        List<MountLine> mountInfo;

        State(int pid, long startTime, ProcessSpec spec, long schedEvent) {
            this.pid = pid;
            this.startTime = startTime;
            this.spec = spec.toBuilder().pid(pid).startTime(startTime).build();
            threads.put(pid, new ThreadState(spec.comm(), startTime, schedEvent));
        }

        SimProcess snapshot() {
            return new SimProcess(pid, startTime, spec, new ArrayList<>(threads.keySet()));
        }
    }

    /** A task's name, start time and scheduling counters ({@code schedstat}: run time, wait time, time slices). */
    private static final class ThreadState {
        final byte[] comm;
        final long startTime;
        long runNanos;
        long waitNanos;
        long timeslices;

        ThreadState(byte[] comm, long startTime, long schedEvent) {
            this.comm = comm;
            this.startTime = startTime;
            ran(schedEvent);
        }

        /** After {@code execve}: the same task and counters, a new name. */
        ThreadState renamed(byte[] newComm) {
            ThreadState t = new ThreadState(newComm, startTime, waitNanos);
            t.runNanos = runNanos;
            t.timeslices = timeslices;
            return t;
        }

        /** {@code schedEvent} is unique tree-wide, so the new triple is too. */
        void ran(long schedEvent) {
            runNanos += 50_000;
            waitNanos = schedEvent;
            timeslices++;
        }

        byte[] schedstat() {
            return ProcFormats.schedstat(runNanos, waitNanos, timeslices);
        }
    }
}
