package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.api.AccessKind;
import io.environguard.api.Coverage;
import io.environguard.api.GuardStats;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.internal.Threads;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PidfdInfo;
import io.environguard.linux.nativeio.Pidfds;
import io.environguard.linux.nativeio.PollSet;
import io.environguard.linux.nativeio.Wakeup;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.linux.process.ContainerIds;
import io.environguard.linux.process.ProcConnectorFeed;
import io.environguard.linux.process.ProcScanFeed;
import io.environguard.linux.process.ProcessFeed;
import io.environguard.linux.process.ProcessLookup;
import io.environguard.linux.process.ProcessProbe;
import io.environguard.linux.process.ProcessTable;
import io.environguard.spi.AccessListener;
import io.environguard.spi.EventSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards a chosen set of processes (this JVM by default) with fanotify inode marks on every alias of their
 * {@code environ} and {@code mem} files: {@code /proc/P/f}, {@code /proc/P/task/T/f} and {@code /proc/T/f}
 * for every thread T, and the cross-thread {@code /proc/T/task/U/f} up to a cap. Works without privilege
 * for the caller's own processes: an ordinary user may place inode marks on files it may read, with
 * {@code FAN_REPORT_FID}.
 *
 * <p>Each alias is pinned by an {@code O_PATH} descriptor and marked through {@code /proc/self/fd/N}, so the
 * mark survives dentry reclaim. Events carry a file id (fsid, inode) that an {@link AliasMarks} table maps
 * back to (pid, alias). Threads that start later are marked at the next listing of {@code /proc/P/task}
 * (every {@code rescan-interval}, 500 ms by default; one small directory read), exited threads' marks and
 * descriptors are released then. One thread does everything: it sleeps in {@code poll} between events and
 * listings, so an idle guard costs a few directory reads per second.
 *
 * <p><b>Who read it.</b> With CAP_SYS_ADMIN the kernel attaches a pidfd of the reader to each event. Without
 * it, the kernel hides the reader (pid 0): the access names {@link ProcessInfo#unknown()} as reader and, as
 * a best-effort hint, the processes that held one of the guarded files open when the event was read
 * ({@link EnvironAccess#possibleReaders()}), with a note saying so.
 *
 * <p><b>Its process table.</b> Readers, possible readers and targets are described through a {@link ProcessTable}
 * of the source's own ({@link ProcessLookup}), with their lineage: fed by the kernel's proc connector where it is
 * permitted (CAP_NET_ADMIN), else read from {@code /proc} at start and polled ({@link ProcScanFeed}); a reader
 * that starts and exits between two polls is named by pid only, and {@link #coverage()} says so.
 *
 * <pre>{@code
 * try (EnvironGuard guard = EnvironGuard.builder()
 *         .set("environguard.source", "targeted")      // or leave auto: chosen when fanotify is not
 *         .build().start()) {
 *     System.err.println(guard.coverage());
 * }
 * }</pre>
 *
 * <p>It sees opens only: {@link #coverage()} lists what it cannot see (other procfs instances, aliases
 * beyond the cap, threads younger than one listing, {@code process_vm_readv} and ptrace).
 */
public final class TargetedFanotifySource implements EventSource {

    /** The source name in accesses, configuration and logs. */
    public static final String NAME = "targeted";

    private static final Logger LOG = LoggerFactory.getLogger(TargetedFanotifySource.class);
    private static final Path PROC = Path.of("/proc");
    private static final int BUFFER_SIZE = 16 * 1024;
    private static final long JOIN_MILLIS = 5_000;
    static final String HIDDEN_READER_NOTE = "the kernel hides the reader from an unprivileged listener;"
            + " possibleReaders is a best-effort hint: the processes that held one of this process's guarded files"
            + " open when the event was read (a reader that already closed it is missed, and a holder may not be"
            + " the reader)";

    private final TargetedSettings settings;
    private final int selfPid;
    private final Object lock = new Object();

    private boolean started;
    private boolean closed;
    private TargetedSupport support;
    private FanotifyGroup group;
    private AliasMarks marks;
    private Wakeup wakeup;
    private volatile GuardedThreadEvents connector;
    private int connectorErrno;
    private volatile ProcessTable processTable;
    private volatile ProcessFeed processFeed;
    private volatile String processFeedProblem;
    private ProcessLookup lookup;
    private Thread thread;
    private AccessListener listener;
    private ReaderAttribution attribution;
    private final Map<Integer, Integer> pidfds = new LinkedHashMap<>();
    private final Map<Integer, int[]> tasks = new LinkedHashMap<>();
    private final Map<Integer, TaskDirectory> taskDirs = new LinkedHashMap<>();
    private final Map<Integer, CachedTarget> targets = new HashMap<>();
    /** How long a guarded process's comm, exe and command line are reused for alerts. */
    private static final long TARGET_REFRESH_NANOS = 5_000_000_000L;
    private final Set<Integer> gone = new TreeSet<>();
    private final Memory buffer = new Memory(BUFFER_SIZE);
    private final ByteBuffer view = buffer.getByteBuffer(0, BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private final FdInspector fds = new FdInspector();
    private final Pidfds pidfdInfo = new Pidfds();
    private final List<Pending> pending = new ArrayList<>();
    private int effectiveMaxMarks;
    private long overflows;
    private long unmatched;

    private volatile Coverage coverage;
    private volatile Throwable failure;
    private volatile long eventsRead;
    private volatile long rescans;
    private volatile int markCount;
    private volatile List<Alias> marked = List.of();

    /** One decoded event, resolved after the whole read is decoded (attribution is one scan per read). */
    private record Pending(Instant time, long nanos, int pid, int pidfd, Alias alias, String readerExe,
                           PidfdInfo info) {
    }

    TargetedFanotifySource(TargetedSettings settings, long selfPid) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.selfPid = (int) selfPid;
    }

    /** Marks every alias (returning once they are marked), then starts the guard thread. */
    @Override
    public void start(AccessListener listener) throws IOException {
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the targeted source is closed");
            }
            if (started) {
                throw new IllegalStateException("the targeted source is already started");
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
        support = TargetedSupport.probe();
        if (!support.available()) {
            throw new IOException("the targeted source cannot run: " + support.reason());
        }
        this.listener = listener;
        try {
            group = TargetedSupport.openGroup(support.privileged());
        } catch (Fanotify.InitException e) {
            throw new IOException("the targeted source cannot run: " + TargetedSupport.describeInitFailure(e.errno()), e);
        }
        effectiveMaxMarks = capByOpenFileLimit(settings.maxMarks());
        marks = new AliasMarks(group);
        wakeup = Wakeup.create();
        startProcessTable(support.privileged() && settings.procConnector());
        attribution = new ReaderAttribution(PROC, selfPid, settings.attributionMaxProcesses(),
                pid -> lookup.describe("possible reader", pid, -1, ProcessInfo.UNKNOWN, -1, new ArrayList<>(1)));
        for (int pid : settings.pids()) {
            int fd = Pidfds.open(pid, false);
            if (fd < 0) {
                throw new IOException("the targeted source cannot guard pid " + pid + ": " + Errno.describe(-fd));
            }
            pidfds.put(pid, fd);
            taskDirs.put(pid, TaskDirectory.open(pid));
        }
        if (support.privileged() && settings.procConnector()) {
            int[] why = new int[1];
            connector = GuardedThreadEvents.open(why, Set.copyOf(settings.pids()));
            connectorErrno = why[0];
            if (connector == null) {
                LOG.info("no proc connector ({}): new threads are marked at the next listing of /proc/P/task",
                        Errno.describe(connectorErrno));
            }
        }
        rescan(true);
        if (!support.privileged() && settings.attribution()) {
            // Loads and links the scan's classes and buffers now, not on the first alert's path.
            attribution.scan(Map.of());
        }
        for (int pid : settings.pids()) {
            if (marks.state().byLevel().isEmpty() || !processMarked(pid)) {
                throw new IOException("the targeted source could not mark /proc/" + pid + "/environ: "
                        + marks.state().failures() + (pid == selfPid ? "" : " (an ordinary user may guard only its"
                        + " own, dumpable processes)"));
            }
        }
        thread = new Thread(this::run, "targeted-guard (environguard)");
        thread.setDaemon(true);
        thread.start();
        LOG.info("targeted source guarding pid(s) {} with {} inode mark(s){}", settings.pids(), marks.size(),
                support.privileged() ? "" : " (unprivileged: readers are hidden by the kernel)");
    }

    /**
     * Starts the process table readers and targets are resolved through: fed by the kernel's proc connector where
     * it is permitted ({@code connectorWanted}: privileged, and the key allows it), else filled from {@code /proc}
     * at start and polled every {@code environguard.process-table.poll-interval}.
     */
    private void startProcessTable(boolean connectorWanted) {
        processTable = new ProcessTable(settings.processTable());
        ProcessProbe probe = ProcessProbe.host(PROC, ContainerIds.forHost(PROC), ProcessInspector.BeforeOpen.NONE);
        if (connectorWanted) {
            try {
                processFeed = ProcConnectorFeed.start(processTable, settings.processTable(), probe, this::deliverLoss);
            } catch (IOException e) {
                processFeedProblem = e.getMessage();
                LOG.info("targeted source: {}; the process table is polled from /proc every {}", e.getMessage(),
                        settings.processTable().pollInterval());
            }
        }
        if (processFeed == null) {
            processFeed = ProcScanFeed.start(processTable, settings.processTable(), probe).startPolling();
        }
        lookup = new ProcessLookup(processFeed, settings.processTable());
    }

    private boolean processMarked(int pid) {
        return marks.pathsToPid().containsKey(new Alias(pid, pid, -1, settings.files().iterator().next()).path());
    }

    /** Never more marks than a quarter of the soft open-file limit: the pinning descriptors count against it. */
    private static int capByOpenFileLimit(int configured) {
        Memory rlimit = new Memory(16);
        if (LinuxLibC.getrlimit(LinuxLibC.RLIMIT_NOFILE, rlimit) != 0) {
            return configured;
        }
        long soft = rlimit.getLong(0);
        if (soft <= 0) {
            return configured;
        }
        return (int) Math.max(1, Math.min(configured, soft / 4));
    }

    private void run() {
        PollSet poll = new PollSet(connector == null ? 2 : 3);
        poll.watch(0, group.fd(), LinuxLibC.POLLIN);
        poll.watch(1, wakeup.fd(), LinuxLibC.POLLIN);
        if (connector != null) {
            poll.watch(2, connector.fd(), LinuxLibC.POLLIN);
        }
        long interval = settings.rescanInterval().toNanos();
        long nextRescan = System.nanoTime() + interval;
        try {
            while (true) {
                // Rounded up: poll counts whole milliseconds, and a wait rounded down to 0 would spin until due.
                long wait = Math.max(0, (nextRescan - System.nanoTime() + 999_999) / 1_000_000);
                int ready = poll.await((int) Math.min(wait, Integer.MAX_VALUE));
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw new IllegalStateException("poll on the fanotify descriptor failed: " + Errno.describe(-ready));
                }
                if (ready > 0 && poll.ready(1) != 0) {
                    return;
                }
                if (ready > 0 && poll.ready(0) != 0) {
                    drain();
                }
                if (ready > 0 && connector != null && poll.ready(2) != 0 && connector.drain(tasks.keySet())) {
                    // A guarded process gained or lost a thread: list and mark now, not at the next interval.
                    rescan(false);
                }
                // Due within a millisecond counts as due: poll may wake that much early.
                if (System.nanoTime() - nextRescan >= -1_000_000) {
                    rescan(false);
                    nextRescan = System.nanoTime() + interval;
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.error("targeted source stopped; reads of the guarded processes are no longer seen", e);
            publishCoverage();
            deliverLoss(new LossReport("source_failed", 1, "the targeted source stopped (" + e
                    + "): reads of the guarded processes are no longer seen until the guard is restarted"));
        }
    }

    // ---- events ----

    private void drain() {
        while (true) {
            int n = group.read(buffer);
            if (n > 0) {
                process(n);
            } else if (n == -Errno.EINTR) {
                continue;
            } else if (n == 0 || n == -Errno.EAGAIN) {
                return;
            } else {
                deliverLoss(new LossReport("read_error", 1, "a read of the fanotify queue failed ("
                        + Errno.name(-n) + "); the events in it were dropped"));
                return;
            }
        }
    }

    private void process(int length) {
        Instant now = Instant.now();
        pending.clear();
        long overflowsBefore = overflows;
        eventsRead += FidEventDecoder.decode(view, length, (mask, pid, fsid, inode, pidfd) -> {
            if ((mask & Fanotify.FAN_Q_OVERFLOW) != 0) {
                closeIfOpen(pidfd);
                overflows++;
                return;
            }
            Alias alias = inode < 0 ? null : marks.lookup(fsid, inode);
            if (alias == null) {
                closeIfOpen(pidfd);
                unmatched++;
                return;
            }
            String exe = null;
            PidfdInfo info = null;
            long nanos = System.nanoTime();
            if (pid > 0 && pid != selfPid) {
                // Read now: a short-lived reader such as cat is gone by the time it is resolved.
                int n = fds.readLink("/proc/" + pid + "/exe");
                exe = n > 0 ? fds.linkString(n) : null;
                info = pidfd >= 0 ? pidfdInfo.info(pidfd).orElse(null) : null;
            }
            pending.add(new Pending(now, nanos, pid, pidfd, alias, exe, info));
        });
        if (overflows > overflowsBefore) {
            deliverLoss(new LossReport("queue_overflow", overflows - overflowsBefore, "the kernel's fanotify queue"
                    + " overflowed: reads of the guarded processes after it were dropped until the queue drained;"
                    + " how many is unknown, the count is of overflow records"));
        }
        ReaderAttribution.Result holders = null;
        if (!pending.isEmpty()) {
            // With the proc connector: apply the process events queued before these reads (a reader that forked and
            // exec'd a moment ago is then known by its new image). A polled table has nothing queued.
            processFeed.catchUp(settings.processTable().catchUpTimeout().toNanos());
        }
        for (Pending p : pending) {
            try {
                if (p.pid() == 0 && settings.attribution() && holders == null) {
                    holders = attribution.scan(marks.pathsToPid());
                }
                listener.onAccess(resolve(p, holders));
            } catch (RuntimeException e) {
                LOG.warn("an access to {} could not be delivered", p.alias().path(), e);
            } finally {
                closeIfOpen(p.pidfd());
            }
        }
        pending.clear();
    }

    private EnvironAccess resolve(Pending p, ReaderAttribution.Result holders) {
        Alias a = p.alias();
        List<String> notes = new ArrayList<>(2);
        ProcessInfo reader;
        List<ProcessInfo> possible = List.of();
        if (p.pid() == selfPid) {
            reader = ProcessInfo.builder(selfPid).build();
        } else if (p.pid() > 0) {
            reader = reader(p, notes);
        } else {
            reader = ProcessInfo.unknown();
            if (support.privileged()) {
                notes.add("the kernel did not name the reader: it runs in a pid namespace this process cannot see");
            } else {
                notes.add(HIDDEN_READER_NOTE);
            }
            if (holders != null) {
                possible = holders.holders().getOrDefault(a.pid(), List.of());
                if (holders.denied() > 0 || holders.truncated()) {
                    notes.add("the best-effort scan listed the descriptors of " + holders.visited() + " process(es); "
                            + holders.denied() + " could not be listed (other users' processes)"
                            + (holders.truncated() ? "; it stopped at its bound of "
                            + settings.attributionMaxProcesses() + " processes" : ""));
                }
            } else if (!settings.attribution()) {
                notes.add("best-effort attribution is off (" + TargetedSettings.ATTRIBUTION + "=false)");
            }
        }
        return EnvironAccess.builder()
                .time(p.time())
                .source(NAME)
                .kind(AccessKind.OPEN)
                .file(a.file())
                .path(a.path())
                .alias(a.kind())
                .reader(reader)
                .target(target(a, notes))
                .possibleReaders(possible)
                .notes(notes)
                .build();
    }

    /**
     * The guarded process as target, through the process table, from a cache refreshed every
     * {@link #TARGET_REFRESH_NANOS}: it is the same process at every event, and a read of it from {@code /proc}
     * per event would sit on the alert's path.
     */
    private ProcessInfo target(Alias a, List<String> notes) {
        CachedTarget cached = targets.get(a.pid());
        long now = System.nanoTime();
        if (cached == null || now - cached.readAt() > TARGET_REFRESH_NANOS || !cached.info().complete()) {
            List<String> targetNotes = new ArrayList<>(1);
            cached = new CachedTarget(lookup.describe("target", a.pid(), -1, ProcessInfo.UNKNOWN, -1, targetNotes),
                    List.copyOf(targetNotes), now);
            targets.put(a.pid(), cached);
        }
        notes.addAll(cached.notes());
        return a.tid() == ProcessInfo.UNKNOWN ? cached.info() : cached.info().toBuilder().tid(a.tid()).build();
    }

    private record CachedTarget(ProcessInfo info, List<String> notes, long readAt) {
    }

    /**
     * The reader the kernel named, through the process table: as it runs now, or as the table recorded it when it
     * has exited (with its lineage either way); what the event itself carried (its executable, read at once, and
     * its pidfd's ids) fills what the table lacks.
     */
    private ProcessInfo reader(Pending p, List<String> notes) {
        if (p.pidfd() == Fanotify.FAN_NOPIDFD) {
            notes.add("the reader exited before its event was read");
        }
        ProcessInfo found = lookup.describe("reader", p.pid(), -1, ProcessInfo.UNKNOWN, p.nanos(), notes);
        PidfdInfo info = p.info();
        ProcessInfo.Builder b = found.toBuilder();
        if (info != null && (found.uid() < 0 || found.ppid() <= 0)) {
            b.ppid(found.ppid() > 0 ? found.ppid() : info.ppid());
            if (found.uid() < 0) {
                b.uid(info.uid()).gid(info.gid());
            }
        }
        if (found.exe() == null && p.readerExe() != null) {
            b.exe(p.readerExe()); // read with the event, before the reader could go
            notes.add("the reader's executable was read with the event");
        }
        return b.build();
    }

    private void deliverLoss(LossReport report) {
        try {
            listener.onLoss(report);
        } catch (RuntimeException e) {
            LOG.warn("a loss report ({}) could not be delivered", report.cause(), e);
        }
    }

    // ---- threads coming and going ----

    /** Lists each guarded process's threads; re-plans and re-marks only when a set changed. */
    private void rescan(boolean force) {
        boolean changed = force;
        // Listing a task directory costs the kernel a lookup per thread (about 0.2 ms for 200 threads); its
        // link count is the thread count for one statx. So: a count every interval, a listing when the count
        // moved and every few intervals, which catches a start and an exit within the same interval.
        boolean full = force || ++rescanTicks % fullListingEvery() == 0;
        for (Map.Entry<Integer, Integer> e : pidfds.entrySet()) {
            int pid = e.getKey();
            if (gone.contains(pid)) {
                continue;
            }
            TaskDirectory dir = taskDirs.get(pid);
            int[] known = tasks.get(pid);
            if (!full && known != null && dir.count() == known.length) {
                continue;
            }
            int[] now = dir.list();
            // A live process lists at least one task; an empty listing is the cue to ask its pidfd.
            if (now.length == 0 && !Pidfds.isAlive(e.getValue())) {
                gone.add(pid);
                tasks.remove(pid);
                taskDirs.remove(pid).close();
                marks.releaseProcess(pid);
                changed = true;
                LOG.info("guarded process {} exited; its marks are released", pid);
                continue;
            }
            if (!Arrays.equals(now, tasks.get(pid))) {
                tasks.put(pid, now);
                changed = true;
            }
        }
        rescans++;
        if (changed) {
            long t0 = System.nanoTime();
            AliasPlan plan = AliasPlan.of(tasks, orderedFiles(), effectiveMaxMarks);
            marks.apply(plan.aliases());
            targets.clear();
            LOG.debug("threads changed: {} of {} aliases marked in {} us", marks.size(), plan.possible(),
                    (System.nanoTime() - t0) / 1000);
            markCount = marks.size();
            marked = marks.aliases();
            publishCoverage(plan.possible());
        }
    }

    private List<ProcFile> orderedFiles() {
        List<ProcFile> files = new ArrayList<>(settings.files());
        files.sort(null);
        return files;
    }


    // ---- coverage ----

    private long lastPossible;
    private long rescanTicks;

    /**
     * Intervals between full listings: every 4th (1 s at the default interval) without the proc connector,
     * every 10th with it, when the listing only backs up the connector's events.
     */
    private int fullListingEvery() {
        return connector != null ? 10 : 4;
    }

    private void publishCoverage() {
        publishCoverage(lastPossible);
    }

    private void publishCoverage(long possible) {
        lastPossible = possible;
        AliasMarks.State state = marks.state();
        List<String> watching = new ArrayList<>();
        List<String> blind = new ArrayList<>();
        List<Integer> live = new ArrayList<>(tasks.keySet());
        watching.add(state.marked() + " inode mark(s) (FAN_OPEN), each pinned by an O_PATH descriptor, on the "
                + String.join(" and ", orderedFiles().stream().map(ProcFile::id).toList())
                + " aliases of pid(s) " + live + ": " + describeLevels(state.byLevel()));
        watching.add(support.privileged()
                ? "readers named by the kernel (FAN_REPORT_PIDFD)"
                : "unprivileged: the kernel hides readers; alerts carry a best-effort list of possible readers");
        watching.add(connector != null
                ? "new threads marked as they appear (proc connector" + (connector.filtered()
                ? ", filtered in the kernel to the guarded processes" : ", unfiltered: every process event on the host wakes"
                + " the guard") + "), backed by a thread count every " + settings.rescanInterval().toMillis()
                + " ms and a listing of /proc/P/task every " + fullListingEvery() * settings.rescanInterval().toMillis()
                + " ms; exited threads' marks released"
                : "new threads marked within " + settings.rescanInterval().toMillis()
                + " ms (the thread count, from /proc/P/task's link count, is checked every interval and the"
                + " directory listed when it moves and every " + fullListingEvery() * settings.rescanInterval().toMillis()
                + " ms); exited threads' marks released");
        watching.add("/proc/self/... and /proc/thread-self/... name the opener itself: they lead to these inodes only"
                + " when a guarded process opens its own files, which is a self-read and never an alert");
        Throwable f = failure;
        if (f != null) {
            blind.add("the targeted source thread stopped (" + f + "): nothing is seen any more");
        }
        long unmarked = possible - state.marked();
        if (unmarked > 0) {
            blind.add(unmarked + " of " + possible + " aliases are not marked" + (state.marked() >= effectiveMaxMarks
                    ? " because the cap of " + effectiveMaxMarks + " marks is reached (" + TargetedSettings.MAX_MARKS
                    + ", at most a quarter of RLIMIT_NOFILE); cross-thread aliases /proc/T/task/U/... go first"
                    : ""));
        }
        state.failures().forEach((errno, count) -> blind.add(count + " alias(es) could not be marked in the last pass ("
                + errno + ", e.g. " + state.example().get(errno) + ")" + explain(errno)));
        if (!gone.isEmpty()) {
            blind.add("guarded process(es) " + gone + " exited; nothing of theirs is watched");
        }
        if (connector != null) {
            blind.add("a thread is watched through its own aliases from about a millisecond after it starts (the proc"
                    + " connector's delay plus the marking); /proc/P/" + orderedFiles().get(0).id() + " is watched throughout");
        } else {
            blind.add("a thread is watched through its own aliases only from the check after it starts (up to "
                    + settings.rescanInterval().toMillis() + " ms; up to " + fullListingEvery() * settings.rescanInterval().toMillis()
                    + " ms when another thread ended in the same interval" + (support.privileged() && settings.procConnector()
                    ? "; the proc connector was refused: " + Errno.describe(connectorErrno) : "")
                    + "); /proc/P/" + orderedFiles().get(0).id() + " is watched throughout");
        }
        blind.add("other procfs instances (a second mount -t proc, another mount namespace's /proc) are other"
                + " inodes: reads through them are not seen");
        blind.add("a failed open (EACCES, EPERM) produces no fanotify event: refused attempts are not seen");
        blind.add("process_vm_readv and ptrace PEEKDATA read the environment without opening anything in /proc");
        blind.add("the kernel refuses fanotify permission events on procfs: reads are seen, never blocked");
        coverage = new Coverage(NAME, watching, blind);
    }

    private static String explain(String errno) {
        switch (errno) {
            case "EACCES":
                return ": the process is non-dumpable, so its /proc files belong to root and an unprivileged mark is"
                        + " refused; start the guard before making it non-dumpable, or give the guard CAP_SYS_ADMIN";
            case "ENOENT":
            case "ESRCH":
                return ": the thread exited between the listing and the mark";
            case "EMFILE":
            case "ENFILE":
                return ": no file descriptor left to pin the alias";
            case "ENOSPC":
                return ": the per-user limit of fanotify marks (/proc/sys/fs/fanotify/max_user_marks) is reached";
            default:
                return "";
        }
    }

    private static String describeLevels(Map<Alias.Level, Integer> byLevel) {
        List<String> parts = new ArrayList<>();
        for (Alias.Level level : Alias.Level.values()) {
            int n = byLevel.getOrDefault(level, 0);
            switch (level) {
                case PROCESS: parts.add(n + " /proc/P/..."); break;
                case TASK: parts.add(n + " /proc/P/task/T/..."); break;
                case THREAD: parts.add(n + " /proc/T/..."); break;
                default: parts.add(n + " cross-thread /proc/T/task/U/..."); break;
            }
        }
        return String.join(", ", parts);
    }

    @Override
    public Coverage coverage() {
        Coverage c = coverage;
        if (c == null) {
            return new Coverage(NAME, List.of(), List.of("not started"));
        }
        ProcessFeed feed = processFeed;
        if (feed == null) {
            return c;
        }
        // The marks' part is built when they change; the table's is read now (its counts move on their own).
        List<String> watching = new ArrayList<>(c.watching());
        List<String> blind = new ArrayList<>(c.blindSpots());
        watching.addAll(feed.describe(blind));
        if (processFeedProblem != null) {
            blind.add(processFeedProblem);
        }
        return new Coverage(NAME, watching, blind);
    }

    /**
     * The executable of running process {@code pid} as the process table holds it, else {@code /proc/<pid>/exe}
     * (a readlink: it opens nothing).
     */
    @Override
    public String exeOf(int pid) {
        return ProcessLookup.exeOf(processTable, PROC, pid);
    }

    /** The guarded pids: the guard protects them in its policy (reads of them are critical). */
    @Override
    public Set<Integer> protectedPids() {
        return Set.copyOf(settings.pids());
    }

    /** Marks held now. */
    int markCount() {
        return markCount;
    }

    /** The paths of the aliases marked after the last change (for tests and tools; built on each call). */
    Set<String> markedPaths() {
        Set<String> paths = new java.util.HashSet<>();
        marked.forEach(a -> paths.add(a.path()));
        return paths;
    }

    /** Process events received from the proc connector so far, or -1 without one. */
    long procConnectorMessages() {
        GuardedThreadEvents c = connector;
        return c == null ? -1 : c.messages();
    }

    /** Listings of /proc/P/task done so far. */
    long rescans() {
        return rescans;
    }

    /** Events decoded so far, overflow records included. */
    long eventsRead() {
        return eventsRead;
    }

    /** Failed when its thread stopped on an error: reads of the guarded processes are no longer seen. */
    @Override
    public java.util.Optional<String> failure() {
        Throwable f = failure;
        return f == null ? java.util.Optional.empty()
                : java.util.Optional.of("the targeted source thread stopped (" + f + "): nothing is seen any more");
    }

    /** {@code kernel_events_read} (opens of marked aliases, overflow records included) and {@code marks}. */
    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put(GuardStats.KERNEL_EVENTS_READ, eventsRead);
        m.put("marks", (long) markCount);
        ProcessFeed feed = processFeed;
        if (feed != null) {
            m.putAll(feed.metrics());
        }
        return m;
    }

    /** The process table's feed: a poller, or the proc connector (tests). */
    ProcessFeed processFeed() {
        return processFeed;
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

    private void stopLocked() {
        if (wakeup != null) {
            wakeup.signal();
        }
        if (thread != null && !Threads.join(thread, JOIN_MILLIS)) {
            LOG.warn("thread {} did not stop within {} ms", thread.getName(), 2 * JOIN_MILLIS);
        }
        if (marks != null) {
            marks.close();
        }
        if (group != null) {
            group.close();
        }
        pidfds.values().forEach(LinuxLibC::close);
        pidfds.clear();
        taskDirs.values().forEach(TaskDirectory::close);
        taskDirs.clear();
        if (connector != null) {
            connector.close();
        }
        if (processFeed != null) {
            processFeed.close();
        }
        if (wakeup != null) {
            wakeup.close();
        }
    }

    private static void closeIfOpen(int fd) {
        if (fd >= 0) {
            LinuxLibC.close(fd);
        }
    }
}
