package io.environguard.api;

/**
 * Delivery counters of one sink. Every alert given to the sink is in exactly one of them once the guard has
 * closed: {@code delivered + dropped + failed + undelivered} is then the number of alerts the guard raised
 * while the sink ran. While the guard runs, the difference is what is queued or in flight.
 *
 * @param sink        the sink's name
 * @param delivered   alerts the sink accepted; for an {@link io.environguard.spi.AsyncAlertSink}, alerts it
 *                    reported delivered (e.g. acknowledged by a broker)
 * @param dropped     alerts not queued because the sink's queue was full, or the guard was closed
 * @param failed      alerts the sink threw on, or an asynchronous sink reported failed
 * @param undelivered alerts still queued, or in flight in an asynchronous sink, when the guard closed and its
 *                    close timeout ran out
 */
public record SinkStats(String sink, long delivered, long dropped, long failed, long undelivered) {
}
