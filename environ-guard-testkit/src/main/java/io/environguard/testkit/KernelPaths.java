package io.environguard.testkit;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;

/**
 * Paths to per-process files as the kernel prints them ({@code readlink} of an fd, fanotify events):
 * always under the mount point the reader used, never under a simulated tree's temporary directory.
 *
 * <pre>{@code
 * KernelPaths.environ(42);                                        // "/proc/42/environ"
 * KernelPaths.of(AliasKind.TASK, ProcFile.MEM, "/proc", 42, 43);  // "/proc/42/task/43/mem"
 * }</pre>
 */
public final class KernelPaths {

    /** The host's proc mount point. */
    public static final String PROC = "/proc";

    private KernelPaths() {
    }

    /**
     * @param pid a process id
     * @return {@code /proc/<pid>/environ}
     */
    public static String environ(int pid) {
        return PROC + "/" + pid + "/environ";
    }

    /**
     * @param pid the thread group's id
     * @param tid a thread's id
     * @return {@code /proc/<pid>/task/<tid>/environ}
     */
    public static String taskEnviron(int pid, int tid) {
        return PROC + "/" + pid + "/task/" + tid + "/environ";
    }

    /**
     * @param pid a process id
     * @return {@code /proc/<pid>/mem}
     */
    public static String mem(int pid) {
        return PROC + "/" + pid + "/mem";
    }

    /**
     * The path of {@code file} through {@code alias}:
     * <ul>
     *   <li>{@code PROCESS}: {@code M/pid/file}</li>
     *   <li>{@code TASK}: {@code M/pid/task/tid/file}</li>
     *   <li>{@code THREAD}: {@code M/tid/file} ({@code tid} a thread that is not the leader)</li>
     *   <li>{@code SELF}: {@code M/self/file} (or {@code M/thread-self/file} when {@code tid > 0})</li>
     *   <li>{@code OTHER_PROC_MOUNT}: {@code M/pid/file} under the other mount point {@code M}</li>
     * </ul>
     *
     * @param alias      which alias of the file
     * @param file       environ or mem
     * @param mountPoint the proc mount point {@code M}, e.g. {@link #PROC}; {@code /} for a proc mounted at the root
     * @param pid        the process id
     * @param tid        a thread id, for {@code TASK}, {@code THREAD} and {@code SELF} ({@code 0} or less there for
     *                   {@code self} rather than {@code thread-self}); ignored otherwise
     * @return the path, as the kernel prints it
     * @throws IllegalArgumentException for {@link AliasKind#UNKNOWN}
     */
    public static String of(AliasKind alias, ProcFile file, String mountPoint, int pid, int tid) {
        String m = mountPoint.equals("/") ? "" : mountPoint;
        String name = "/" + file.id();
        switch (alias) {
            case PROCESS:
            case OTHER_PROC_MOUNT:
                return m + "/" + pid + name;
            case TASK:
                return m + "/" + pid + "/task/" + tid + name;
            case THREAD:
                return m + "/" + tid + name;
            case SELF:
                return m + (tid > 0 ? "/thread-self" : "/self") + name;
            default:
                throw new IllegalArgumentException("no path for alias " + alias);
        }
    }
}
