package io.environguard.linux.fanotify;

import io.environguard.api.Ancestor;
import io.environguard.api.Coverage;
import io.environguard.api.GuardStats;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.fanotify.ProcInstance.PidNamespace;
import io.environguard.linux.internal.Threads;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.OpenFileLimit;
import io.environguard.linux.nativeio.Wakeup;
import io.environguard.linux.process.ContainerIds;
import io.environguard.linux.process.ProcConnectorFeed;
import io.environguard.linux.process.ProcScanFeed;
import io.environguard.linux.process.ProcessFeed;
import io.environguard.linux.process.ProcessLookup;
import io.environguard.linux.process.ProcessProbe;
import io.environguard.linux.process.ProcessRecord;
import io.environguard.linux.process.ProcessTable;
import io.environguard.spi.AccessListener;
import io.environguard.spi.EventSource;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sees every open of a {@code /proc/<pid>/environ} or {@code /proc/<pid>/mem} file on the host, through
 * every alias, with fanotify filesystem marks ({@code FAN_OPEN}) on every procfs instance: {@code /proc},
 * other {@code mount -t proc} mounts, and the {@code /proc} of other mount namespaces (containers), including
 * those that appear after {@link #start}. Needs {@code CAP_SYS_ADMIN}.
 *
 * <p>Readers and targets are resolved through a {@link ProcessTable} fed by the kernel's process events
 * ({@link ProcConnectorFeed}: proc connector and exec log), which captured each process when it appeared, so
 * that a reader that exits at once is still named by exe, name, parent, uid, start time, container and
 * ancestors. Where the process events cannot be had (no {@code CAP_NET_ADMIN}), the table is filled from
 * {@code /proc} ({@link ProcScanFeed}) and {@link #coverage()} says what that loses.
 *
 * <p>Threads: the kernel-read thread ({@link KernelReader}: decode, path filter, never blocks), the resolver
 * ({@link ResolverLoop}: reader, target, listener calls), the mounts thread ({@link MountWatcher}: mount
 * namespaces announced through {@link #watchMountNamespaceOf} (the process table announces each one it meets),
 * mount events of the watched ones, the periodic rescan), and the table's feed and command-line readers. Nothing
 * is lost silently: overflow, fd errors, a full resolver queue and lost process events reach the listener as
 * {@link io.environguard.api.LossReport}s.
 *
 * <pre>{@code
 * try (EventSource source = new FanotifyHostSourceProvider().create(GuardConfig.load())) {
 *     source.start(listener);           // returns once the marks are in place
 *     ...
 * }
 * }</pre>
 *
 * <p>It cannot block a read (the kernel refuses permission events on procfs), and it does not see reads
 * that open nothing in {@code /proc} ({@code process_vm_readv}, ptrace): {@link #coverage()} lists these.
 */
public final class FanotifyHostSource implements EventSource {

    /** The source name in accesses, configuration and logs. */
    public static final String NAME = "fanotify";

    private static final Logger LOG = LoggerFactory.getLogger(FanotifyHostSource.class);
    private static final Path PROC = Path.of("/proc");
    private static final long JOIN_MILLIS = 5_000;

    private final FanotifySettings settings;
    private final FanotifySupport support;
    private final Object lock = new Object();

    private boolean started;
    private boolean closed;
    private FanotifyGroup group;
    private Wakeup wakeup;
    private volatile ProcInstanceTracker tracker;
    private volatile BlockingQueue<RawAccess> queue;
    private volatile KernelReader reader;
    private volatile IgnoreMarks ignoreMarks;
    private volatile ProcessTable processTable;
    private volatile ProcessFeed processFeed;
    private volatile String processFeedProblem;
    private ResolverLoop resolver;
    private MountWatcher watcher;
    private volatile NamespaceAnnouncements announcements;
    private volatile MountNamespaceWatch namespaces;
    private final List<Thread> threads = new ArrayList<>(3);

    FanotifyHostSource(FanotifySettings settings) {
        this(settings, FanotifySupport.get());
    }

    FanotifyHostSource(FanotifySettings settings, FanotifySupport support) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.support = Objects.requireNonNull(support, "support");
    }

    @Override
    public void start(AccessListener listener) throws IOException {
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the fanotify source is closed");
            }
            if (started) {
                throw new IllegalStateException("the fanotify source is already started");
            }
            if (!support.available()) {
                throw new IOException("the fanotify source cannot run: " + support.reason());
            }
            started = true;
            try {
                startLocked(listener);
            } catch (IOException | RuntimeException | Error e) {
                stopLocked();
                throw e;
            }
        }
    }

    private void startLocked(AccessListener listener) throws IOException {
        OpenFileLimit.Result limit = OpenFileLimit.raiseSoftToHard();
        if (limit.errno() != 0) {
            LOG.warn("cannot raise RLIMIT_NOFILE ({}); events may be lost to EMFILE", Errno.describe(limit.errno()));
        } else if (limit.soft() != limit.softBefore()) {
            LOG.debug("raised RLIMIT_NOFILE from {} to {}", limit.softBefore(), limit.soft());
        }
        // Before the table: it announces every mount namespace it meets, from its start-up scan on.
        announcements = NamespaceAnnouncements.create();
        startProcessTable(listener);
        LOG.debug("phase: process table subscribed to process events, exec log open, /proc scanned");
        int flags = support.initFlags() | (settings.unlimitedQueue() ? Fanotify.FAN_UNLIMITED_QUEUE : 0);
        try {
            group = FanotifyGroup.open(flags);
        } catch (Fanotify.InitException e) {
            throw new IOException("the fanotify source cannot run: "
                    + FanotifySupport.describeInitFailure(e.errno(), Optional.empty()), e);
        }
        wakeup = Wakeup.create();
        tracker = new ProcInstanceTracker(group, PROC, settings.otherNamespaces());
        ProcInstanceTracker.Snapshot snapshot = tracker.rescan();
        ProcInstance host = snapshot.host();
        if (host == null) {
            throw new IOException("the fanotify source cannot run: " + PROC + " is not in this process's mount table");
        }
        if (!host.marked()) {
            throw new IOException("the fanotify source cannot run: " + FanotifySupport.describeMarkFailure(host.markErrno()));
        }
        LOG.debug("phase: fanotify group and marks in place");
        queue = new ArrayBlockingQueue<>(settings.resolverQueue());
        ignoreMarks = new IgnoreMarks(group, settings.ignoreMarks(), settings.ignoreMarksWithin(), deviceOf(PROC));
        IgnoreMarks marks = ignoreMarks;
        boolean kernelFed = processFeed instanceof ProcConnectorFeed;
        reader = new KernelReader(group, wakeup.fd(), queue, settings.resolverQueue(), marks, PROC.toString(),
                settings.batchWindow().toNanos(), !kernelFed);
        resolver = new ResolverLoop(queue, new AccessResolver(tracker::snapshot, PROC, support.reportsPidfd(),
                (pid, ppid, file) -> marks.beforeRead(pid, ppid, file.toString()), processFeed,
                settings.processTable().catchUpTimeout().toNanos(),
                settings.processTable().commandLineTimeout().toMillis(),
                settings.processTable().commandLineWait().toNanos()), listener);
        namespaces = MountNamespaceWatch.open(tracker, PROC, settings.mountEvents(), settings.otherNamespaces(),
                settings.maxMountNamespaces());
        watcher = new MountWatcher(tracker, namespaces, announcements, PROC.toString(), wakeup.fd(),
                settings.rescanInterval());
        LOG.debug("phase: mount namespace watch open");
        startThread(resolver, "fanotify-resolver (environguard)");
        startThread(reader, "fanotify-reader (environguard)");
        startThread(watcher, "fanotify-mounts (environguard)");
        LOG.debug("phase: fanotify source threads started");
        LOG.info("fanotify source watching {} procfs instance(s)", snapshot.byDevice().values().stream()
                .filter(ProcInstance::marked).count());
    }

    /**
     * Starts the process table: subscribed to the kernel's process events before it scans {@code /proc}, so
     * that nothing falls between; or, where the kernel refuses the subscription, filled from {@code /proc}.
     * It starts before the fanotify group, so its scan's reads make no events. Its own later reads of
     * {@code /proc} files are marked first (once the ignore marks exist), like the resolver's.
     */
    private void startProcessTable(AccessListener listener) {
        processTable = new ProcessTable(settings.processTable());
        ProcessProbe probe = ProcessProbe.host(PROC, ContainerIds.forHost(PROC), (pid, ppid, file) -> {
            IgnoreMarks marks = ignoreMarks;
            if (marks != null) {
                marks.beforeRead(pid, ppid, file.toString());
            }
        });
        try {
            processFeed = ProcConnectorFeed.start(processTable, settings.processTable(), probe,
                    loss -> deliverLoss(listener, loss));
        } catch (IOException e) {
            processFeedProblem = e.getMessage();
            LOG.warn("fanotify source: {}; the process table is filled from /proc instead, and a reader that starts"
                    + " and exits between two looks is named by pid only", e.getMessage());
            // Not polled: the resolver takes a live reader's record as the table holds it, and a poll may have read it
            // between its fork and its exec. Processes it does not hold are read when they are met.
            processFeed = ProcScanFeed.start(processTable, settings.processTable(), probe);
        }
        processTable.onNewMountNamespace(this::onProcessInNewMountNamespace);
    }

    private static void deliverLoss(AccessListener listener, LossReport loss) {
        try {
            listener.onLoss(loss);
        } catch (RuntimeException e) {
            LOG.warn("a loss report ({} x {}) could not be delivered", loss.count(), loss.cause(), e);
        }
    }

    /**
     * The process table met a process in a mount namespace it had not seen before (told once per namespace, on
     * the table's notifier thread): its procfs instances are marked and the namespace watched at once.
     */
    private void onProcessInNewMountNamespace(int pid, long mountNamespace) {
        watchMountNamespaceOf(pid, mountNamespace);
    }

    /** The device of the file system at {@code path} (a statx: it opens nothing), or -1. */
    private static long deviceOf(Path path) {
        FdInspector fds = new FdInspector();
        return fds.stat(path.toString()) == 0 ? fds.device() : -1;
    }

    private void startThread(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /**
     * The executable of running process {@code pid} as the process table recorded it at its exec; for a process
     * the table does not hold, {@code /proc/<pid>/exe} (a readlink: it opens nothing, so it makes no event).
     */
    @Override
    public String exeOf(int pid) {
        return ProcessLookup.exeOf(processTable, PROC, pid);
    }

    /**
     * Tells the source that process {@code pid} lives in the mount namespace whose nsfs inode is
     * {@code mountNamespaceInode} (what {@code stat /proc/<pid>/ns/mnt} gives, and {@code readlink} prints as
     * {@code mnt:[inode]}), which may be new to it. The source then, on its own mounts thread: marks the
     * namespace for mount events ({@code FAN_MNT_ATTACH}, where the kernel has them), reads its mount table
     * through {@code /proc/<pid>/mountinfo}, and places a filesystem mark on each procfs instance there not yet
     * marked (through {@code /proc/<pid>/root/<mount point>}), so that reads in a container's or an
     * {@code unshare --mount-proc}'s {@code /proc} are seen from then on, without waiting for the periodic
     * rescan. Later procfs mounts in that namespace are marked as their attach events arrive.
     *
     * <p>Meant for a process table that sees processes appear (fork, exec) and calls this the first time it meets
     * a process in a mount namespace it had not met. Thread-safe, and it returns at once: it never waits on
     * the mounts thread, and announcements that arrive in a burst are handled together (one per namespace, the
     * latest pid kept). Announcing a namespace that is already watched costs the mounts thread four system
     * calls and nothing else (without mount events, {@code mount-events=false} or a kernel before 6.15, it also reads
     * the namespace's mount table again: a procfs may have been mounted since it was first announced), so announcing
     * too often is harmless. Ignored before {@link #start}, after
     * {@link #close}, and when other namespaces are not watched ({@code other-namespaces=false}).
     *
     * <pre>{@code
     * processTable.onNewMountNamespace((pid, inode) -> source.watchMountNamespaceOf(pid, inode));
     * }</pre>
     *
     * @param pid                 a process living in that namespace, in this process's pid namespace
     * @param mountNamespaceInode the inode of its {@code /proc/<pid>/ns/mnt}; the namespace the process is in
     *                            when the mounts thread gets to it counts, if it has moved since
     */
    public void watchMountNamespaceOf(int pid, long mountNamespaceInode) {
        NamespaceAnnouncements a = announcements;
        if (a != null) {
            a.announce(pid, mountNamespaceInode);
        }
    }

    /**
     * The process table's lineage of {@code process}, after the table has applied the process events queued now (at most
     * the catch-up timeout): the pid and start time name the generation, or, when the start time is unknown, the only
     * generation of that pid whose parent is the process's known parent. Exited processes are in it while the table
     * keeps them.
     */
    @Override
    public List<Ancestor> ancestorsOf(ProcessInfo process) {
        ProcessTable t = processTable;
        ProcessFeed f = processFeed;
        if (t == null || f == null || process == null || !process.isKnown()) {
            return List.of();
        }
        f.catchUp(settings.processTable().catchUpTimeout().toNanos());
        ProcessRecord r = null;
        if (process.startTime() >= 0) {
            r = t.find(process.pid(), process.startTime());
        } else if (process.ppid() > 0) {
            List<ProcessRecord> same = t.generations(process.pid()).stream().filter(g -> g.ppid() == process.ppid()).toList();
            r = same.size() == 1 ? same.get(0) : null;
        }
        return r == null ? List.of() : t.ancestors(r);
    }

    @Override
    public Coverage coverage() {
        ProcInstanceTracker t;
        synchronized (lock) {
            t = closed ? null : tracker;
        }
        List<String> watching = new ArrayList<>();
        List<String> blind = new ArrayList<>();
        if (t != null) {
            for (ProcInstance i : t.snapshot().byDevice().values()) {
                if (i.marked()) {
                    watching.add("filesystem mark (FAN_OPEN) on " + i.describe()
                            + (i.pidNamespace() == PidNamespace.OTHER
                            ? "; its pids belong to another pid namespace and are mapped to this one through NSpid"
                            : ""));
                } else {
                    blind.add(i.describe() + ": the mark could not be placed (" + Errno.describe(i.markErrno())
                            + "), opens there are not seen");
                }
            }
            watching.add(settings.unlimitedQueue()
                    ? "kernel queue unlimited (FAN_UNLIMITED_QUEUE): kernel memory grows while the reader lags"
                    : "kernel queue bounded by fs.fanotify.max_queued_events (" + maxQueuedEvents()
                    + "); beyond it events are dropped and reported as queue_overflow");
        }
        IgnoreMarks marks = ignoreMarks;
        if (t != null && marks != null) {
            if (marks.active()) {
                watching.add("evictable ignore marks on /proc files that are neither environ nor mem ("
                        + marks.placed() + " placed, " + marks.flushes() + " flush(es) at "
                        + settings.ignoreMarks() + "): their next opens make no event"
                        + (settings.ignoreMarksWithin() > 0 ? "; only files of process " + settings.ignoreMarksWithin()
                        + " and its descendants" : ""));
            }
            marks.degradation().ifPresent(blind::add);
        }
        KernelReader r = reader;
        if (r != null && r.failure() != null) {
            blind.add(0, "the fanotify reader thread stopped (" + r.failure() + "): nothing is seen any more");
        }
        ProcessFeed feed = processFeed;
        if (t != null && feed != null) {
            watching.addAll(feed.describe(blind));
            if (processFeedProblem != null) {
                blind.add(0, processFeedProblem);
            }
        }
        blind.add("a failed open (EACCES, EPERM) produces no fanotify event: refused attempts are not seen");
        blind.add("process_vm_readv and ptrace PEEKDATA read another process's memory, its environment included,"
                + " without opening anything in /proc");
        blind.add("the kernel refuses fanotify permission events on procfs: reads are seen, never blocked");
        blind.add("an open whose target exits before the event is read has no path: it is reported as a"
                + " target_exited loss, not as an access");
        MountNamespaceWatch ns = namespaces;
        NamespaceAnnouncements a = announcements;
        if (t != null && ns != null && a != null) {
            MountNamespaceCoverage.describe(ns.state(), a.announced(), a.dropped(), settings, watching, blind);
        } else if (!settings.otherNamespaces()) {
            blind.add("procfs instances of other mount namespaces (containers) are not watched"
                    + " (" + FanotifySettings.OTHER_NAMESPACES + "=false)");
        }
        blind.addAll(support.degradations());
        return new Coverage(NAME, watching, blind);
    }

    /** {@code fs.fanotify.max_queued_events}, or {@code unknown}. */
    static String maxQueuedEvents() {
        return readSysctl(Path.of("/proc/sys/fs/fanotify/max_queued_events"));
    }

    /**
     * Reads a sysctl file in one {@code read}: an integer sysctl read from a non-zero offset returns end of
     * file, so a reader that goes a byte at a time (as {@code Files.readString} does with a file whose size
     * is 0) gets only the first digit.
     */
    static String readSysctl(Path file) {
        byte[] buffer = new byte[256];
        try (InputStream in = new FileInputStream(file.toFile())) {
            int n = in.read(buffer);
            return n <= 0 ? "unknown" : new String(buffer, 0, n, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Failed when the kernel-read thread stopped on an error (nothing is read from the kernel any more), or when any
     * of its three threads is no longer alive while the source is open; a closed source has stopped, too.
     */
    @Override
    public Optional<String> failure() {
        List<Thread> running;
        synchronized (lock) {
            if (closed) {
                return Optional.of("the fanotify source is closed");
            }
            if (!started) {
                return Optional.of("the fanotify source has not started");
            }
            running = List.copyOf(threads);
        }
        KernelReader r = reader;
        if (r != null && r.failure() != null) {
            return Optional.of("the fanotify reader thread stopped (" + r.failure() + "): nothing is seen any more");
        }
        for (Thread t : running) {
            if (!t.isAlive()) {
                return Optional.of("thread " + t.getName() + " has ended: opens are no longer read, resolved or"
                        + " marked as they should be");
            }
        }
        return Optional.empty();
    }

    /**
     * The source's counters: {@code kernel_events_read} (every /proc open on the host that was an event),
     * {@code resolver_queue_depth} (opens waiting for resolution now) and {@code resolver_queue_capacity}, and the
     * process table's
     * ({@code process_table_live}, {@code process_table_tombstones}, {@code process_table_evicted},
     * {@code process_events_read}, {@code process_events_lost}, {@code process_table_resyncs},
     * {@code cmdline_reads_timed_out} and more; see README).
     */
    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        KernelReader r = reader;
        BlockingQueue<RawAccess> q = queue;
        m.put(GuardStats.KERNEL_EVENTS_READ, r == null ? 0 : r.eventsRead());
        m.put("kernel_losses_counted", r == null ? 0 : r.lossesCounted());
        m.put(GuardStats.RESOLVER_QUEUE_DEPTH, q == null ? 0L : q.size());
        m.put(GuardStats.RESOLVER_QUEUE_CAPACITY, (long) settings.resolverQueue());
        ProcessFeed feed = processFeed;
        if (feed != null) {
            m.putAll(feed.metrics());
        }
        IgnoreMarks marks = ignoreMarks;
        m.put("ignore_marks_placed", marks == null ? 0 : marks.placed());
        return m;
    }

    /** The process table (for tests). */
    ProcessTable processTable() {
        return processTable;
    }

    /** Events decoded so far (every /proc open on the host, overflow records included). */
    long eventsRead() {
        KernelReader r = reader;
        return r == null ? 0 : r.eventsRead();
    }

    /** The group's descriptor, or -1 before start (for tests: its fdinfo lists the marks). */
    int groupFd() {
        synchronized (lock) {
            return group == null || closed ? -1 : group.fd();
        }
    }

    /** The mount-event group's descriptor, or -1 before start, after close, or without mount events (for tests). */
    int mountGroupFd() {
        synchronized (lock) {
            return namespaces == null || closed ? -1 : namespaces.fd();
        }
    }

    /** The mount namespaces watched now (for tests), or {@code null} before start. */
    MountNamespaceWatch.State mountNamespaces() {
        MountNamespaceWatch ns = namespaces;
        return ns == null ? null : ns.state();
    }

    /** The current procfs instances (for tests and coverage). */
    ProcInstanceTracker.Snapshot instances() {
        ProcInstanceTracker t = tracker;
        return t == null ? new ProcInstanceTracker.Snapshot(Map.of(), 0) : t.snapshot();
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            stopLocked();
        }
    }

    /** Stops the threads, lets the resolver finish what is queued (bounded), then closes every descriptor. */
    private void stopLocked() {
        if (wakeup != null) {
            wakeup.signal();
        }
        for (Thread t : threads) {
            if (!t.getName().startsWith("fanotify-resolver")) {
                join(t);
            }
        }
        if (reader != null && queue != null) {
            LossTally undelivered = reader.undelivered();
            if (!undelivered.isEmpty()) {
                offer(new RawAccess.Losses(undelivered.toReports()));
            }
            offer(ResolverLoop.STOP);
        }
        for (Thread t : threads) {
            if (t.getName().startsWith("fanotify-resolver")) {
                join(t);
            }
        }
        if (processFeed != null) {
            processFeed.close();
        }
        if (processTable != null) {
            processTable.close();
        }
        if (queue != null) {
            for (RawAccess item; (item = queue.poll()) != null; ) {
                if (item instanceof RawAccess.Open open && open.pidfd() >= 0) {
                    LinuxLibC.close(open.pidfd());
                }
            }
        }
        LOG.debug("phase: fanotify source threads stopped, process table closed");
        if (group != null) {
            group.close();
        }
        LOG.debug("phase: fanotify group closed");
        if (namespaces != null) {
            namespaces.close(); // the mounts thread has ended
        }
        if (announcements != null) {
            announcements.close();
        }
        if (wakeup != null) {
            wakeup.close();
        }
    }

    private void offer(RawAccess item) {
        try {
            if (!queue.offer(item, JOIN_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("resolver queue still full at shutdown; queued accesses are dropped");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(Thread t) {
        if (!Threads.join(t, JOIN_MILLIS)) {
            LOG.warn("thread {} did not stop within {} ms", t.getName(), 2 * JOIN_MILLIS);
        }
    }
}
