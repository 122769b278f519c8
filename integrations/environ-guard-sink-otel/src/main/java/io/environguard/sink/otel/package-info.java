/**
 * The OpenTelemetry logs sink plugin ({@code environguard.sinks=otel}): one log record per alert through the
 * application's {@code OpenTelemetry} or one built by the SDK's autoconfigure; found through
 * {@link java.util.ServiceLoader} as {@link io.environguard.sink.otel.OtelSinkProvider}.
 */
package io.environguard.sink.otel;
