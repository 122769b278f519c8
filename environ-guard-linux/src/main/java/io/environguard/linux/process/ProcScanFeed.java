package io.environguard.linux.process;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fills a {@link ProcessTable} from {@code /proc} alone, for where the kernel's process events are not
 * available (no {@code CAP_NET_ADMIN}, a kernel without {@code CONFIG_PROC_EVENTS}, a simulated tree): one scan
 * at start, a read of any process a source asks about ({@link #capture}), and a full rescan whenever its owner
 * calls {@link #rescan()} (a polling source does so on its own schedule). A process that starts and exits
 * between two looks is never seen: such a feed names short-lived readers only if a source asks about them while
 * they still run.
 *
 * <pre>{@code
 * ProcScanFeed feed = ProcScanFeed.start(table, settings, ProcessProbe.portable(root, ProcReads.FILES));
 * feed.rescan();                        // every poll interval
 * }</pre>
 */
public final class ProcScanFeed implements ProcessFeed {

    private final ProcessTable table;
    private final ProcessTableSettings settings;
    private final ProcEventApplier applier;
    private final CommandLineReader commandLines;
    private final BootClock clock;
    private final AtomicLong scans = new AtomicLong();
    private final AtomicLong lateCaptures = new AtomicLong();

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

    /** Scans {@code probe}'s tree into {@code table} once; {@code clock} converts event times (tests pass their own). */
    public static ProcScanFeed start(ProcessTable table, ProcessTableSettings settings, ProcessProbe probe,
                                     BootClock clock) {
        ProcScanFeed feed = new ProcScanFeed(table, settings, probe, clock);
        feed.rescan();
        return feed;
    }

    /** As above with this machine's clocks. */
    public static ProcScanFeed start(ProcessTable table, ProcessTableSettings settings, ProcessProbe probe) {
        return start(table, settings, probe, BootClock.host());
    }

    /** Reads every process again, adding new ones and retiring those gone; expires tombstones. */
    public synchronized int rescan() {
        scans.incrementAndGet();
        int n = applier.scan();
        table.expire();
        return n;
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
        watching.add("process table filled from /proc (" + scans.get() + " scan(s)) and by reads of the processes"
                + " met: " + table.liveCount() + " processes, " + table.tombstoneCount() + " exited ones kept for "
                + settings.tombstoneTtl().toSeconds() + " s");
        blind.add("the process table is not fed by the kernel's process events: a reader that started and exited"
                + " since the last look at /proc is named by pid only, with a note");
        return watching;
    }

    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        table.putMetrics(m);
        m.put("process_table_scans", scans.get());
        m.put("process_table_late_captures", lateCaptures.get());
        commandLines.putMetrics(m);
        return m;
    }

    @Override
    public void close() {
        commandLines.close();
    }
}
