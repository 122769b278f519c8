package io.environguard.linux.nativeio;

import java.util.Locale;
import java.util.Optional;

/**
 * What every fanotify source's availability probe shares: the obstacles no fanotify group can pass (not Linux, JNA
 * cannot bind libc) and the meaning of the {@code fanotify_init} errors that do not depend on the kind of group.
 * Each source then probes by doing what it does (a filesystem mark on {@code /proc}, an inode mark on this
 * process's environ) and explains the errors particular to that.
 *
 * <pre>{@code
 * Optional<String> obstacle = FanotifyProbe.platformObstacle();
 * if (obstacle.isPresent()) return unavailable(obstacle.get());
 * }</pre>
 */
public final class FanotifyProbe {

    /** Ends every reason a fanotify source gives for not running: what runs instead. */
    public static final String FALLBACK = "; the procfs source runs without fanotify";

    private FanotifyProbe() {
    }

    /**
     * Why no fanotify group can be made here at all, or empty when one may be tried.
     *
     * @return the reason, naming the fallback
     */
    public static Optional<String> platformObstacle() {
        String os = System.getProperty("os.name", "unknown");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return Optional.of("not Linux (os.name=" + os + "): fanotify is a Linux kernel interface");
        }
        Optional<Throwable> linkError = LinuxLibC.linkError();
        if (linkError.isPresent()) {
            return Optional.of("JNA cannot bind the libc functions fanotify needs (" + linkError.get().getMessage()
                    + "); it needs JNA's native library and glibc 2.28+ or musl 1.2.5+" + FALLBACK);
        }
        return Optional.empty();
    }

    /**
     * What a {@code fanotify_init} error means whatever the group's flags; the caller explains {@code EPERM} and
     * {@code EINVAL}, which depend on them.
     *
     * @param errno the error
     * @return the reason, naming the fallback
     */
    public static String describeInitFailure(int errno) {
        switch (errno) {
            case Errno.ENOSYS:
                return "fanotify refused: fanotify_init failed with ENOSYS: the kernel is built without"
                        + " CONFIG_FANOTIFY, or a seccomp profile (a container runtime's default, for one)"
                        + " blocks the call" + FALLBACK;
            case Errno.EMFILE:
                return "fanotify_init failed with EMFILE: this user has reached its limit of fanotify groups"
                        + " (/proc/sys/fs/fanotify/max_user_groups)";
            default:
                return "fanotify refused: fanotify_init failed with " + Errno.describe(errno) + FALLBACK;
        }
    }
}
