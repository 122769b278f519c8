/**
 * The Kafka sink plugin ({@code environguard.sinks=kafka}): one record per alert, JSON lines or OCSF, keyed by host and
 * the blamed process so that one reader's alerts stay ordered in one partition; found through
 * {@link java.util.ServiceLoader} as {@link io.environguard.sink.kafka.KafkaSinkProvider}.
 */
package io.environguard.sink.kafka;
