package io.environguard.linux.process;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills a {@link ProcessTable} from {@code /proc} alone, for where the kernel's process events are not
 * available (no {@code CAP_NET_ADMIN}, a kernel without {@code CONFIG_PROC_EVENTS}, a simulated tree): one scan
 * at start, a read of any process a source asks about ({@link #capture}), and then a {@link #poll()} every
 * {@link ProcessTableSettings#pollInterval()} on a thread of its own once {@link #startPolling()} is called (or
 * whenever its owner calls {@link #poll()} or {@link #rescan()}). A process that starts and exits between two
 * looks is never seen: such a feed names short-lived readers only if a source asks about them while they still
 * run, and {@link #describe} says so.
 *
 * <pre>{@code
 * ProcScanFeed feed = ProcScanFeed.start(table, settings, ProcessProbe.portable(root, ProcReads.FILES));
 * feed.startPolling();                  // a poll every settings.pollInterval(), until close()
 * }</pre>
 */
public final class ProcScanFeed implements ProcessFeed {

    private static final Logger LOG = LoggerFactory.getLogger(ProcScanFeed.class);

    private final ProcessTable table;
    private final ProcessTableSettings settings;
    private final ProcEventApplier applier;
    private final CommandLineReader commandLines;
    private final BootClock clock;
    private final AtomicLong scans = new AtomicLong();
    private final AtomicLong lateCaptures = new AtomicLong();
    private final AtomicLong polls = new AtomicLong();
    private final AtomicLong pollNanos = new AtomicLong();
    private final Object pollLock = new Object();
    private volatile Thread poller;
    private volatile boolean closed;

    private ProcScanFeed(ProcessTable table, ProcessTableSettings settings, ProcessProbe probe, BootClock clock) {
        this.table = table;
        this.settings = settings;
        this.clock = clock;
        this.applier = new ProcEventApplier(table, probe, clock, settings.commandLineBytes());
        this.commandLines = new CommandLineReader(probe, Math.max(4096, 4 * settings.commandLineBytes()),
                settings.commandLineTimeout(), settings.commandLineThreads(), settings.maxStuckThreads(),
                applier.commandLineResults());
        applier.commandLines(commandLines);
    }

    /**
     * Scans {@code probe}'s tree into {@code table} once; polling starts only with {@link #startPolling()}.
     *
     * @param table    the table to fill
     * @param settings the command-line size, deadline and reader threads, and the poll interval
     * @param probe    how processes are read
     * @param clock    converts event times to start-time ticks (tests pass their own)
     * @return the feed, its first scan done
     */
    public static ProcScanFeed start(ProcessTable table, ProcessTableSettings settings, ProcessProbe probe,
                                     BootClock clock) {
        ProcScanFeed feed = new ProcScanFeed(table, settings, probe, clock);
        feed.rescan();
        return feed;
    }

    /**
     * As above with this machine's clocks.
     *
     * @param table    the table to fill
     * @param settings the command-line size, deadline and reader threads, and the poll interval
     * @param probe    how processes are read
     * @return the feed, its first scan done
     */
    public static ProcScanFeed start(ProcessTable table, ProcessTableSettings settings, ProcessProbe probe) {
        return start(table, settings, probe, BootClock.host());
    }

    /**
     * Reads every process again, adding new ones and retiring those gone, then expires tombstones.
     *
     * @return how many processes were read
     */
    public synchronized int rescan() {
        scans.incrementAndGet();
        int n = applier.scan();
        table.expire();
        return n;
    }

    /**
     * Brings the table up to date cheaply: the listing of {@code /proc}, a {@code stat} read of each process held
     * (to tell a reused pid), a full read of each new one; running processes no longer listed become tombstones.
     * Expires tombstones.
     *
     * @return how many processes were read in full
     */
    public synchronized int poll() {
        long t0 = System.nanoTime();
        int n = applier.poll();
        table.expire();
        polls.incrementAndGet();
        pollNanos.addAndGet(System.nanoTime() - t0);
        return n;
    }

    /**
     * Starts a daemon thread that {@linkplain #poll() polls} every {@link ProcessTableSettings#pollInterval()}
     * until {@link #close()}. A poll that fails (an unreadable {@code /proc}) is logged and the next one tried.
     *
     * @return this feed
     */
    public ProcScanFeed startPolling() {
        synchronized (pollLock) {
            if (poller != null || closed) {
                return this;
            }
            Thread t = new Thread(this::pollLoop, "process-table-poll (environguard)");
            t.setDaemon(true);
            poller = t;
            t.start();
        }
        return this;
    }

    /** @return whether {@link #startPolling()} started the polling thread (and it was not closed since) */
    public boolean polling() {
        return poller != null && !closed;
    }

    /** @return polls done so far (not counting the scan at start) */
    public long polls() {
        return polls.get();
    }

    private void pollLoop() {
        long interval = settings.pollInterval().toNanos();
        long failures = 0;
        while (!closed) {
            synchronized (pollLock) {
                long deadline = System.nanoTime() + interval;
                long left;
                while (!closed && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(pollLock, left);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
            if (closed) {
                return;
            }
            try {
                poll();
            } catch (RuntimeException e) {
                // Never let one bad look end polling; say so once in a while.
                if (failures++ % 60 == 0) {
                    LOG.warn("a poll of {} for the process table failed ({} so far); polling goes on",
                            settings.pollInterval(), failures, e);
                }
            }
        }
    }

    @Override
    public ProcessTable table() {
        return table;
    }

    /** Nothing is queued: a scan feed is as current as its last look. */
    @Override
    public boolean catchUp(long timeoutNanos) {
        return true;
    }

    @Override
    public ProcessRecord capture(int pid) {
        lateCaptures.incrementAndGet();
        table.expire(); // nobody else ages the tombstones of a feed nobody polls
        return applier.capture(pid, ProcessRecord.Origin.LATE, -1);
    }

    @Override
    public ProcessRecord awaitCommandLine(ProcessRecord record, long maxNanos) {
        return commandLines.awaitCommandLine(table, record, maxNanos);
    }

    @Override
    public long ticks(long monotonicNanos) {
        return clock.ticks(monotonicNanos);
    }

    @Override
    public List<String> describe(List<String> blind) {
        List<String> watching = new ArrayList<>(1);
        if (polling()) {
            watching.add("process table: polled from /proc every " + settings.pollInterval().toMillis() + " ms ("
                    + polls.get() + " poll(s) after the first scan) and by reads of the processes met: "
                    + table.liveCount() + " processes, " + table.tombstoneCount() + " exited ones kept for "
                    + settings.tombstoneTtl().toSeconds() + " s");
            blind.add("the process table is polled from /proc every " + settings.pollInterval().toMillis()
                    + " ms, not fed by the kernel's process events (the proc connector needs CAP_NET_ADMIN): a reader"
                    + " that starts and exits between two polls is named by pid only, with a note; an exec or rename"
                    + " since the last poll is read when the process is resolved, if it still runs");
        } else {
            watching.add("process table filled from /proc (" + scans.get() + " scan(s)) and by reads of the processes"
                    + " met: " + table.liveCount() + " processes, " + table.tombstoneCount() + " exited ones kept for "
                    + settings.tombstoneTtl().toSeconds() + " s");
            blind.add("the process table is not fed by the kernel's process events: a reader that started and exited"
                    + " since the last look at /proc is named by pid only, with a note");
        }
        return watching;
    }

    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        table.putMetrics(m);
        m.put("process_table_scans", scans.get());
        m.put("process_table_late_captures", lateCaptures.get());
        m.put("process_table_polls", polls.get());
        m.put("process_table_poll_micros", pollNanos.get() / 1000);
        commandLines.putMetrics(m);
        return m;
    }

    @Override
    public void close() {
        Thread t;
        synchronized (pollLock) {
            closed = true;
            t = poller;
            pollLock.notifyAll();
        }
        if (t != null && t != Thread.currentThread()) {
            io.environguard.linux.internal.Threads.join(t, 5_000);
        }
        commandLines.close();
    }
}
