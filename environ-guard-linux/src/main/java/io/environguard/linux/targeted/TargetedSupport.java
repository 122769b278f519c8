package io.environguard.linux.targeted;

import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import java.util.Locale;
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

    private static final String FALLBACK = "; the procfs source runs without fanotify";

    static TargetedSupport probe() {
        String os = System.getProperty("os.name", "unknown");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return unavailable("not Linux (os.name=" + os + "): fanotify is a Linux kernel interface");
        }
        Optional<Throwable> linkError = LinuxLibC.linkError();
        if (linkError.isPresent()) {
            return unavailable("JNA cannot bind the libc functions fanotify needs (" + linkError.get().getMessage()
                    + ")" + FALLBACK);
        }
        TargetedGroup group;
        boolean privileged = true;
        try {
            group = TargetedGroup.open(true);
        } catch (Fanotify.InitException withPidfd) {
            privileged = false;
            try {
                group = TargetedGroup.open(false);
            } catch (Fanotify.InitException e) {
                return unavailable(describeInitFailure(e.errno()));
            }
        }
        try (TargetedGroup probe = group) {
            int fd = LinuxLibC.open("/proc/self/environ", LinuxLibC.O_PATH | LinuxLibC.O_CLOEXEC, 0);
            if (fd < 0) {
                return unavailable("cannot open /proc/self/environ (" + Errno.describe(LinuxLibC.errno())
                        + "): procfs is not mounted at /proc" + FALLBACK);
            }
            try {
                int errno = probe.mark(fd);
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

    static String describeInitFailure(int errno) {
        switch (errno) {
            case Errno.EPERM:
            case Errno.EINVAL:
                return "fanotify refused: fanotify_init(FAN_REPORT_FID) failed with " + Errno.name(errno)
                        + ": unprivileged fanotify needs Linux 5.13+ and is blocked by some seccomp profiles" + FALLBACK;
            case Errno.ENOSYS:
                return "fanotify refused: fanotify_init failed with ENOSYS: the kernel lacks CONFIG_FANOTIFY, or a"
                        + " seccomp profile blocks the call" + FALLBACK;
            case Errno.EMFILE:
                return "fanotify_init failed with EMFILE: this user has reached its limit of fanotify groups"
                        + " (/proc/sys/fs/fanotify/max_user_groups)";
            default:
                return "fanotify refused: fanotify_init failed with " + Errno.describe(errno) + FALLBACK;
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
