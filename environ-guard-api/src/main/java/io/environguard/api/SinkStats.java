package io.environguard.api;

/**
 * Delivery counters of one sink.
 *
 * @param sink        the sink's name
 * @param delivered   alerts the sink accepted
 * @param dropped     alerts not queued because the sink's queue was full
 * @param failed      alerts the sink threw on
 * @param undelivered alerts still queued when the guard closed and its close timeout ran out
 */
public record SinkStats(String sink, long delivered, long dropped, long failed, long undelivered) {
}
