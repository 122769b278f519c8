package io.environguard.linux.procfs;

import io.environguard.api.GuardConfig;
import io.environguard.linux.process.ProcessTableSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The settings of the procfs polling source, read from the {@code environguard.source.procfs.*} keys and
 * {@code environguard.proc.root}.
 *
 * <pre>{@code
 * ProcfsSettings settings = ProcfsSettings.from(GuardConfig.builder()
 *         .set(ProcfsSettings.INTERVAL, "500ms")
 *         .set(ProcfsSettings.MAX_FDS, "10000")
 *         .build());
 * }</pre>
 *
 * @param procRoot         where procfs is read ({@code /proc}, or a simulated tree in tests)
 * @param interval         time between the starts of two scans
 * @param maxFdsPerProcess descriptors read per process and scan; the rest of a larger table is not seen
 *                         (reported once per process as lost)
 * @param scanBudget       wall time one scan may take (the first, which reads everything with a cold JIT, four
 *                         times this); a scan that runs out stops, reports the processes it did not examine as
 *                         lost, and the next scan starts with them
 * @param fullScanInterval how often every descriptor table is re-read even if its process has not run since the
 *                         last scan ({@code 0s}: every scan)
 * @param commandLines     whether command lines of new processes are searched for environ paths
 * @param processTable     the process table readers and targets are resolved through
 *                         ({@code environguard.process-table.} keys)
 */
