package io.environguard.internal;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import java.time.Duration;
import java.util.List;

/**
 * The pipeline's own settings, read and checked before any source or sink is created, so that a bad value is
 * reported against its key and never blamed on the source.
 *
 * <pre>{@code
 * CoreSettings core = CoreSettings.from(config);   // ConfigException naming the key when a value is wrong
 * new Dispatcher(sinks, core.queueCapacity(), core.closeTimeout());
 * }</pre>
 *
 * @param queueCapacity alerts each sink's queue holds before drops are counted (at least 1)
 * @param closeTimeout  how long close waits for the sinks to drain (not negative)
 */
public record CoreSettings(int queueCapacity, Duration closeTimeout) {

    /** Capacity of each sink's queue. */
    public static final String QUEUE_CAPACITY = "environguard.dispatch.queue.capacity";
    /** How long close waits for sinks to drain. */
    public static final String CLOSE_TIMEOUT = "environguard.dispatch.close.timeout";
    /** The default of {@value #QUEUE_CAPACITY}. */
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;
    /** The default of {@value #CLOSE_TIMEOUT}. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

    /** Every key of the guard itself (the policy's are in {@link PolicyKeys}). */
    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of(SourceSelection.SOURCE, "auto", "the source to run, or auto for the available one of highest priority"),
            ConfigKey.of(SinkAssembly.SINKS, "", "comma-separated sink names; unset: slf4j plus every sink enabled by its own keys"),
            ConfigKey.of(QUEUE_CAPACITY, String.valueOf(DEFAULT_QUEUE_CAPACITY), "alerts queued per sink before drops are counted"),
            ConfigKey.of(CLOSE_TIMEOUT, "5s", "how long close() waits for sinks to drain"),
            ConfigKey.of(GuardConfig.PROC_ROOT, "/proc", "the procfs root sources read (the testkit points it at simulated trees)"),
            ConfigKey.of(GuardConfig.CONFIG_FILE, "", "a properties file read first"),
            ConfigKey.of(NoiseControl.LOSS_INTERVAL, "60s",
                    "lost events of one cause are added up this long after an alert of that cause; 0s: every report alerts"),
            ConfigKey.family(NoiseControl.RATE_PREFIX, "per-rule rate limit, environguard.alerts.rate.<rule>=N/DURATION;"
                    + " suppressed alerts are counted and summarised once per window", false));

    /**
     * Reads and checks the keys.
     *
     * @param config the configuration
     * @return the settings
     * @throws io.environguard.api.ConfigException naming the key and where its value came from
     */
    public static CoreSettings from(GuardConfig config) {
        int capacity = config.getInt(QUEUE_CAPACITY, DEFAULT_QUEUE_CAPACITY, 1);
        Duration timeout = config.getDuration(CLOSE_TIMEOUT, DEFAULT_CLOSE_TIMEOUT);
        if (timeout.isNegative()) {
            throw config.invalidValue(CLOSE_TIMEOUT, "expected a duration of 0 or more");
        }
        return new CoreSettings(capacity, timeout);
    }
}
