package io.environguard.linux.proc;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Classifies the paths the kernel prints for open {@code /proc} files ({@code readlink} of an fd, a
 * fanotify event's fd) as per-process {@code environ} / {@code mem} aliases.
 *
 * <p>This runs for every {@code /proc} open event, so the common case (some other file) is rejected by a
 * suffix test before anything is parsed or allocated. Recognised, under a mount point {@code M}:
 * <ul>
 *   <li>{@code M/P/environ} &rarr; {@link AliasKind#PROCESS} (the caller turns it into
 *       {@link AliasKind#THREAD} when {@code P} is a thread id: {@link ProcessInspector#tgidOf})</li>
 *   <li>{@code M/P/task/T/environ} &rarr; {@link AliasKind#TASK}</li>
 *   <li>{@code M/self/environ}, {@code M/thread-self/environ}, {@code M/self/task/T/environ} &rarr;
 *       {@link AliasKind#SELF} (pid {@code -1}: the reader itself)</li>
 *   <li>any of these under a mount point that is not a host instance &rarr; {@link AliasKind#OTHER_PROC_MOUNT}</li>
 * </ul>
 * and the same with {@code mem}. A trailing {@code " (deleted)"} (the process exited while the file stayed
 * open) is accepted. Numbers are decimal without leading zeros (the kernel refuses {@code /proc/042}).
 * Paths are expected normalized, as the kernel prints them: {@code //} or {@code /./} are not recognised.
 *
 * <pre>{@code
 * List<String> mounts = List.of("/proc", "/run/ctr/proc");
 * ProcPaths.classify("/proc/42/environ", mounts);          // PROCESS 42
 * ProcPaths.classify("/run/ctr/proc/7/environ", mounts);   // OTHER_PROC_MOUNT 7
 * ProcPaths.classify("/proc/42/status", mounts);           // empty
 * }</pre>
 */
public final class ProcPaths {

    /** The host's proc mount point. */
    public static final String HOST_PROC = "/proc";

    private static final String ENVIRON = "/environ";
    private static final String MEM = "/mem";
    private static final String DELETED = " (deleted)";
    private static final List<String> HOST_ONLY = List.of(HOST_PROC);

    private ProcPaths() {
    }

    /**
     * Classifies {@code path}; {@code /proc} counts as the host's instance, every other mount point in
     * {@code procMountPoints} as {@link AliasKind#OTHER_PROC_MOUNT}.
     *
     * @param path            a path as the kernel reports it (a {@code " (deleted)"} suffix is ignored); may be
     *                        {@code null}
     * @param procMountPoints the proc mount points to match, {@code /proc} among them
     * @return the classified path, or empty when it names no per-process {@code environ} or {@code mem} file
     */
    public static Optional<ProcPath> classify(String path, Collection<String> procMountPoints) {
        return classify(path, procMountPoints, HOST_ONLY);
    }

    /**
     * Classifies {@code path} against {@code procMountPoints}; a path under one of
     * {@code hostInstanceMountPoints} (the host's procfs and its bind mounts: same superblock, same pids)
     * gets a per-process alias, a path under any other listed mount point
     * {@link AliasKind#OTHER_PROC_MOUNT}. The longest matching mount point wins.
     *
     * @param path                    a path as the kernel reports it; may be {@code null}
     * @param procMountPoints         the proc mount points to match
     * @param hostInstanceMountPoints those of them that show the host's procfs instance
     * @return the classified path, or empty when it names no per-process {@code environ} or {@code mem} file
     */
    public static Optional<ProcPath> classify(String path, Collection<String> procMountPoints,
                                              Collection<String> hostInstanceMountPoints) {
        if (path == null) {
            return Optional.empty();
        }
        int end = path.length();
        if (path.endsWith(DELETED)) {
            end -= DELETED.length();
        }
        ProcFile file;
        int nameStart;
        if (path.startsWith(ENVIRON, end - ENVIRON.length())) {
            file = ProcFile.ENVIRON;
            nameStart = end - ENVIRON.length();
        } else if (path.startsWith(MEM, end - MEM.length())) {
            file = ProcFile.MEM;
            nameStart = end - MEM.length();
        } else {
            return Optional.empty();
        }
        String mountPoint = null;
        int rest = -1;
        for (String candidate : procMountPoints) {
            int after = prefixEnd(path, candidate);
            if (after > rest && after <= nameStart) {
                mountPoint = candidate;
                rest = after;
            }
        }
        if (mountPoint == null) {
            return Optional.empty();
        }
        // path[rest] == '/'; the part between rest+1 and nameStart is "P", "P/task/T", "self", ...
        int first = rest + 1;
        int slash = path.indexOf('/', first);
        if (slash < 0 || slash > nameStart) {
            return Optional.empty();
        }
        int pid;
        boolean self;
        if (slash - first == 4 && path.startsWith("self", first)) {
            pid = -1;
            self = true;
        } else if (slash - first == 11 && path.startsWith("thread-self", first)) {
            if (slash != nameStart) {
                return Optional.empty();
            }
            pid = -1;
            self = true;
        } else {
            pid = ProcIds.parse(path, first, slash);
            if (pid <= 0) {
                return Optional.empty();
            }
            self = false;
        }
        int taskId = -1;
        if (slash != nameStart) {
            int taskStart = slash + 1;
            if (!path.startsWith("task/", taskStart)) {
                return Optional.empty();
            }
            taskId = ProcIds.parse(path, taskStart + 5, nameStart);
            if (taskId <= 0) {
                return Optional.empty();
            }
        }
        AliasKind alias;
        if (!contains(hostInstanceMountPoints, mountPoint)) {
            alias = AliasKind.OTHER_PROC_MOUNT;
        } else if (self) {
            alias = AliasKind.SELF;
        } else {
            alias = taskId >= 0 ? AliasKind.TASK : AliasKind.PROCESS;
        }
        return Optional.of(new ProcPath(mountPoint, pid, taskId, alias, file));
    }

    /** The index of the {@code '/'} that follows {@code mountPoint} at the start of {@code path}, or -1. */
    private static int prefixEnd(String path, String mountPoint) {
        if (mountPoint == null || mountPoint.isEmpty() || mountPoint.charAt(0) != '/') {
            return -1;
        }
        if (mountPoint.length() == 1) {
            return path.startsWith("/") ? 0 : -1;
        }
        int n = mountPoint.length();
        return path.length() > n && path.charAt(n) == '/' && path.startsWith(mountPoint) ? n : -1;
    }

    private static boolean contains(Collection<String> mountPoints, String mountPoint) {
        for (String m : mountPoints) {
            if (m.equals(mountPoint)) {
                return true;
            }
        }
        return false;
    }
}
