package io.environguard.linux.fanotify;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import io.environguard.linux.process.ProcessTableSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * Provides the {@linkplain FanotifyHostSource fanotify host source}: name {@code fanotify}, priority 100
 * (preferred whenever it can run). Registered in {@code META-INF/services/io.environguard.spi.EventSourceProvider}.
 *
 * <pre>{@code
 * EventSourceProvider p = new FanotifyHostSourceProvider();
 * Availability a = p.availability();
 * // unprivileged: "needs CAP_SYS_ADMIN (fanotify filesystem marks); the procfs source runs without it"
 * }</pre>
 *
 * <p>Configuration keys, under {@code environguard.source.fanotify.}: see {@link #keys()}.
 */
public final class FanotifyHostSourceProvider implements EventSourceProvider {

    /** The priority of the fanotify host source: above every other built-in source. */
    public static final int PRIORITY = 100;

    /** For {@link java.util.ServiceLoader}; does no work. */
    public FanotifyHostSourceProvider() {
        // No work here: the ServiceLoader instantiates every provider, available or not.
    }

    @Override
    public String name() {
        return FanotifyHostSource.NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /** Probes once per JVM (a fanotify group with a /proc mark, closed again) and names the exact obstacle. */
    @Override
    public Availability availability() {
        FanotifySupport support = FanotifySupport.get();
        return support.available() ? Availability.available(support.reason()) : Availability.unavailable(support.reason());
    }

    /** The keys under {@code environguard.source.fanotify.}, with their defaults. */
    @Override
    public List<ConfigKey> keys() {
        List<ConfigKey> keys = new ArrayList<>(List.of(
                ConfigKey.of(FanotifySettings.UNLIMITED_QUEUE, "true",
                        "FAN_UNLIMITED_QUEUE; false keeps the kernel's bound (16384 events) and reports overflows"),
                ConfigKey.of(FanotifySettings.RESOLVER_QUEUE, "16384",
                        "environ/mem opens waiting for resolution; beyond it they count as resolver_backlog losses"),
                ConfigKey.of(FanotifySettings.RESCAN_INTERVAL, "10s",
                        "how often other mount namespaces are scanned for new procfs instances"),
                ConfigKey.of(FanotifySettings.OTHER_NAMESPACES, "true", "watch containers' own /proc instances"),
                ConfigKey.of(FanotifySettings.IGNORE_MARKS, "16384",
                        "evictable ignore marks on uninteresting /proc files before they are flushed; 0 places none"),
                ConfigKey.of(FanotifySettings.IGNORE_MARKS_WITHIN, "",
                        "a pid: only files of that process and its descendants get ignore marks (test harnesses)"),
                ConfigKey.of(FanotifySettings.BATCH_WINDOW, "200us",
                        "inside a burst of /proc opens, how long the kernel-read thread lets events gather; 0 reads at once"),
                ConfigKey.of(FanotifySettings.MOUNT_EVENTS, "true",
                        "watch mount namespaces for new procfs mounts with FAN_MARK_MNTNS (Linux 6.15+); false polls"
                                + " this namespace's mountinfo and rescans the others"),
                ConfigKey.of(FanotifySettings.MAX_MOUNT_NAMESPACES, "1024",
                        "mount namespaces watched for later mounts (the guard's own included); beyond it, the rescan")));
        keys.addAll(ProcessTableSettings.CONFIG_KEYS);
        return List.copyOf(keys);
    }

    @Override
    public EventSource create(GuardConfig config) {
        return new FanotifyHostSource(FanotifySettings.from(config));
    }
}
