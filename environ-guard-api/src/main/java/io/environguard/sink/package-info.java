/**
 * The built-in sinks ({@code slf4j}, {@code jsonl}) and the alert formats a sink plugin may reuse: one line of
 * text ({@link io.environguard.sink.AlertText}), one JSON object ({@link io.environguard.sink.AlertJson}), one OCSF
 * event ({@link io.environguard.sink.AlertOcsf}).
 */
package io.environguard.sink;
