package io.environguard.spi;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import java.util.List;

/**
 * Creates an {@link AlertSink}; found through {@link java.util.ServiceLoader}, so a sink is added by putting
 * its jar on the classpath.
 *
 * <p>Register in {@code META-INF/services/io.environguard.spi.AlertSinkProvider}. The guard uses the sinks
 * named in {@code environguard.sinks}; when that key is unset, it uses {@code slf4j} plus every provider
 * whose {@link #enabledByDefault} says yes. Keys under {@code environguard.sink.<name>.} belong to it, and it
 * declares them in {@link #keys()}.
 *
 * <pre>{@code
 * public final class MySinkProvider implements AlertSinkProvider {
 *     public String name() { return "mine"; }
 *     public AlertSink create(GuardConfig config) { return alert -> System.out.println(alert.rule()); }
 * }
 * }</pre>
 */
public interface AlertSinkProvider {

    /** @return a short, stable, lower-case name, e.g. {@code webhook} */
    String name();

    /**
     * Creates the sink.
     *
     * @param config the guard's configuration; read your keys (under {@code environguard.sink.<name>.}) here
     * @return the sink
     * @throws Exception with a clear message naming the key (never its value) when the configuration is missing or
     *                   wrong, or when the sink cannot be opened
     */
    AlertSink create(GuardConfig config) throws Exception;

    /**
     * Whether to run when {@code environguard.sinks} is unset, e.g. when the sink's own keys are present.
     *
     * @param config the guard's configuration
     * @return true to run without being named
     */
    default boolean enabledByDefault(GuardConfig config) {
        return false;
    }

    /**
     * Every configuration key this sink reads, with its default and meaning, and whether it is secret (a URL with
     * a token, a password). The guard warns about any other key under {@code environguard.sink.<name>.} and lists
     * these in {@code EnvironGuard.describeConfiguration()}, secrets masked.
     *
     * <pre>{@code
     * @Override
     * public List<ConfigKey> keys() {
     *     return List.of(ConfigKey.secret("environguard.sink.mine.url", "where alerts go; may carry a token"));
     * }
     * }</pre>
     *
     * @return the declared keys; the default, none, means every key under the prefix is reported as unknown
     */
    default List<ConfigKey> keys() {
        return List.of();
    }
}
