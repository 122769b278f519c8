package io.environguard.linux.fanotify;

import io.environguard.api.GuardConfig;
import io.environguard.linux.process.ProcessTableSettings;
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
 * @param rescanInterval  how often every mount table on the host is scanned for new procfs instances: the fallback
 *                        for mount namespaces nobody announced ({@link FanotifyHostSource#watchMountNamespaceOf}),
 *                        and, without mount events, for later mounts in other namespaces (this process's own
 *                        table is watched continuously)
 * @param otherNamespaces whether to look for procfs instances of other mount namespaces at all
 * @param ignoreMarks     how many evictable ignore marks (on {@code /proc} files that are neither environ nor mem)
 *                        may be placed before they are flushed and placing starts over; 0 places none
 *                        (see {@link IgnoreMarks})
 * @param ignoreMarksWithin 0, or a pid: only files of that process and its descendants get ignore marks (for
 *                        test harnesses on shared machines, which must not mark processes they did not start)
 * @param batchWindow     after a read of the kernel queue that found events, how long the kernel-read thread
 *                        lets more gather before it reads again (an event after a quiet spell is read at once);
 *                        0 reads again at once
 * @param mountEvents     whether new mounts are learned of through fanotify mount events ({@code FAN_MNT_ATTACH} on
 *                        each watched mount namespace, Linux 6.15+) where the kernel has them; {@code false} keeps
 *                        to {@code POLLPRI} on this process's mount table and the periodic rescan for the others
 * @param maxMountNamespaces how many mount namespaces may be watched for new mounts at once (see
 *                        {@link MountNamespaceWatch}); the procfs instances of one beyond it are still marked when
 *                        it is announced or rescanned, but its later mounts wait for the rescan
 * @param processTable    the process table's settings ({@code environguard.process-table.*}), through which readers
 *                        and targets are resolved
 */
record FanotifySettings(boolean unlimitedQueue, int resolverQueue, Duration rescanInterval, boolean otherNamespaces,
                        int ignoreMarks, int ignoreMarksWithin, Duration batchWindow, boolean mountEvents,
                        int maxMountNamespaces, ProcessTableSettings processTable) {

    static final String PREFIX = "environguard.source.fanotify.";
    static final String UNLIMITED_QUEUE = PREFIX + "unlimited-queue";
    static final String RESOLVER_QUEUE = PREFIX + "resolver-queue";
    static final String RESCAN_INTERVAL = PREFIX + "rescan-interval";
    static final String OTHER_NAMESPACES = PREFIX + "other-namespaces";
    static final String IGNORE_MARKS = PREFIX + "ignore-marks";
    static final String IGNORE_MARKS_WITHIN = PREFIX + "ignore-marks-within";
    static final String BATCH_WINDOW = PREFIX + "batch-window";
    static final String MOUNT_EVENTS = PREFIX + "mount-events";
    static final String MAX_MOUNT_NAMESPACES = PREFIX + "max-mount-namespaces";

    /** Every key this source reads. */
    static final List<String> KEYS = List.of(UNLIMITED_QUEUE, RESOLVER_QUEUE, RESCAN_INTERVAL, OTHER_NAMESPACES,
            IGNORE_MARKS, IGNORE_MARKS_WITHIN, BATCH_WINDOW, MOUNT_EVENTS, MAX_MOUNT_NAMESPACES);

    FanotifySettings {
        if (resolverQueue < 1) {
            throw new IllegalArgumentException("configuration key " + RESOLVER_QUEUE + ": expected at least 1");
        }
        if (rescanInterval.isNegative() || rescanInterval.isZero() || rescanInterval.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("configuration key " + RESCAN_INTERVAL
                    + ": expected a positive duration of at most 24 days");
        }
        if (ignoreMarks < 0) {
            throw new IllegalArgumentException("configuration key " + IGNORE_MARKS + ": expected 0 or more");
        }
        if (ignoreMarksWithin < 0) {
            throw new IllegalArgumentException("configuration key " + IGNORE_MARKS_WITHIN
                    + ": expected a pid, or 0 for every process");
        }
        if (batchWindow.isNegative() || batchWindow.compareTo(Duration.ofMillis(10)) > 0) {
            throw new IllegalArgumentException("configuration key " + BATCH_WINDOW
                    + ": expected a duration from 0 to 10ms");
        }
        if (maxMountNamespaces < 1 || maxMountNamespaces > 65536) {
            throw new IllegalArgumentException("configuration key " + MAX_MOUNT_NAMESPACES
                    + ": expected a number from 1 to 65536");
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
                config.getBoolean(OTHER_NAMESPACES, true),
                config.getInt(IGNORE_MARKS, 16384),
                config.getInt(IGNORE_MARKS_WITHIN, 0),
                config.getDuration(BATCH_WINDOW, Duration.ofNanos(200_000)),
                config.getBoolean(MOUNT_EVENTS, true),
                config.getInt(MAX_MOUNT_NAMESPACES, 1024),
                ProcessTableSettings.from(config));
    }
}
