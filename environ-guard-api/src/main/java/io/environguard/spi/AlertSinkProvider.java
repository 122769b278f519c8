package io.environguard.spi;

import io.environguard.api.GuardConfig;

/**
 * Creates an {@link AlertSink}; found through {@link java.util.ServiceLoader}, so a sink is added by putting
 * its jar on the classpath.
 *
 * <p>Register in {@code META-INF/services/io.environguard.spi.AlertSinkProvider}. The guard uses the sinks
 * named in {@code environguard.sinks}; when that key is unset, it uses {@code slf4j} plus every provider
 * whose {@link #enabledByDefault} says yes. Keys under {@code environguard.sink.<name>.} belong to it.
 */
public interface AlertSinkProvider {

    /** A short, stable, lower-case name, e.g. {@code webhook}. */
    String name();

    /** Creates the sink; throw with a clear message when its configuration is missing or wrong. */
    AlertSink create(GuardConfig config) throws Exception;

    /** Whether to run when {@code environguard.sinks} is unset, e.g. when the sink's own keys are present. */
    default boolean enabledByDefault(GuardConfig config) {
        return false;
    }
}
