package io.environguard.spi;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import java.util.List;

/**
 * Creates an {@link EventSource}; found through {@link java.util.ServiceLoader}. Implementations have a
 * public no-argument constructor that does no work; probing happens in {@link #availability()}.
 *
 * <p>Register in {@code META-INF/services/io.environguard.spi.EventSourceProvider}. The guard picks the
 * source named by {@code environguard.source}, or else the available provider of highest priority.
 * Configuration keys under {@code environguard.source.<name>.} belong to the provider named {@code name}, which
 * declares them in {@link #keys()}.
 *
 * <pre>{@code
 * public final class MySourceProvider implements EventSourceProvider {
 *     public String name() { return "mine"; }
 *     public int priority() { return 20; }
 *     public Availability availability() { return Availability.available("reads my audit log"); }
 *     public EventSource create(GuardConfig config) { return new MySource(config); }
 * }
 * }</pre>
 */
public interface EventSourceProvider {

    /** @return a short, stable, lower-case name, e.g. {@code fanotify} */
    String name();

    /** @return higher wins when no source is named; built-in: fanotify 100, targeted fanotify 50, procfs 10 */
    int priority();

    /** @return whether the source can run on this machine, and if not, why; cheap, with no lasting side effects */
    Availability availability();

    /**
     * Creates (does not start) the source.
     *
     * @param config the guard's configuration; read your keys (under {@code environguard.source.<name>.}) here
     * @return the source, not started
     * @throws IllegalArgumentException (preferably {@link io.environguard.api.ConfigException}) naming the key,
     *                                  never its value, when a value is invalid
     */
    EventSource create(GuardConfig config);

    /**
     * Every configuration key this source reads, with its default and meaning, and whether it is secret. The guard
     * warns about any other key under {@code environguard.source.<name>.} (a misspelling is otherwise silently
     * ignored) and lists these in {@code EnvironGuard.describeConfiguration()}.
     *
     * <pre>{@code
     * @Override
     * public List<ConfigKey> keys() {
     *     return List.of(ConfigKey.of("environguard.source.mine.interval", "1s", "time between two scans"));
     * }
     * }</pre>
     *
     * @return the declared keys; the default, none, means every key under the prefix is reported as unknown
     */
    default List<ConfigKey> keys() {
        return List.of();
    }
}
