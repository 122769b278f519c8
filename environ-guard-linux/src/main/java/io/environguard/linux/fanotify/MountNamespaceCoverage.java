package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Errno;
import java.util.List;

/**
 * The lines {@code coverage()} gives about mount namespaces: how new mounts and new namespaces are found, how many
 * are watched, and the window in which a read in a new procfs instance is not seen.
 *
 * <pre>{@code
 * MountNamespaceCoverage.describe(watch.state(), announcements.announced(), announcements.dropped(), settings,
 *         watching, blind);
 * }</pre>
 */
final class MountNamespaceCoverage {

    private MountNamespaceCoverage() {
    }

    /**
     * The coverage lines of mount namespace watching: how new mounts and new namespaces are found, and the window
     * in which a read in a new procfs instance is not seen.
     *
     * @param s         the watch's state now
     * @param announced announcements received ({@link NamespaceAnnouncements#announced()})
     * @param dropped   announcements turned away by a full queue
     * @param watching  receives what is watched
     * @param blind     receives what is not seen, or not at once
     */
    static void describe(MountNamespaceWatch.State s, long announced, long dropped, FanotifySettings settings,
                         List<String> watching, List<String> blind) {
        long rescan = settings.rescanInterval().toMillis();
        if (s.mode() == MountNamespaceWatch.Mode.MOUNT_EVENTS) {
            int others = s.watched() - 1;
            watching.add("new mounts: mount events (FAN_MNT_ATTACH, FAN_MARK_MNTNS) on this process's mount namespace"
                    + (settings.otherNamespaces() ? " and " + others + " other(s)"
                    + (s.foreignOwned() > 0 ? ", " + s.foreignOwned() + " of them owned by another user namespace"
                    + " (rootless containers)" : "") : "")
                    + "; a procfs attached there is marked as its event is read (" + s.attaches() + " attach event(s), "
                    + s.procAttaches() + " of them procfs" + (s.overflows() > 0 ? ", " + s.overflows()
                    + " overflow(s) of the mount-event queue, each followed by a full rescan" : "") + ")");
        } else {
            watching.add("new mounts in this mount namespace: POLLPRI on /proc/self/mountinfo (no mount events: "
                    + s.fallbackReason() + ")");
        }
        if (!settings.otherNamespaces()) {
            blind.add("procfs instances of other mount namespaces (containers) are not watched"
                    + " (" + FanotifySettings.OTHER_NAMESPACES + "=false)");
            return;
        }
        watching.add("new mount namespaces: watched and their procfs instances marked as soon as they are announced"
                + " (watchMountNamespaceOf: " + announced + " announcement(s)) or met by the rescan every " + rescan
                + " ms; " + s.admitted() + " admitted since start, " + s.released() + " released after they died");
        blind.add("a procfs instance in a new mount namespace is not seen until the namespace is announced (by the"
                + " process table, when it meets a process there) and the mounts thread has marked it, or, if nobody"
                + " announces it, until the next rescan (every " + rescan + " ms): opens there before that are missed"
                + (announced == 0 ? "; nothing has announced a namespace yet, so today that is the rescan" : ""));
        if (s.mode() == MountNamespaceWatch.Mode.POLLING) {
            blind.add("without mount events, a procfs mounted later in a mount namespace other than this process's"
                    + " is marked by the next rescan (every " + rescan + " ms): opens there before that are missed");
        }
        if (s.beyondCap() > 0) {
            blind.add(s.beyondCap() + " mount namespace(s) came beyond the cap of "
                    + settings.maxMountNamespaces() + " watched at once, this process's own included ("
                    + FanotifySettings.MAX_MOUNT_NAMESPACES + "), " + s.unwatched() + " of them alive and unwatched"
                    + " now: their procfs instances were marked when found, but later mounts there wait for the rescan"
                    + " (or for a place to free up: a namespace that dies leaves its place to the oldest waiting)");
        }
        if (dropped > 0) {
            blind.add(dropped + " announcement(s) of mount namespaces came while " + NamespaceAnnouncements.MAX_PENDING
                    + " were waiting and were left to the rescan");
        }
        for (MountNamespaceWatch.Refusal r : s.refusals()) {
            blind.add("FAN_MARK_MNTNS refused for " + r.count() + " mount namespace(s) (the last " + r.lastNamespace()
                    + ", process " + r.lastPid() + "): " + Errno.describe(r.errno()) + ": "
                    + explainMarkFailure(r.errno()) + "; later mounts there wait for the rescan");
        }
    }

    /** What a failed {@code FAN_MARK_MNTNS} means, for logs and coverage. */
    static String explainMarkFailure(int errno) {
        switch (errno) {
            case Errno.EPERM:
                return "marking a mount namespace needs CAP_SYS_ADMIN in the user namespace that owns it; a guard"
                        + " that runs in a user namespace cannot watch namespaces owned outside it";
            case Errno.EINVAL:
            case Errno.EOPNOTSUPP:
                return "the kernel refuses mount namespace marks (FAN_MARK_MNTNS, Linux 6.15+)";
            case Errno.ENOSPC:
                return "the user's fanotify mark limit (fs.fanotify.max_user_marks) is reached";
            case Errno.ENOMEM:
                return "the kernel is out of memory for marks";
            default:
                return "refused by the kernel";
        }
    }

}
