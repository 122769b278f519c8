package io.environguard.linux.fanotify;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * One procfs instance (superblock) and what the source knows of it. Bind mounts of an instance share its
 * device; every {@code mount -t proc}, and every container's {@code /proc}, is an instance of its own.
 *
 * @param device         the superblock, {@code major:minor}
 * @param mountPoints    where it is mounted, as the kernel prints paths under it (in the namespace it was
 *                       found in: a container's {@code /proc} prints as {@code /proc})
 * @param accessPath     a path through which this process reaches it: the mount point in this process's
 *                       mount namespace, or {@code /proc/<pid>/root/<mount point>} for another one
 * @param mountNamespace the mount namespace it was found in ({@code mnt:[4026531841]}), or {@code null}
 *                       for this process's own
 * @param pidNamespace   whose pids its directories name
 * @param hostInstance   whether it is the superblock of this process's own {@code /proc}
 * @param markErrno      0 when the filesystem mark is in place; otherwise why it could not be placed
 */
record ProcInstance(String device, List<String> mountPoints, String accessPath, String mountNamespace,
                    PidNamespace pidNamespace, boolean hostInstance, int markErrno) {

    /** Whose pid numbers an instance's {@code /proc/<n>} directories carry. */
    enum PidNamespace {
        /** This process's pid namespace: a {@code /proc/<n>} there is process {@code n} here. */
        OURS,
        /** Another pid namespace (a container's): numbers must be mapped to ours. */
        OTHER
    }

    ProcInstance {
        mountPoints = List.copyOf(mountPoints);
    }

    boolean marked() {
        return markErrno == 0;
    }

    /** A copy that also lists {@code more} mount points. */
    ProcInstance withMountPoints(List<String> more) {
        LinkedHashSet<String> all = new LinkedHashSet<>(mountPoints);
        all.addAll(more);
        return new ProcInstance(device, List.copyOf(all), accessPath, mountNamespace, pidNamespace, hostInstance,
                markErrno);
    }

    /** A short description for coverage and notes: {@code procfs 0:21 at /proc, /tmp/p}. */
    String describe() {
        return "procfs " + device + " at " + String.join(", ", mountPoints)
                + (mountNamespace == null ? "" : " in mount namespace " + mountNamespace + " (through " + accessPath + ")");
    }
}
