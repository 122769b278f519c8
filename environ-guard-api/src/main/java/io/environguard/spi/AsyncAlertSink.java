package io.environguard.spi;

import io.environguard.api.Alert;

/**
 * A sink whose deliveries complete after {@code publish} returns, such as a message-queue client that sends in
 * the background: it reports each alert's outcome through a {@link DeliveryReceipt}, so that the guard's
 * counters say what really reached the destination, not only what was handed to a client library.
 *
 * <pre>{@code
 * final class QueueSink implements AsyncAlertSink {
 *     public void publish(Alert alert, DeliveryReceipt receipt) {
 *         client.sendAsync(AlertJson.toJson(alert)).whenComplete((ok, error) -> {
 *             if (error == null) receipt.delivered(); else receipt.failed(error);
 *         });
 *     }
 *     public void publish(Alert alert) throws Exception {
 *         client.sendAsync(AlertJson.toJson(alert)).get(5, TimeUnit.SECONDS);
 *     }
 * }
 * }</pre>
 *
 * <p>The guard calls {@link #publish(Alert, DeliveryReceipt)} from the sink's own thread, as for any
 * {@link AlertSink}; the receipt may be completed on any thread, before or after it returns. A throw from
 * {@code publish} counts the alert as {@code failed} unless the receipt was completed first. {@link #close()}
 * should bound how long it waits for outstanding deliveries and fail the rest, so that every receipt is
 * completed; one that is not counts as {@code undelivered}. {@link AlertSink#publish(Alert)} stays for callers
 * outside the guard: it should return once the alert is delivered, within a bound, or throw.
 */
public interface AsyncAlertSink extends AlertSink {

    /**
     * Starts delivering one alert; completes {@code receipt} once the outcome is known.
     *
     * @param alert   the alert
     * @param receipt to complete, once, on any thread, with the outcome
     * @throws Exception when the delivery could not be started: the alert counts as {@code failed} unless
     *                   {@code receipt} was completed first
     */
    void publish(Alert alert, DeliveryReceipt receipt) throws Exception;
}
