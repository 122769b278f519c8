package io.environguard.linux.procfs;

import io.environguard.api.Coverage;
import io.environguard.api.LossReport;
import io.environguard.linux.internal.Threads;
import io.environguard.linux.proc.ProcReads;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.linux.process.ContainerIds;
import io.environguard.linux.process.ProcConnectorFeed;
import io.environguard.linux.process.ProcScanFeed;
import io.environguard.linux.process.ProcessFeed;
import io.environguard.linux.process.ProcessLookup;
import io.environguard.linux.process.ProcessProbe;
import io.environguard.linux.process.ProcessTable;
import io.environguard.linux.process.ProcessTableSettings;
import io.environguard.spi.AccessListener;
import io.environguard.spi.EventSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The unprivileged fallback: polls procfs for descriptors held open on other processes' {@code environ} and
 * {@code mem} files, and for new command lines that name such files. It needs no capability and no fanotify,
 * so it runs inside a default container profile; what it sees is limited by its nature, and it says so in
 * {@link #coverage()}:
 * <ul>
 *   <li>a read that opens and closes the file between two scans is not seen (a {@code cat /proc/P/environ}
 *       lives about a millisecond; scans are {@link ProcfsSettings#interval()} apart), unless its command line
 *       is caught while it runs;</li>
 *   <li>without {@code CAP_SYS_PTRACE} the descriptors of other users' processes cannot be read;</li>
 *   <li>{@code process_vm_readv} and {@code ptrace} reads open no file at all.</li>
 * </ul>
 *
 * <pre>{@code
 * ProcfsPollingSource source = new ProcfsPollingSource(ProcfsSettings.defaults(Path.of("/proc")));
 * source.start(listener);          // scans once, then every second on a daemon thread
 * ...
 * source.close();
 * }</pre>
 *
 * <p>{@link #scanOnce} runs one scan on the caller's thread (tests, benchmarks); scans never overlap.
 * Normally created by {@link ProcfsPollingSourceProvider} ({@code environguard.source=procfs}).
 */
public final class ProcfsPollingSource implements EventSource {

    /** The source's name, in accesses and in {@code environguard.source}. */
    public static final String NAME = ProcfsScanner.SOURCE;

    private static final Logger LOG = LoggerFactory.getLogger(ProcfsPollingSource.class);
    private static final long FAILURE_REPORT_SPACING_NANOS = ProcfsScanner.CUT_SHORT_REPORT_SPACING_NANOS;
    private static final Path HOST_PROC = Path.of("/proc");

    private final ProcfsSettings settings;
    private final boolean procConnector;
    private final ProcfsScanner scanner;
    private final Object scanLock = new Object();
    private final Object lifecycle = new Object();
    private final CountDownLatch stop = new CountDownLatch(1);
    private Thread poller;
    private boolean started;
    private boolean closed;
    /** Created with the first scan; written under {@code scanLock}. */
    private volatile ProcessFeed processFeed;
    private volatile String processFeedProblem;

    /**
     * A source that polls as {@code settings} say, stamping accesses with the system clock; nothing runs before
     * it is started.
     *
     * @param settings what to read and how often
     */
    public ProcfsPollingSource(ProcfsSettings settings) {
        this(settings, Clock.systemUTC());
    }

    /** @param clock stamps accesses (the policy's clock): tests pass one they control */
    ProcfsPollingSource(ProcfsSettings settings, Clock clock) {
        this(settings, clock, true);
    }

    /** @param procConnector whether to try the kernel's proc connector for the process table (tests: false polls) */
    ProcfsPollingSource(ProcfsSettings settings, Clock clock, boolean procConnector) {
        this.procConnector = procConnector;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.scanner = new ProcfsScanner(settings, Objects.requireNonNull(clock, "clock"));
    }

    /** @return the settings it polls by */
    public ProcfsSettings settings() {
        return settings;
    }

    /**
     * Scans once, then starts polling on a daemon thread. The first scan reports what is already held open
     * and every running process whose command line names an environ file.
     *
     * @throws IOException when the process list under the proc root cannot be read
     */
    @Override
    public void start(AccessListener listener) throws IOException {
        Objects.requireNonNull(listener, "listener");
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException("a procfs source starts once");
            }
            Path root = settings.procRoot();
            if (!Files.isDirectory(root)) {
                throw new IOException("the proc root " + root + " is not a directory: mount procfs there, or set "
                        + "environguard.proc.root");
            }
            try {
                scanOnce(listener);
                if (processFeed instanceof ProcScanFeed scanFeed) {
                    scanFeed.startPolling();
                }
            } catch (IOException e) {
                throw new IOException("cannot list the processes under " + root + ": " + e.getMessage(), e);
            }
            Thread t = new Thread(() -> poll(listener), "environ-guard-procfs");
            t.setDaemon(true);
            poller = t;
            started = true;
            t.start();
        }
    }

    /**
     * Runs one scan now, on this thread, delivering to {@code listener}; waits for a scan in progress first.
     *
     * @param listener told of each access found, on this thread
     * @return what the scan did
     * @throws IOException when the process list cannot be read
     */
    public ScanResult scanOnce(AccessListener listener) throws IOException {
        synchronized (scanLock) {
            if (processFeed == null) {
                startProcessTable(listener);
            }
            // With the proc connector: apply the process events queued so far (a polled table has none).
            processFeed.catchUp(settings.processTable().catchUpTimeout().toNanos());
            return scanner.scan(listener);
        }
    }

    /**
     * The process table readers and targets are described through: for the host's {@code /proc}, fed by the
     * kernel's proc connector where that is permitted (CAP_NET_ADMIN); otherwise filled from the proc root now and,
     * once the source is started, polled every {@code environguard.process-table.poll-interval}.
     */
    private void startProcessTable(AccessListener listener) {
        ProcessTableSettings tableSettings = settings.processTable();
        ProcessTable table = new ProcessTable(tableSettings);
        Path root = settings.procRoot();
        boolean hostProc = root.toAbsolutePath().normalize().equals(HOST_PROC) && Targets.isProcfs(root);
        ProcessProbe probe = hostProc ? ProcessProbe.host(root, ContainerIds.forHost(root), ProcessInspector.BeforeOpen.NONE)
                : ProcessProbe.portable(root, ProcReads.FILES);
        ProcessFeed feed = null;
        if (hostProc && procConnector) {
            try {
                feed = ProcConnectorFeed.start(table, tableSettings, probe, loss -> {
                    try {
                        listener.onLoss(loss);
                    } catch (RuntimeException e) {
                        LOG.warn("a loss report ({}) could not be delivered", loss.cause(), e);
                    }
                });
            } catch (IOException e) {
                processFeedProblem = e.getMessage();
                LOG.debug("procfs source: {}; the process table is polled", e.getMessage());
            }
        }
        if (feed == null) {
            feed = ProcScanFeed.start(table, tableSettings, probe);
        }
        scanner.lookup(new ProcessLookup(feed, tableSettings));
        processFeed = feed;
    }

    private void poll(AccessListener listener) {
        long intervalNanos = settings.interval().toNanos();
        long next = System.nanoTime() + intervalNanos;
        long lastFailureReport = 0;
        boolean failureReported = false;
        long failures = 0;
        try {
            while (true) {
                long wait = next - System.nanoTime();
                if (stop.await(Math.max(wait, 0), TimeUnit.NANOSECONDS)) {
                    return;
                }
                long begun = System.nanoTime();
                try {
                    scanOnce(listener);
                } catch (IOException | RuntimeException e) {
                    // never let a bad scan end polling; say so, batched, so that it is not silent
                    failures++;
                    if (!failureReported || begun - lastFailureReport >= FAILURE_REPORT_SPACING_NANOS) {
                        LOG.warn("procfs scan failed ({} since the last report); polling goes on", failures, e);
                        listener.onLoss(new LossReport(ProcfsScanner.SCAN_FAILED, failures,
                                "scans of " + settings.procRoot() + " failed: " + e.getClass().getSimpleName()));
                        failures = 0;
                        failureReported = true;
                        lastFailureReport = begun;
                    }
                }
                // fixed rate; a scan that overran starts the next one at once rather than catching up
                next = Math.max(begun + intervalNanos, System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The executable of running process {@code pid} as the process table holds it, else its {@code exe} link. */
    @Override
    public String exeOf(int pid) {
        ProcessFeed feed = processFeed;
        return ProcessLookup.exeOf(feed == null ? null : feed.table(), settings.procRoot(), pid);
    }

    /** The process table's feed: the proc connector or a poller; {@code null} before the first scan (tests). */
    ProcessFeed processFeed() {
        return processFeed;
    }

    /** The source's counters: the process table's ({@code process_table_live}, {@code process_table_polls}...). */
    @Override
    public Map<String, Long> metrics() {
        ProcessFeed feed = processFeed;
        return feed == null ? Map.of() : feed.metrics();
    }

    @Override
    public Coverage coverage() {
        ScanResult last = scanner.last();
        List<String> watching = new ArrayList<>(2);
        List<String> blind = new ArrayList<>(6);
        String every = human(settings.interval());
        watching.add("descriptors held open on other processes' environ and mem files, every " + every + " under "
                + settings.procRoot() + (last == null ? "" : " (last scan: " + last.processes() + " processes, "
                + (last.processes() - last.unreadable()) + " readable)"));
        if (settings.commandLines()) {
            watching.add("command lines of new processes that name environ or mem paths (lower confidence)");
        } else {
            blind.add("command lines (" + ProcfsSettings.COMMAND_LINES + " is off)");
        }
        blind.add("reads that open and close the file between two scans, " + every + " apart: most runs of"
                + " cat /proc/PID/environ, unless its command line is seen while it runs");
        blind.add("process_vm_readv and ptrace reads: no file is opened");
        blind.add("paths built at run time by concatenation, or read from a script file");
        blind.add("descriptors past the first " + settings.maxFdsPerProcess() + " of a process");
        blind.add("descriptors opened with O_PATH are not reported: they pin a file and cannot read it");
        if (last != null && last.unreadable() > 0) {
            blind.add("descriptors of " + last.unreadable() + " processes this process may not inspect (another"
                    + " user's; needs CAP_SYS_PTRACE)");
        }
        if (last != null && last.cutShort()) {
            blind.add(last.notExamined() + " processes the last scan did not reach within its "
                    + human(settings.scanBudget()) + " budget");
        }
        ProcessFeed feed = processFeed;
        if (feed != null) {
            watching.addAll(feed.describe(blind));
            if (processFeedProblem != null) {
                blind.add(processFeedProblem);
            }
        }
        return new Coverage(NAME, watching, blind);
    }

    /** Stops polling (waits for a scan in progress, at most its budget and a second). Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            t = poller;
        }
        stop.countDown();
        long wait = settings.scanBudget().toMillis() + 1000;
        if (t != null && !Threads.join(t, wait)) {
            LOG.warn("thread {} did not stop within {} ms", t.getName(), 2 * wait);
        }
        synchronized (scanLock) {
            ProcessFeed feed = processFeed;
            if (feed != null) {
                feed.close();
            }
        }
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
