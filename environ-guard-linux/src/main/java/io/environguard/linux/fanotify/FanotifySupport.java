package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FanotifyProbe;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.Pidfds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether the fanotify host source can run here, and with which {@code fanotify_init} flags, probed once
 * per JVM (like Netty's {@code Epoll.isAvailable()} / {@code unavailabilityCause()}): the probe creates a
 * group, places a filesystem mark on {@code /proc} and closes the group again, so what it reports is what
 * the kernel did, not a guess from the version number.
 *
 * <pre>{@code
 * FanotifySupport support = FanotifySupport.get();
 * if (!support.available()) {
 *     log.info("fanotify host source unavailable: {}", support.reason());
 * }
 * }</pre>
 *
 * @param available    whether {@link FanotifyHostSource} can start
 * @param reason       when unavailable: the exact reason and the fallback; when available: what runs
 * @param initFlags    the {@code fanotify_init} flags the kernel accepted (without {@code FAN_UNLIMITED_QUEUE})
 * @param degradations each flag or call the kernel lacks and what is lost without it; empty on a current kernel
 */
record FanotifySupport(boolean available, String reason, int initFlags, List<String> degradations) {

    static final int CAP_SYS_ADMIN = 21;

    static final String NEEDS_CAP_SYS_ADMIN =
            "needs CAP_SYS_ADMIN (fanotify filesystem marks); the procfs source runs without it";

    private static final String FALLBACK = FanotifyProbe.FALLBACK;
    private static final int BASE_FLAGS = FanotifyGroup.NOTIFY_FLAGS;

    FanotifySupport {
        degradations = List.copyOf(degradations);
    }

    /** The probe's result, computed on first use and kept for the life of the JVM. */
    static FanotifySupport get() {
        return Holder.RESULT;
    }

    /** Whether the kernel attaches a pidfd of the reader to each event. */
    boolean reportsPidfd() {
        return (initFlags & Fanotify.FAN_REPORT_PIDFD) != 0;
    }

    private static final class Holder {
        static final FanotifySupport RESULT = probe(Path.of("/proc/self/status"));
    }

    static FanotifySupport probe(Path selfStatus) {
        Optional<String> obstacle = FanotifyProbe.platformObstacle();
        if (obstacle.isPresent()) {
            return unavailable(obstacle.get());
        }
        Optional<Boolean> capSysAdmin = hasEffectiveCapability(selfStatus, CAP_SYS_ADMIN);
        if (capSysAdmin.isPresent() && !capSysAdmin.get()) {
            return unavailable(NEEDS_CAP_SYS_ADMIN);
        }

        int[] candidates = {
            BASE_FLAGS | Fanotify.FAN_REPORT_PIDFD | Fanotify.FAN_REPORT_FD_ERROR,
            BASE_FLAGS | Fanotify.FAN_REPORT_PIDFD,
            BASE_FLAGS,
        };
        FanotifyGroup group = null;
        for (int flags : candidates) {
            try {
                group = FanotifyGroup.open(flags);
                break;
            } catch (Fanotify.InitException e) {
                if (e.errno() != Errno.EINVAL) {
                    return unavailable(describeInitFailure(e.errno(), capSysAdmin));
                }
            }
        }
        if (group == null) {
            return unavailable("fanotify refused: fanotify_init rejected even FAN_CLASS_NOTIF with EINVAL"
                    + " (a kernel older than 2.6.37, or a filter that rewrites the call)" + FALLBACK);
        }
        try (FanotifyGroup probe = group) {
            int markErrno = probe.markFilesystemOpen("/proc");
            if (markErrno != 0) {
                return unavailable(describeMarkFailure(markErrno));
            }
            List<String> degradations = new ArrayList<>();
            if ((probe.flags() & Fanotify.FAN_REPORT_FD_ERROR) == 0) {
                degradations.add("kernel lacks FAN_REPORT_FD_ERROR (Linux 6.13+): an event whose target exited"
                        + " (ESRCH) or that met EMFILE is counted only when it is the first of a read();"
                        + " later ones in the same read are dropped by the kernel without a trace");
            }
            if ((probe.flags() & Fanotify.FAN_REPORT_PIDFD) == 0) {
                degradations.add("kernel lacks FAN_REPORT_PIDFD (Linux 5.15+): readers are identified through"
                        + " /proc alone, so a reader that exits before its event is resolved yields only its pid");
            } else {
                probePidfdInfo().ifPresent(degradations::add);
            }
            return new FanotifySupport(true, "fanotify filesystem marks on every procfs instance"
                    + (degradations.isEmpty() ? "" : " (degraded: " + String.join("; ", degradations) + ")"),
                    probe.flags(), degradations);
        }
    }

    private static Optional<String> probePidfdInfo() {
        int self = (int) ProcessHandle.current().pid();
        int pidfd = Pidfds.open(self, false);
        if (pidfd < 0) {
            return Optional.of("pidfd_open failed (" + Errno.name(-pidfd) + "): reader details come from /proc only");
        }
        try {
            Pidfds pidfds = new Pidfds();
            if (pidfds.info(pidfd).isPresent()) {
                return Optional.empty();
            }
            return Optional.of("kernel lacks the PIDFD_GET_INFO ioctl (Linux 6.13+; " + Errno.name(pidfds.lastErrno())
                    + "): a reader's ppid, uid, gid and cgroup come from /proc, so a reader that exits before"
                    + " its event is resolved yields only its pid");
        } finally {
            LinuxLibC.close(pidfd);
        }
    }

    static String describeInitFailure(int errno, Optional<Boolean> capSysAdmin) {
        switch (errno) {
            case Errno.EPERM:
                if (capSysAdmin.orElse(false)) {
                    return "fanotify refused: fanotify_init failed with EPERM although CAP_SYS_ADMIN is in the"
                            + " effective set; a seccomp profile or LSM policy blocks it (container runtimes'"
                            + " default seccomp profiles do)" + FALLBACK;
                }
                return NEEDS_CAP_SYS_ADMIN;
            default:
                return FanotifyProbe.describeInitFailure(errno);
        }
    }

    static String describeMarkFailure(int errno) {
        switch (errno) {
            case Errno.EPERM:
                return "fanotify refused a filesystem mark on /proc (EPERM): filesystem marks need CAP_SYS_ADMIN"
                        + " in the initial user namespace, which a user namespace or rootless container lacks"
                        + FALLBACK;
            case Errno.EINVAL:
            case Errno.EOPNOTSUPP:
            case Errno.ENODEV:
                return "fanotify refused a filesystem mark on /proc (" + Errno.name(errno) + "): the kernel lacks"
                        + " FAN_MARK_FILESYSTEM (Linux 4.20+) or does not allow it on procfs" + FALLBACK;
            case Errno.ENOENT:
                return "/proc is not mounted: there is nothing to mark" + FALLBACK;
            default:
                return "fanotify refused a filesystem mark on /proc: " + Errno.describe(errno) + FALLBACK;
        }
    }

    /** Reads the effective capability set from {@code /proc/self/status}; empty when it cannot be read. */
    static Optional<Boolean> hasEffectiveCapability(Path status, int capability) {
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                    return Optional.of((caps & (1L << capability)) != 0);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static FanotifySupport unavailable(String reason) {
        return new FanotifySupport(false, reason, 0, List.of());
    }
}
