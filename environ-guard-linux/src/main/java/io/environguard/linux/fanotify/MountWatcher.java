package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PollSet;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mounts thread: keeps the procfs marks current. It waits on four things at once:
 * <ul>
 *   <li>announced mount namespaces ({@link NamespaceAnnouncements}): each is watched and its procfs instances
 *       marked at once ({@link MountNamespaceWatch#admit});</li>
 *   <li>mount events ({@code FAN_MNT_ATTACH}) of every watched namespace, this process's own included;</li>
 *   <li>where the kernel has no mount events: {@code POLLPRI} on {@code /proc/self/mountinfo}, which reports every
 *       change of this process's own mount table (every kernel since 2.6.15);</li>
 *   <li>the periodic rescan of every mount table ({@code rescanInterval}, on a deadline that events do not
 *       push back), the fallback for namespaces nobody announced and, without mount events, for later mounts in
 *       other namespaces. The namespaces it meets are admitted a few at a time between looks at the above, so
 *       that an announcement never waits for a host full of containers to be admitted.</li>
 * </ul>
 */
final class MountWatcher implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(MountWatcher.class);

    private static final int STOP = 0;
    private static final int ANNOUNCED = 1;
    private static final int MOUNT_EVENTS = 2;
    private static final int OWN_TABLE = 3;
    /** Namespaces met by a rescan admitted between two looks at announcements and mount events: one, so that an announcement waits for one admission at most. */
    private static final int BACKLOG_BATCH = 1;

    private final ProcInstanceTracker tracker;
    private final MountNamespaceWatch namespaces;
    private final NamespaceAnnouncements announcements;
    private final int wakeupFd;
    private final long intervalNanos;
    private final String mountinfo;

    MountWatcher(ProcInstanceTracker tracker, MountNamespaceWatch namespaces, NamespaceAnnouncements announcements,
                 String procRoot, int wakeupFd, Duration interval) {
        this.tracker = tracker;
        this.namespaces = namespaces;
        this.announcements = announcements;
        this.wakeupFd = wakeupFd;
        this.intervalNanos = interval.toNanos();
        this.mountinfo = procRoot + "/self/mountinfo";
    }

    @Override
    public void run() {
        int ownTable = -1;
        if (namespaces.mode() == MountNamespaceWatch.Mode.POLLING) {
            ownTable = LinuxLibC.open(mountinfo, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
            if (ownTable < 0) {
                LOG.warn("cannot open {} ({}): new proc mounts here are found by the periodic rescan only",
                        mountinfo, Errno.describe(LinuxLibC.errno()));
            }
        }
        PollSet poll = new PollSet(4);
        poll.watch(STOP, wakeupFd, LinuxLibC.POLLIN);
        poll.watch(ANNOUNCED, announcements.fd(), LinuxLibC.POLLIN);
        poll.watch(MOUNT_EVENTS, namespaces.fd(), LinuxLibC.POLLIN); // a negative fd is ignored by poll
        poll.watch(OWN_TABLE, ownTable, LinuxLibC.POLLPRI);
        try {
            // The namespaces the source's first rescan met are queued, and admitted a few at a time below.
            namespaces.afterRescan();
            boolean backlog = true;
            long nextRescan = System.nanoTime() + intervalNanos;
            while (true) {
                long wait = backlog ? 0 : Math.max(0, nextRescan - System.nanoTime());
                int ready = poll.await((int) Math.min(Integer.MAX_VALUE, (wait + 999_999) / 1_000_000));
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    LOG.error("poll failed ({}): procfs instances are no longer tracked", Errno.describe(-ready));
                    return;
                }
                if (poll.ready(STOP) != 0) {
                    return;
                }
                step(poll);
                if (System.nanoTime() - nextRescan >= 0) {
                    namespaces.rescanAll();
                    nextRescan = System.nanoTime() + intervalNanos;
                }
                // Announcements and mount events come first; the rescan's finds a few at a time in between.
                backlog = admitBacklog();
            }
        } finally {
            if (ownTable >= 0) {
                LinuxLibC.close(ownTable);
            }
        }
    }

    private boolean admitBacklog() {
        try {
            return namespaces.admitBacklog(BACKLOG_BATCH);
        } catch (RuntimeException e) {
            LOG.warn("admitting the mount namespaces a rescan met failed; the next rescan will retry", e);
            return false;
        }
    }

    /** One round of whatever is ready; a failure is logged and the thread goes on. */
    private void step(PollSet poll) {
        try {
            if (poll.ready(ANNOUNCED) != 0) {
                namespaces.admit(announcements.drain());
            }
            if (poll.ready(MOUNT_EVENTS) != 0) {
                namespaces.onMountEvents();
            }
            if (poll.ready(OWN_TABLE) != 0) {
                tracker.scanNamespace(0, null);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("keeping the procfs marks current failed; the periodic rescan will retry", e);
        }
    }
}
