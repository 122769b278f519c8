package io.environguard.spi;

/**
 * How an {@link AsyncAlertSink} reports the outcome of one alert after {@link AsyncAlertSink#publish(
 * io.environguard.api.Alert, DeliveryReceipt) publish} returned: the guard counts the alert as
 * {@code delivered} or {@code failed} for that sink when the receipt is completed.
 *
 * <pre>{@code
 * producer.send(record, (metadata, error) -> {
 *     if (error == null) {
 *         receipt.delivered();
 *     } else {
 *         receipt.failed(error);
 *     }
 * });
 * }</pre>
 *
 * <p>Only the first completion counts; later calls are ignored. Completing is thread-safe and cheap (it
 * may run on a client library's I/O thread). A receipt never completed counts as {@code undelivered} once
 * the guard has closed.
 */
public interface DeliveryReceipt {

    /** The alert reached its destination (e.g. the broker acknowledged it). */
    void delivered();

    /**
     * The alert will not reach its destination. The guard logs {@code cause}'s class and message (rate limited),
     * so a message must not hold a secret or an alert's strings.
     *
     * @param cause why; its message must not hold a secret
     */
    void failed(Throwable cause);
}
