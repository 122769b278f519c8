package io.environguard.linux.targeted;

import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FanotifyProbe;
import io.environguard.linux.nativeio.LinuxLibC;
import java.util.Optional;

/**
 * Whether the targeted source can run here, found by doing what it does: a {@code FAN_REPORT_FID} group
 * (with {@code FAN_REPORT_PIDFD} when the kernel allows it, which needs CAP_SYS_ADMIN) and an inode mark on
 * this process's own {@code /proc/self/environ}, pinned by an {@code O_PATH} descriptor; then everything is
 * closed again. Not cached: whether the mark is allowed changes when the process becomes non-dumpable.
 *
 * <pre>{@code
 * TargetedSupport s = TargetedSupport.probe();
 * if (!s.available()) log.info("targeted source unavailable: {}", s.reason());
 * }</pre>
 *
 * @param available  whether the source can start
 * @param privileged whether events name their reader (a pidfd per event); false: the kernel hides readers
 * @param reason     why not, or what runs
 */
record TargetedSupport(boolean available, boolean privileged, String reason) {

    private static final String FALLBACK = FanotifyProbe.FALLBACK;

    static TargetedSupport probe() {
        Optional<String> obstacle = FanotifyProbe.platformObstacle();
        if (obstacle.isPresent()) {
            return unavailable(obstacle.get());
        }
        FanotifyGroup group;
        boolean privileged = true;
        try {
            group = openGroup(true);
        } catch (Fanotify.InitException withPidfd) {
            privileged = false;
            try {
                group = openGroup(false);
            } catch (Fanotify.InitException e) {
                return unavailable(describeInitFailure(e.errno()));
            }
        }
        try (FanotifyGroup probe = group) {
            int fd = LinuxLibC.open("/proc/self/environ", LinuxLibC.O_PATH | LinuxLibC.O_CLOEXEC, 0);
            if (fd < 0) {
                return unavailable("cannot open /proc/self/environ (" + Errno.describe(LinuxLibC.errno())
                        + "): procfs is not mounted at /proc" + FALLBACK);
            }
            try {
                int errno = probe.markInodeOpen(fd);
                if (errno != 0) {
                    return unavailable(describeMarkFailure(errno));
                }
            } finally {
                LinuxLibC.close(fd);
            }
        }
        return new TargetedSupport(true, privileged, privileged
                ? "fanotify inode marks on every alias of the guarded processes; readers named through pidfds"
                : "fanotify inode marks on every alias of the guarded processes, unprivileged: the kernel hides"
                + " readers, so alerts name possible readers, best effort");
    }

    /**
     * A {@code FAN_REPORT_FID} group for inode marks, the only kind an unprivileged process may place; with
     * {@code pidfd}, each event carries a pidfd of the reader (needs CAP_SYS_ADMIN).
     *
     * @throws Fanotify.InitException with the errno
     */
    static FanotifyGroup openGroup(boolean pidfd) throws Fanotify.InitException {
        return FanotifyGroup.open(FanotifyGroup.NOTIFY_FLAGS | Fanotify.FAN_REPORT_FID | (pidfd ? Fanotify.FAN_REPORT_PIDFD : 0));
    }

    static String describeInitFailure(int errno) {
        switch (errno) {
            case Errno.EPERM:
            case Errno.EINVAL:
                return "fanotify refused: fanotify_init(FAN_REPORT_FID) failed with " + Errno.name(errno)
                        + ": unprivileged fanotify needs Linux 5.13+ and is blocked by some seccomp profiles" + FALLBACK;
            default:
                return FanotifyProbe.describeInitFailure(errno);
        }
    }

    static String describeMarkFailure(int errno) {
        switch (errno) {
            case Errno.EACCES:
                return "fanotify refused an inode mark on /proc/self/environ (EACCES): this process is non-dumpable"
                        + " (prctl PR_SET_DUMPABLE 0, or it changed its uid), so its /proc files belong to root; start"
                        + " the guard before making the process non-dumpable, or run it with CAP_SYS_ADMIN";
            case Errno.EOPNOTSUPP:
            case Errno.ENODEV:
            case Errno.EXDEV:
                return "fanotify refused an inode mark with FID reporting on procfs (" + Errno.name(errno)
                        + "): the kernel cannot report file ids of procfs files (non-decodable handles came with Linux 6.5)"
                        + FALLBACK;
            default:
                return "fanotify refused an inode mark on /proc/self/environ: " + Errno.describe(errno) + FALLBACK;
        }
    }

    private static TargetedSupport unavailable(String reason) {
        return new TargetedSupport(false, false, reason);
    }
}
