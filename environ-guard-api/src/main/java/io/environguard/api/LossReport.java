package io.environguard.api;

import java.util.Objects;

/**
 * Events a source knows it lost. Sources batch them (one report per read of the kernel queue, say),
 * and the guard turns each report into an {@link Rules#EVENTS_LOST} alert and counts it in the stats.
 *
 * <pre>{@code
 * listener.onLoss(new LossReport("queue_overflow", 1, "the kernel queue overflowed"));
 * listener.onLoss(new LossReport("target_exited_guard_read", 3, "the guard's own /proc reads", true));
 * }</pre>
 *
 * @param cause           a short stable id: {@code queue_overflow}, {@code target_exited}, {@code fd_exhausted}...
 * @param count           how many events were lost (at least 1; for an overflow, at least the one record)
 * @param detail          a human-readable explanation; never a secret
 * @param certainlyNoRead the source knows that none of these events was an environ or mem read (say, the guard's own
 *                        reads of other {@code /proc} files): the guard counts them (stats, metrics) and raises no
 *                        alert for them
 */
public record LossReport(String cause, long count, String detail, boolean certainlyNoRead) {
    /**
     * Checks the fields; a {@code null} detail becomes empty.
     *
     * @param cause           a short stable id
     * @param count           how many events were lost, at least 1
     * @param detail          a human-readable explanation, or {@code null}; never a secret
     * @param certainlyNoRead whether the source knows none of these events was an environ or mem read
     * @throws IllegalArgumentException when {@code count} is below 1
     */
    public LossReport {
        Objects.requireNonNull(cause, "cause");
        if (count < 1) {
            throw new IllegalArgumentException("a loss report counts at least one event");
        }
        detail = detail == null ? "" : detail;
    }

    /**
     * Events that may have been environ or mem reads: alerted (aggregated per cause over an interval).
     *
     * @param cause  a short stable id: {@code queue_overflow}, {@code target_exited}, {@code fd_exhausted}...
     * @param count  how many events were lost, at least 1
     * @param detail a human-readable explanation, or {@code null}; never a secret
     * @throws IllegalArgumentException when {@code count} is below 1
     */
    public LossReport(String cause, long count, String detail) {
        this(cause, count, detail, false);
    }
}
