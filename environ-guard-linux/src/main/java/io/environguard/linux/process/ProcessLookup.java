package io.environguard.linux.process;

import io.environguard.api.ProcessInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How a source turns a pid into the {@link ProcessInfo} of an alert through its {@link ProcessTable}: the record
 * the table holds (with its lineage), else what {@code /proc} shows now, else the pid alone with a note saying
 * the process is not in the table. Shared by every source, so that a reader is described the same way whichever
 * source saw it; also the home of the table's command-line wait and notes.
 *
 * <p>With a feed that polls ({@link ProcScanFeed}), a process that still runs is read again when it is resolved
 * (the table may hold it as it was before an exec since the last poll; the read updates the table); one that is
 * gone is described from the table's record of it, tombstone included. With the kernel's events
 * ({@link ProcConnectorFeed}), the table is current and is asked first. Either way a process's
 * {@code cmdline} is never read here: only a read already under way on the table's reader threads is waited
 * for, briefly and within a budget ({@link ProcessTableSettings#COMMAND_LINE_WAIT_BUDGET_PER_SECOND}).
 *
 * <p>Not thread-safe (the wait budget): one per resolving thread.
 *
 * <pre>{@code
 * ProcessLookup lookup = new ProcessLookup(feed, settings);
 * List<String> notes = new ArrayList<>();
 * ProcessInfo reader = lookup.describe("reader", 4242, -1, ProcessInfo.UNKNOWN, eventNanos, notes);
 * }</pre>
 */
public final class ProcessLookup {

    private static final long WAIT_BUDGET_NANOS = ProcessTableSettings.COMMAND_LINE_WAIT_BUDGET_PER_SECOND.toNanos();

    private final ProcessFeed feed;
    private final ProcessTable table;
    private final boolean polled;
    private final long commandLineTimeoutMillis;
    private final long commandLineWaitNanos;
    /** Nanoseconds of waiting for command lines still allowed (a bucket refilled at 2% of the time). */
    private long waitBudget = WAIT_BUDGET_NANOS;
    private long budgetRefilled = System.nanoTime();

    /**
     * With the command-line deadline and wait of {@code settings}.
     *
     * @param feed     the feed whose table is looked up (a polling feed is asked for running processes afresh)
     * @param settings where the command-line deadline and wait come from
     */
    public ProcessLookup(ProcessFeed feed, ProcessTableSettings settings) {
        this(feed, settings.commandLineTimeout().toMillis(), settings.commandLineWait().toNanos());
    }

    /**
     * With a command-line deadline and wait of its own.
     *
     * @param feed                     the feed whose table is looked up
     * @param commandLineTimeoutMillis the table's command-line deadline, for notes
     * @param commandLineWaitNanos     how long to wait for a command-line read already under way (0: never)
     */
    public ProcessLookup(ProcessFeed feed, long commandLineTimeoutMillis, long commandLineWaitNanos) {
        this.feed = Objects.requireNonNull(feed, "feed");
        this.table = feed.table();
        this.polled = feed instanceof ProcScanFeed;
        this.commandLineTimeoutMillis = commandLineTimeoutMillis;
        this.commandLineWaitNanos = commandLineWaitNanos;
    }

    /** @return the table looked up */
    public ProcessTable table() {
        return table;
    }

    /**
     * Process {@code pid} as the table knows it, for an alert.
     *
     * @param who       {@code "reader"} or {@code "target"}, for notes
     * @param pid       a process id (not a thread id)
     * @param startTime its start time when the caller knows which generation it means ({@code /proc/P/stat} field
     *                  22), or -1 for the one running now (or, if none runs, the newest the table holds)
     * @param tid       the thread to name in the result, or {@link ProcessInfo#UNKNOWN}
     * @param atNanos   when the process was seen at work ({@code System.nanoTime} scale), or -1: a process the
     *                  table knew had exited before then is not taken for it
     * @param notes     where a note is added when details are missing, and why
     * @return never {@code null}: at worst the pid alone, not complete
     */
    public ProcessInfo describe(String who, int pid, long startTime, int tid, long atNanos, List<String> notes) {
        if (pid <= 0) {
            return ProcessInfo.unknown();
        }
        ProcessRecord record = record(pid, startTime, atNanos);
        if (record == null) {
            notes.add("the " + who + " is not in the process table (it started and exited between two looks at"
                    + " /proc, or existed before the guard and exited before the table's first scan reached it):"
                    + " only its pid is known");
            return ProcessInfo.builder(pid).tid(tid).startTime(startTime).complete(false).build();
        }
        if (!record.isLive()) {
            notes.add("the " + who + " exited before it was resolved: details are those the process table recorded"
                    + " while it ran");
        }
        return toProcessInfo(who, record, tid, notes);
    }

    /**
     * The record of {@code pid} (the generation that started at {@code startTime}, when not -1): read again
     * when it runs and the feed polls, from the table otherwise; {@code null} when neither has it, or when all the
     * table holds is a process whose exit it had learnt before {@code atNanos} (when not -1).
     *
     * @param pid       a process id
     * @param startTime its start time in clock ticks since boot, or -1 for the one running now
     * @param atNanos   when the process was seen at work ({@code System.nanoTime} scale), or -1
     * @return the record, or {@code null}
     */
    public ProcessRecord record(int pid, long startTime, long atNanos) {
        ProcessRecord held = startTime >= 0 ? table.find(pid, startTime) : table.live(pid);
        if (held != null && !polled) {
            return held;
        }
        if (held == null || held.isLive()) {
            // Not held, or polled and running: what /proc shows now (an exec since the last poll updates the table).
            ProcessRecord now = feed.capture(pid);
            boolean startedLater = now != null && startTime < 0 && atNanos != -1
                    && now.startTime() > feed.ticks(atNanos) + 1;
            if (now != null && (startTime < 0 || now.startedAt(startTime)) && !startedLater) {
                return now;
            }
            if (held != null && held.isLive() && (now == null || !now.startedAt(held.startTime()))) {
                // Gone since the last look (or its pid holds a later process now): the table learns it here.
                ProcessRecord gone = table.markGone(pid, held.startTime());
                held = gone != null ? gone : table.find(pid, held.startTime());
            }
        }
        if (held != null) {
            return held; // gone since: the table's record of it
        }
        ProcessRecord last = startTime >= 0 ? null : table.newest(pid);
        if (last != null && !last.isLive() && atNanos != -1 && last.exitNanos() - atNanos < 0) {
            return null; // known to have exited before it was at work: a later process had the pid
        }
        return last;
    }

    /**
     * {@code record} as an API {@link ProcessInfo} with its ancestors, after a short wait for its command line if a
     * read is under way; {@code complete} only when its image and command line are known, and a note says what is
     * missing.
     *
     * @param who    {@code "reader"} or {@code "target"}, for notes
     * @param record a record of the table
     * @param tid    the thread to name in the result, or {@link ProcessInfo#UNKNOWN}
     * @param notes  where a note is added for each detail that is missing
     * @return the process as alerts show it
     */
    public ProcessInfo toProcessInfo(String who, ProcessRecord record, int tid, List<String> notes) {
        ProcessRecord r = withCommandLine(record);
        ProcessInfo info = table.toProcessInfo(r, tid);
        boolean complete = r.imageKnown() && (r.exe() != null || r.kernelThread()) && r.uid() >= 0;
        if (!r.imageKnown() || (r.exe() == null && !r.kernelThread())) {
            notes.add("the " + who + "'s executable is unknown (it exited, or it is another user's process)");
        }
        complete &= commandLineNote(who, r, notes);
        return complete == info.complete() ? info : info.toBuilder().complete(complete).build();
    }

    /**
     * The executable of running process {@code pid} as {@code table} recorded it at its exec; for a process the
     * table does not hold (or holds with an unknown image), its {@code exe} link under {@code procRoot} (a readlink:
     * it opens nothing, so it makes no fanotify event); {@code null} when neither tells.
     *
     * @param table    the process table, or {@code null} to read the link only
     * @param procRoot the {@code /proc} tree to read the link from
     * @param pid      a process id; {@code null} is returned for 0 or less
     * @return the executable's path, or {@code null}
     */
    public static String exeOf(ProcessTable table, Path procRoot, int pid) {
        if (pid <= 0) {
            return null;
        }
        ProcessRecord r = table == null ? null : table.live(pid);
        if (r != null && r.imageKnown() && r.exe() != null) {
            return r.exe();
        }
        try {
            return Files.readSymbolicLink(procRoot.resolve(Integer.toString(pid)).resolve("exe")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * {@code record}, after a short wait for its command line if a read of it is under way: the read was queued
     * when the process was met and usually ends within a millisecond, so the alert can carry it. The wait is
     * bounded per call ({@link ProcessTableSettings#commandLineWait()}) and in total (20 ms in any second,
     * whatever the processes): a process that stalls reads of its own memory can delay other alerts by no more
     * than that, and its own read is abandoned by the table at its deadline in any case.
     *
     * @param record a record of the table
     * @return the newest record of that process once the read ended or the wait ran out; {@code record} itself
     *         when no read is under way
     */
    public ProcessRecord withCommandLine(ProcessRecord record) {
        if (record.commandLineState() != ProcessRecord.CommandLineState.PENDING || commandLineWaitNanos <= 0) {
            return record;
        }
        long now = System.nanoTime();
        waitBudget = Math.min(WAIT_BUDGET_NANOS, waitBudget + (now - budgetRefilled) / 50);
        budgetRefilled = now;
        long wait = Math.min(commandLineWaitNanos, waitBudget);
        if (wait <= 0) {
            return record;
        }
        ProcessRecord after = feed.awaitCommandLine(record, wait);
        waitBudget -= System.nanoTime() - now;
        return after;
    }

    /**
     * Adds a note when the command line of {@code record} is not known, saying why.
     *
     * @param who    {@code "reader"} or {@code "target"}, for notes
     * @param record a record of the table
     * @param notes  where the note is added
     * @return whether it is known
     */
    public boolean commandLineNote(String who, ProcessRecord record, List<String> notes) {
        switch (record.commandLineState()) {
            case READ:
            case INHERITED:
                return true;
            case PENDING:
                notes.add("the " + who + "'s command line had not been read yet (it is read off the alert's path)");
                return false;
            case TIMED_OUT:
                notes.add("reading the " + who + "'s command line took longer than " + commandLineTimeoutMillis
                        + " ms and was abandoned: the process may be stalling reads of its own memory"
                        + (record.commandLine().isEmpty() ? "" : "; the command line shown is from before"));
                return false;
            case UNREADABLE:
                notes.add("the " + who + " exited before its command line could be read");
                return false;
            default:
                notes.add("the " + who + "'s command line was not read (the table's reader threads were stuck or busy)");
                return false;
        }
    }
}
