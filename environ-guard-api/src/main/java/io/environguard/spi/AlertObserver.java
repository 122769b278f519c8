package io.environguard.spi;

import io.environguard.api.Alert;
import io.environguard.api.LossReport;

/**
 * Told of every alert the guard hands to its sinks, and of every loss report its source makes: the hook for
 * metrics (the {@code environ-guard-micrometer} binder is one) and tracing. Register it with
 * {@code EnvironGuard.addAlertObserver}; it is called on the thread that raised the alert, right after the alert
 * was queued for the sinks, so it must be thread-safe, return in well under a microsecond and never block. An
 * observer that throws is logged and skipped for that alert; it never stops the pipeline.
 *
 * <pre>{@code
 * LongAdder critical = new LongAdder();
 * guard.addAlertObserver((alert, latencyNanos) -> {
 *     if (alert.severity() == Severity.CRITICAL) {
 *         critical.increment();
 *     }
 * });
 * }</pre>
 */
@FunctionalInterface
public interface AlertObserver {

    /** {@code latencyNanos} of an alert that no access raised (lost events, alerts raised later by a timer). */
    long NO_ACCESS = -1;

    /**
     * {@code latencyNanos} of an alert raised by an access whose latency was not measured because no observer
     * {@linkplain #wantsLatency() wanted} it.
     */
    long NOT_MEASURED = -2;

    /**
     * One alert, as the sinks get it.
     *
     * @param alert        the alert
     * @param latencyNanos for an alert raised by judging an access: the time from the access's
     *                     {@link io.environguard.api.EnvironAccess#time() time} (when the source saw it; for the
     *                     fanotify source, when its kernel-read thread read the event) to the alert's hand-off to
     *                     the sinks' queues, in nanoseconds, never negative; {@link #NOT_MEASURED} ({@code -2}) for
     *                     such an alert when no observer {@linkplain #wantsLatency() wanted} its latency;
     *                     {@link #NO_ACCESS} ({@code -1}) for every other alert (lost events, alerts raised later by
     *                     a timer)
     */
    void onAlert(Alert alert, long latencyNanos);

    /**
     * Whether this observer wants the latency of the next alert an access raises. The guard reads a clock for an
     * alert only when some observer wants its latency: the read costs a few tens of nanoseconds, a tenth of what the
     * alert costs the alerting thread, which an observer that samples latencies (the Micrometer binder, once it
     * holds as many as it hands on per second) need not pay for every alert. Called on the alerting thread just
     * before {@link #onAlert}, so it must be as cheap as reading a field. An observer that declines may still get a
     * measured latency, when another observer wanted it. Default: always.
     *
     * @return {@code true} to have the next access-raised alert's latency measured
     */
    default boolean wantsLatency() {
        return true;
    }

    /**
     * A loss report as the source made it, before the guard decides how to alert on it. Default: nothing.
     *
     * @param loss the report
     */
    default void onLoss(LossReport loss) {
    }
}
