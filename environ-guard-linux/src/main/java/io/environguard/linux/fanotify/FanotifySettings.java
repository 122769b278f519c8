package io.environguard.linux.fanotify;

import io.environguard.api.GuardConfig;
import java.time.Duration;
import java.util.List;

/**
 * The fanotify host source's configuration, under {@code environguard.source.fanotify.}.
 *
 * <pre>{@code
 * FanotifySettings s = FanotifySettings.from(GuardConfig.of(Map.of(
 *         "environguard.source.fanotify.unlimited-queue", "false")));
 * }</pre>
 *
 * @param unlimitedQueue  {@code FAN_UNLIMITED_QUEUE}: the kernel queues events without bound (kernel memory
 *                        grows while the reader lags) instead of dropping them after
 *                        {@code fs.fanotify.max_queued_events} (16384 by default)
 * @param resolverQueue   how many environ/mem opens may wait for resolution; beyond it they are counted as
 *                        {@code resolver_backlog} losses
 * @param rescanInterval  how often the mount tables of other mount namespaces are scanned for new procfs
 *                        instances (this process's own table is watched continuously)
 * @param otherNamespaces whether to look for procfs instances of other mount namespaces at all
 */
record FanotifySettings(boolean unlimitedQueue, int resolverQueue, Duration rescanInterval, boolean otherNamespaces) {

    static final String PREFIX = "environguard.source.fanotify.";
    static final String UNLIMITED_QUEUE = PREFIX + "unlimited-queue";
    static final String RESOLVER_QUEUE = PREFIX + "resolver-queue";
    static final String RESCAN_INTERVAL = PREFIX + "rescan-interval";
    static final String OTHER_NAMESPACES = PREFIX + "other-namespaces";

    /** Every key this source reads. */
    static final List<String> KEYS = List.of(UNLIMITED_QUEUE, RESOLVER_QUEUE, RESCAN_INTERVAL, OTHER_NAMESPACES);

    FanotifySettings {
        if (resolverQueue < 1) {
            throw new IllegalArgumentException("configuration key " + RESOLVER_QUEUE + ": expected at least 1");
        }
        if (rescanInterval.isNegative() || rescanInterval.isZero() || rescanInterval.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("configuration key " + RESCAN_INTERVAL
                    + ": expected a positive duration of at most 24 days");
        }
    }

    static FanotifySettings defaults() {
        return from(GuardConfig.empty());
    }

    static FanotifySettings from(GuardConfig config) {
        return new FanotifySettings(
                config.getBoolean(UNLIMITED_QUEUE, true),
                config.getInt(RESOLVER_QUEUE, 16384),
                config.getDuration(RESCAN_INTERVAL, Duration.ofSeconds(10)),
                config.getBoolean(OTHER_NAMESPACES, true));
    }
}
