package io.environguard.linux.procfs;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.environguard.linux.process.ProcessTableSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Provides the procfs polling source ({@code procfs}, priority 10): chosen automatically when no fanotify
 * source can run (a default container profile, no {@code CAP_SYS_ADMIN}), or explicitly with
 * {@code environguard.source=procfs}. Keys: {@link ProcfsSettings}.
 *
 * <pre>{@code
 * EnvironGuard guard = EnvironGuard.builder()
 *         .set("environguard.source", "procfs")
 *         .set("environguard.source.procfs.interval", "500ms")
 *         .build().start();
 * }</pre>
 */
public final class ProcfsPollingSourceProvider implements EventSourceProvider {

    /** Below the fanotify sources (100 and 50): polling is the fallback. */
    public static final int PRIORITY = 10;

    private static final Path PROC = Path.of("/proc");
    /** {@code CAP_SYS_PTRACE}: needed to read the descriptors of another user's processes. */
    private static final int CAP_SYS_PTRACE = 19;

    @Override
    public String name() {
        return ProcfsPollingSource.NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return Availability.unavailable("procfs polling needs Linux's /proc (this is " + os + ")");
        }
        if (!Files.isReadable(PROC.resolve("self").resolve("stat"))) {
            return Availability.unavailable("/proc is not mounted or not readable here");
        }
        String reach = canTraceOthers()
                ? "it may read every process's descriptors"
                : "without CAP_SYS_PTRACE it sees the descriptors of this user's processes only";
        return Availability.available("polls /proc (every " + ProcfsSettings.DEFAULT_INTERVAL.toSeconds()
                + "s by default) for descriptors held open on environ and mem files and for command lines naming"
                + " them; it misses reads that open and close between two scans; " + reach);
    }

    /** The keys under {@code environguard.source.procfs.}, with their defaults ({@code environguard.proc.root} is the guard's). */
    @Override
    public List<ConfigKey> keys() {
        List<ConfigKey> keys = new ArrayList<>(List.of(
                ConfigKey.of(ProcfsSettings.INTERVAL, "1s", "time between the starts of two scans (at least 10ms)"),
                ConfigKey.of(ProcfsSettings.MAX_FDS, String.valueOf(ProcfsSettings.DEFAULT_MAX_FDS),
                        "descriptors read per process; past it, one fd_limit loss per process"),
                ConfigKey.of(ProcfsSettings.SCAN_BUDGET, "250ms", "wall time one scan may take"),
                ConfigKey.of(ProcfsSettings.FULL_SCAN_INTERVAL, "60s",
                        "every process is re-read at least this often even if it did not run (0s: every scan)"),
                ConfigKey.of(ProcfsSettings.COMMAND_LINES, "true", "search command lines for environ and mem paths")));
        keys.addAll(ProcessTableSettings.CONFIG_KEYS); // readers and targets are resolved through a process table
        return List.copyOf(keys);
    }

    @Override
    public EventSource create(GuardConfig config) {
        return new ProcfsPollingSource(ProcfsSettings.from(config));
    }

    /** Whether this process has {@code CAP_SYS_PTRACE} in its effective set (root normally has). */
    static boolean canTraceOthers() {
        try {
            for (String line : new String(Files.readAllBytes(PROC.resolve("self").resolve("status")),
                    StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << CAP_SYS_PTRACE)) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }
}
