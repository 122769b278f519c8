package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PollSet;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the procfs marks current. {@code poll} on {@code /proc/self/mountinfo} reports
 * {@code POLLPRI} whenever this mount namespace's table changes (every kernel since 2.6.15), so a
 * {@code mount -t proc} here is marked within a scan's time; other mount namespaces announce nothing to
 * this one, so their tables are rescanned every {@code rescanInterval}.
 */
final class MountWatcher implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(MountWatcher.class);

    private final ProcInstanceTracker tracker;
    private final int wakeupFd;
    private final int intervalMillis;
    private final String mountinfo;

    MountWatcher(ProcInstanceTracker tracker, String procRoot, int wakeupFd, Duration interval) {
        this.tracker = tracker;
        this.wakeupFd = wakeupFd;
        this.intervalMillis = (int) Math.min(Integer.MAX_VALUE, interval.toMillis());
        this.mountinfo = procRoot + "/self/mountinfo";
    }

    @Override
    public void run() {
        int fd = LinuxLibC.open(mountinfo, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        if (fd < 0) {
            LOG.warn("cannot open {} ({}): new proc mounts here are found by the periodic rescan only",
                    mountinfo, Errno.describe(LinuxLibC.errno()));
        }
        PollSet poll = new PollSet(2);
        poll.watch(0, wakeupFd, LinuxLibC.POLLIN);
        poll.watch(1, fd, LinuxLibC.POLLPRI); // a negative fd is ignored by poll
        try {
            while (true) {
                int ready = poll.await(intervalMillis);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    LOG.error("poll failed ({}): procfs instances are no longer tracked", Errno.describe(-ready));
                    return;
                }
                if (poll.ready(0) != 0) {
                    return;
                }
                try {
                    tracker.rescan();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("rescan of proc mounts failed; retrying in {} ms", intervalMillis, e);
                }
            }
        } finally {
            if (fd >= 0) {
                LinuxLibC.close(fd);
            }
        }
    }
}
