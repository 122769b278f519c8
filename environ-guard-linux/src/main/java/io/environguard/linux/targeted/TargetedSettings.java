package io.environguard.linux.targeted;

import io.environguard.api.GuardConfig;
import io.environguard.linux.process.ProcessTableSettings;
import io.environguard.api.ProcFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The targeted source's configuration, under {@code environguard.source.targeted.}.
 *
 * <pre>{@code
 * TargetedSettings s = TargetedSettings.from(GuardConfig.of(Map.of(
 *         "environguard.source.targeted.pids", "self,4242",
 *         "environguard.source.targeted.max-marks", "2048")), ProcessHandle.current().pid());
 * }</pre>
 *
 * @param pids                    the processes to guard (thread group ids); {@code self} in the key means this JVM
 * @param files                   which per-process files to mark: {@code environ} and {@code mem} by default
 *                                ({@code mem} at the {@code env_start..env_end} range returns the same bytes)
 * @param maxMarks                the most inode marks (and pinning {@code O_PATH} descriptors) to hold; the
 *                                cross-thread aliases {@code /proc/T/task/U/...} are the first to go without
 * @param rescanInterval          how often {@code /proc/P/task} is listed to mark new threads and release
 *                                exited ones
 * @param attribution             whether to look for possible readers when the kernel hides the reader
 * @param attributionMaxProcesses the most processes one best-effort scan of {@code /proc/*}{@code /fd} visits
 * @param procConnector           whether, when privileged, to listen to the kernel's process events so that
 *                                new threads are marked as they appear (the listing stays as a fallback)
 * @param processTable            the process table readers and targets are resolved through
 *                                ({@code environguard.process-table.} keys)
 */
record TargetedSettings(List<Integer> pids, Set<ProcFile> files, int maxMarks, Duration rescanInterval,
                        boolean attribution, int attributionMaxProcesses, boolean procConnector,
                        ProcessTableSettings processTable) {

    static final String PREFIX = "environguard.source.targeted.";
    static final String PIDS = PREFIX + "pids";
    static final String FILES = PREFIX + "files";
    static final String MAX_MARKS = PREFIX + "max-marks";
    static final String RESCAN_INTERVAL = PREFIX + "rescan-interval";
    static final String ATTRIBUTION = PREFIX + "attribution";
    static final String ATTRIBUTION_MAX_PROCESSES = PREFIX + "attribution.max-processes";
    static final String PROC_CONNECTOR = PREFIX + "proc-connector";

    /** Every key this source reads. */
    static final List<String> KEYS = List.of(PIDS, FILES, MAX_MARKS, RESCAN_INTERVAL, ATTRIBUTION,
            ATTRIBUTION_MAX_PROCESSES, PROC_CONNECTOR);

    static final int DEFAULT_MAX_MARKS = 4096;
    static final Duration DEFAULT_RESCAN_INTERVAL = Duration.ofMillis(500);

    TargetedSettings {
        pids = List.copyOf(pids);
        files = Set.copyOf(files);
        if (pids.isEmpty()) {
            throw new IllegalArgumentException("configuration key " + PIDS + ": expected at least one pid (or self)");
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("configuration key " + FILES + ": expected environ, mem or both");
        }
        if (maxMarks < files.size() * pids.size()) {
            throw new IllegalArgumentException("configuration key " + MAX_MARKS
                    + ": expected at least one mark per guarded process and file (" + files.size() * pids.size() + ")");
        }
        if (rescanInterval.toMillis() < 10 || rescanInterval.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("configuration key " + RESCAN_INTERVAL
                    + ": expected a duration from 10ms to 1h");
        }
        if (attributionMaxProcesses < 1) {
            throw new IllegalArgumentException("configuration key " + ATTRIBUTION_MAX_PROCESSES
                    + ": expected a positive integer");
        }
    }

    /** Reads the keys; {@code self} (and the default) mean {@code selfPid}. */
    static TargetedSettings from(GuardConfig config, long selfPid) {
        Set<Integer> pids = new LinkedHashSet<>();
        List<String> items = config.getList(PIDS);
        for (String item : items.isEmpty() ? List.of("self") : items) {
            if (item.equalsIgnoreCase("self")) {
                pids.add((int) selfPid);
                continue;
            }
            try {
                int pid = Integer.parseInt(item);
                if (pid <= 1) {
                    // pid 1 is never guarded: marking the init process is not this source's business.
                    throw new NumberFormatException();
                }
                pids.add(pid);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("configuration key " + PIDS
                        + ": expected a comma-separated list of pids above 1, or self");
            }
        }
        Set<ProcFile> files = new LinkedHashSet<>();
        List<String> fileItems = config.getList(FILES);
        for (String item : fileItems.isEmpty() ? List.of("environ", "mem") : fileItems) {
            switch (item.toLowerCase(Locale.ROOT)) {
                case "environ": files.add(ProcFile.ENVIRON); break;
                case "mem": files.add(ProcFile.MEM); break;
                default: throw new IllegalArgumentException("configuration key " + FILES + ": expected environ, mem or both");
            }
        }
        return new TargetedSettings(new ArrayList<>(pids), files,
                config.getInt(MAX_MARKS, DEFAULT_MAX_MARKS),
                config.getDuration(RESCAN_INTERVAL, DEFAULT_RESCAN_INTERVAL),
                config.getBoolean(ATTRIBUTION, true),
                config.getInt(ATTRIBUTION_MAX_PROCESSES, 4096),
                config.getBoolean(PROC_CONNECTOR, true),
                ProcessTableSettings.from(config));
    }
}
