/**
 * The plug-in interfaces, found through {@link java.util.ServiceLoader}: a source of environ accesses
 * ({@link io.environguard.spi.EventSourceProvider}, {@link io.environguard.spi.EventSource}) and a destination of
 * alerts ({@link io.environguard.spi.AlertSinkProvider}, {@link io.environguard.spi.AlertSink}). Each provider
 * declares the configuration keys it reads ({@code keys()}).
 */
package io.environguard.spi;