public record ProcfsSettings(Path procRoot, Duration interval, int maxFdsPerProcess, Duration scanBudget,
                             Duration fullScanInterval, boolean commandLines, ProcessTableSettings processTable) {

    /** Every key of this source starts with this. */
    public static final String PREFIX = "environguard.source.procfs.";
    /** Time between the starts of two scans (default 1s, at least 10ms). */
    public static final String INTERVAL = PREFIX + "interval";
    /** Descriptors read per process and scan (default 4096). */
    public static final String MAX_FDS = PREFIX + "max-fds";
    /** Wall time one scan may take (default 250ms). */
    public static final String SCAN_BUDGET = PREFIX + "scan-budget";
    /** How often every descriptor table is re-read regardless of scheduling counters (default 60s; 0s: every scan). */
    public static final String FULL_SCAN_INTERVAL = PREFIX + "full-scan-interval";
    /** Whether command lines are searched for environ and mem paths (default true). */
    public static final String COMMAND_LINES = PREFIX + "command-lines";

    /** Every key this source reads under its prefix. */
    public static final List<String> KEYS = List.of(INTERVAL, MAX_FDS, SCAN_BUDGET, FULL_SCAN_INTERVAL, COMMAND_LINES);

    /** Default of {@link #INTERVAL}: 1 second. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    /** Default of {@link #MAX_FDS}: {@value}. */
    public static final int DEFAULT_MAX_FDS = 4096;
    /** Default of {@link #SCAN_BUDGET}: 250 ms. */
    public static final Duration DEFAULT_SCAN_BUDGET = Duration.ofMillis(250);
    /** Default of {@link #FULL_SCAN_INTERVAL}: 60 seconds. */
    public static final Duration DEFAULT_FULL_SCAN_INTERVAL = Duration.ofSeconds(60);
    /** Scanning more often than this costs CPU for nothing: a process's start already takes about a millisecond. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(10);

    /**
     * Checks every value.
     *
     * @param procRoot         where procfs is read
     * @param interval         time between the starts of two scans, at least {@link #MIN_INTERVAL}
     * @param maxFdsPerProcess descriptors read per process and scan, at least 1
     * @param scanBudget       wall time one scan may take, positive
     * @param fullScanInterval how often every descriptor table is re-read; zero for every scan, never negative
     * @param commandLines     whether command lines of new processes are searched for environ paths
     * @param processTable     the process table's settings
     * @throws NullPointerException     when a path, a duration or {@code processTable} is {@code null}
     * @throws IllegalArgumentException naming the key (never its value) when a value is out of its range
     */
    public ProcfsSettings {
        Objects.requireNonNull(procRoot, "procRoot");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(scanBudget, "scanBudget");
        Objects.requireNonNull(fullScanInterval, "fullScanInterval");
        Objects.requireNonNull(processTable, "processTable");
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("configuration key " + INTERVAL + ": expected at least "
                    + MIN_INTERVAL.toMillis() + "ms");
        }
        if (maxFdsPerProcess < 1) {
            throw new IllegalArgumentException("configuration key " + MAX_FDS + ": expected a positive number");
        }
        if (scanBudget.isNegative() || scanBudget.isZero()) {
            throw new IllegalArgumentException("configuration key " + SCAN_BUDGET + ": expected a positive duration");
        }
        if (fullScanInterval.isNegative()) {
            throw new IllegalArgumentException("configuration key " + FULL_SCAN_INTERVAL
                    + ": expected zero or a positive duration");
        }
    }

    /**
     * With the process table's defaults.
     *
     * @param procRoot         where procfs is read
     * @param interval         time between the starts of two scans, at least {@link #MIN_INTERVAL}
     * @param maxFdsPerProcess descriptors read per process and scan, at least 1
     * @param scanBudget       wall time one scan may take, positive
     * @param fullScanInterval how often every descriptor table is re-read; zero for every scan, never negative
     * @param commandLines     whether command lines of new processes are searched for environ paths
     * @throws NullPointerException     when a path or a duration is {@code null}
     * @throws IllegalArgumentException naming the key (never its value) when a value is out of its range
     */
    public ProcfsSettings(Path procRoot, Duration interval, int maxFdsPerProcess, Duration scanBudget,
                          Duration fullScanInterval, boolean commandLines) {
        this(procRoot, interval, maxFdsPerProcess, scanBudget, fullScanInterval, commandLines,
                ProcessTableSettings.defaults());
    }

    /**
     * @param procRoot where procfs is read
     * @return the defaults, reading {@code procRoot}
     */
    public static ProcfsSettings defaults(Path procRoot) {
        return new ProcfsSettings(procRoot, DEFAULT_INTERVAL, DEFAULT_MAX_FDS, DEFAULT_SCAN_BUDGET,
                DEFAULT_FULL_SCAN_INTERVAL, true);
    }

    /**
     * Reads the keys of this source and {@code environguard.proc.root} from {@code config}.
     *
     * @param config the configuration; a key not set takes its default
     * @return the settings
     * @throws IllegalArgumentException naming the key (never its value) when a value is invalid
     */
    public static ProcfsSettings from(GuardConfig config) {
        return new ProcfsSettings(Path.of(config.getString(GuardConfig.PROC_ROOT, "/proc")),
                config.getDuration(INTERVAL, DEFAULT_INTERVAL),
                config.getInt(MAX_FDS, DEFAULT_MAX_FDS),
                config.getDuration(SCAN_BUDGET, DEFAULT_SCAN_BUDGET),
                config.getDuration(FULL_SCAN_INTERVAL, DEFAULT_FULL_SCAN_INTERVAL),
                config.getBoolean(COMMAND_LINES, true),
                ProcessTableSettings.from(config));
    }

    /**
     * @param newInterval time between the starts of two scans
     * @return a copy with that value
     */
    public ProcfsSettings withInterval(Duration newInterval) {
        return new ProcfsSettings(procRoot, newInterval, maxFdsPerProcess, scanBudget, fullScanInterval, commandLines, processTable);
    }

    /**
     * @param max descriptors read per process and scan
     * @return a copy with that value
     */
    public ProcfsSettings withMaxFdsPerProcess(int max) {
        return new ProcfsSettings(procRoot, interval, max, scanBudget, fullScanInterval, commandLines, processTable);
    }

    /**
     * @param budget wall time one scan may take
     * @return a copy with that value
     */
    public ProcfsSettings withScanBudget(Duration budget) {
        return new ProcfsSettings(procRoot, interval, maxFdsPerProcess, budget, fullScanInterval, commandLines, processTable);
    }

    /**
     * @param full how often every descriptor table is re-read; zero for every scan
     * @return a copy with that value
     */
    public ProcfsSettings withFullScanInterval(Duration full) {
        return new ProcfsSettings(procRoot, interval, maxFdsPerProcess, scanBudget, full, commandLines, processTable);
    }

    /**
     * @param table the process table's settings
     * @return a copy with that value
     */
    public ProcfsSettings withProcessTable(ProcessTableSettings table) {
        return new ProcfsSettings(procRoot, interval, maxFdsPerProcess, scanBudget, fullScanInterval, commandLines, table);
    }

    /**
     * @param on whether command lines of new processes are searched for environ paths
     * @return a copy with that value
     */
    public ProcfsSettings withCommandLines(boolean on) {
        return new ProcfsSettings(procRoot, interval, maxFdsPerProcess, scanBudget, fullScanInterval, on, processTable);
    }
}
