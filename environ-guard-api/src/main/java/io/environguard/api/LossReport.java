package io.environguard.api;

import java.util.Objects;

/**
 * Events a source knows it lost. Sources batch them (one report per read of the kernel queue, say),
 * and the guard turns each report into an {@link Rules#EVENTS_LOST} alert and counts it in the stats.
 *
 * @param cause  a short stable id: {@code queue_overflow}, {@code target_exited}, {@code fd_exhausted}...
 * @param count  how many events were lost (at least 1; for an overflow, at least the one record)
 * @param detail a human-readable explanation; never a secret
 */
public record LossReport(String cause, long count, String detail) {
    public LossReport {
        Objects.requireNonNull(cause, "cause");
        if (count < 1) {
            throw new IllegalArgumentException("a loss report counts at least one event");
        }
        detail = detail == null ? "" : detail;
    }
}
