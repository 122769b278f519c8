package io.environguard.linux.process;

import java.util.List;
import java.util.Map;

/**
 * What keeps a {@link ProcessTable} current, as a source sees it: the kernel's process events
 * ({@link ProcConnectorFeed}, root) or {@code /proc} alone ({@link ProcScanFeed}: a scan at start, reads on
 * demand, and rescans by whoever polls).
 *
 * <pre>{@code
 * feed.catchUp(TimeUnit.MILLISECONDS.toNanos(2));      // apply what the kernel has queued
 * ProcessRecord reader = feed.table().forAccess(pid, alive, feed.ticks(eventNanos));
 * if (reader == null) { reader = feed.capture(pid); }  // not held: read it from /proc now (never its cmdline)
 * }</pre>
 */
public interface ProcessFeed extends AutoCloseable {

    /** @return the table this feed fills */
    ProcessTable table();

    /**
     * Applies what is pending, waiting at most {@code timeoutNanos}; never waits on a process's memory.
     *
     * @param timeoutNanos the longest wait, in nanoseconds
     * @return whether the table is as current as the feed can make it
     */
    boolean catchUp(long timeoutNanos);

    /**
     * As {@link #catchUp(long)}, for an access made at {@code untilNanos} ({@code System.nanoTime} scale): only
     * what happened before it matters, so applying stops at the first later message.
     *
     * @param timeoutNanos the longest wait, in nanoseconds
     * @param untilNanos   when the access was made ({@code System.nanoTime} scale)
     * @return whether the table is as current as the feed can make it up to {@code untilNanos}
     */
    default boolean catchUp(long timeoutNanos, long untilNanos) {
        return catchUp(timeoutNanos);
    }

    /**
     * Reads process {@code pid} from {@code /proc} now into the table (its command line is queued for the
     * reader threads, never read here).
     *
     * @param pid a process id
     * @return the record, or {@code null} when there is no such process
     */
    ProcessRecord capture(int pid);

    /**
     * {@code record} once its command line is read, waiting at most {@code maxNanos} for a read under way
     * ({@link ProcessRecord.CommandLineState#PENDING}); {@code record} itself, or its newer state, otherwise.
     * Never waits on anything but the table's reader threads, whose reads have their own deadline.
     *
     * @param record   a record of the table
     * @param maxNanos the longest wait, in nanoseconds
     * @return the record with its command line, or the newest state the table holds when the wait ran out
     */
    default ProcessRecord awaitCommandLine(ProcessRecord record, long maxNanos) {
        return record;
    }

    /**
     * @param monotonicNanos a {@code CLOCK_MONOTONIC} time in nanoseconds
     * @return the start-time tick ({@code /proc/P/stat} field 22 scale) at that time
     */
    long ticks(long monotonicNanos);

    /**
     * What the table watches (returned) and what it cannot know (added to {@code blind}), for a source's
     * {@code coverage()}.
     *
     * @param blind where a line is added for each thing the table cannot know
     * @return what the table watches, one line each
     */
    List<String> describe(List<String> blind);

    /** @return the feed's and the table's counters, by snake_case name (see the source's {@code metrics()}) */
    Map<String, Long> metrics();

    /** Stops the feed's threads; the table stays readable. */
    @Override
    void close();
}
