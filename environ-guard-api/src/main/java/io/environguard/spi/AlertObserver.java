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

    /**
     * One alert, as the sinks get it.
     *
     * @param alert        the alert
     * @param latencyNanos for an alert raised by judging an access: the time from the access's
     *                     {@link io.environguard.api.EnvironAccess#time() time} (when the source saw it; for the
     *                     fanotify source, when its kernel-read thread read the event) to the alert's hand-off to
     *                     the sinks' queues, in nanoseconds, never negative; {@code -1} for every other alert (lost
     *                     events, alerts raised later by a timer)
     */
    void onAlert(Alert alert, long latencyNanos);

    /**
     * A loss report as the source made it, before the guard decides how to alert on it. Default: nothing.
     *
     * @param loss the report
     */
    default void onLoss(LossReport loss) {
    }
}
