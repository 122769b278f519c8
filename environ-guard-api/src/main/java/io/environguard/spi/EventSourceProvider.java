package io.environguard.spi;

import io.environguard.api.GuardConfig;

/**
 * Creates an {@link EventSource}; found through {@link java.util.ServiceLoader}. Implementations have a
 * public no-argument constructor that does no work; probing happens in {@link #availability()}.
 *
 * <p>Register in {@code META-INF/services/io.environguard.spi.EventSourceProvider}. The guard picks the
 * source named by {@code environguard.source}, or else the available provider of highest priority.
 * Configuration keys under {@code environguard.source.<name>.} belong to the provider named {@code name}.
 */
public interface EventSourceProvider {

    /** A short, stable, lower-case name, e.g. {@code fanotify}. */
    String name();

    /** Higher wins when no source is named. Built-in: fanotify 100, targeted fanotify 50, procfs 10. */
    int priority();

    /** Whether the source can run on this machine, and if not, why. Cheap; no lasting side effects. */
    Availability availability();

    /** Creates (does not start) the source. */
    EventSource create(GuardConfig config);
}
