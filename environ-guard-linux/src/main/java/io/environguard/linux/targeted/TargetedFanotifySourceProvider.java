package io.environguard.linux.targeted;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import io.environguard.linux.process.ProcessTableSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * Provides the {@linkplain TargetedFanotifySource targeted source}: name {@code targeted}, priority 50
 * (below the host-wide {@code fanotify} source, 100, which needs CAP_SYS_ADMIN; above {@code procfs}, 10).
 * Available to an ordinary user on Linux with fanotify. Registered in
 * {@code META-INF/services/io.environguard.spi.EventSourceProvider}.
 *
 * <pre>{@code
 * GuardConfig config = GuardConfig.builder()
 *         .set("environguard.source", "targeted")
 *         .set("environguard.source.targeted.pids", "self")     // the default
 *         .build();
 * }</pre>
 *
 * <p>Keys under {@code environguard.source.targeted.}: {@code pids} (default {@code self}; other pids must be
 * the caller's own, dumpable processes unless it has CAP_SYS_ADMIN), {@code files} (default
 * {@code environ,mem}), {@code max-marks} (default 4096, and never above a quarter of RLIMIT_NOFILE),
 * {@code rescan-interval} (default {@code 500ms}), {@code attribution} (default {@code true}),
 * {@code attribution.max-processes} (default 4096) and {@code proc-connector} (default {@code true}); and the
 * process table's keys under {@code environguard.process-table.} ({@link ProcessTableSettings#CONFIG_KEYS}).
 */
public final class TargetedFanotifySourceProvider implements EventSourceProvider {

    /** Below fanotify (100), above procfs (10). */
    public static final int PRIORITY = 50;

    /** For {@link java.util.ServiceLoader}; does no work. */
    public TargetedFanotifySourceProvider() {
        // No work here: the ServiceLoader instantiates every provider, available or not.
    }

    @Override
    public String name() {
        return TargetedFanotifySource.NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /** Probes by doing: a FID group and an inode mark on this process's own environ, closed again. */
    @Override
    public Availability availability() {
        TargetedSupport support = TargetedSupport.probe();
        return support.available() ? Availability.available(support.reason()) : Availability.unavailable(support.reason());
    }

    /** The keys under {@code environguard.source.targeted.}, with their defaults. */
    @Override
    public List<ConfigKey> keys() {
        List<ConfigKey> keys = new ArrayList<>(List.of(
                ConfigKey.of(TargetedSettings.PIDS, "self",
                        "processes to guard (self = this JVM); others must be yours and dumpable unless privileged"),
                ConfigKey.of(TargetedSettings.FILES, "environ,mem", "which files' aliases to mark"),
                ConfigKey.of(TargetedSettings.MAX_MARKS, String.valueOf(TargetedSettings.DEFAULT_MAX_MARKS),
                        "cap on marks and pinning descriptors (never above a quarter of RLIMIT_NOFILE)"),
                ConfigKey.of(TargetedSettings.RESCAN_INTERVAL, "500ms", "thread-count check interval"),
                ConfigKey.of(TargetedSettings.ATTRIBUTION, "true", "best-effort possible readers when the reader is hidden"),
                ConfigKey.of(TargetedSettings.ATTRIBUTION_MAX_PROCESSES, "4096", "bound on the possible-readers scan"),
                ConfigKey.of(TargetedSettings.PROC_CONNECTOR, "true", "with privilege, mark new threads as they appear")));
        keys.addAll(ProcessTableSettings.CONFIG_KEYS); // readers and targets are resolved through a process table
        return List.copyOf(keys);
    }

    /** @throws IllegalArgumentException naming the key when a value is invalid */
    @Override
    public EventSource create(GuardConfig config) {
        return new TargetedFanotifySource(TargetedSettings.from(config, ProcessHandle.current().pid()),
                ProcessHandle.current().pid());
    }
}
