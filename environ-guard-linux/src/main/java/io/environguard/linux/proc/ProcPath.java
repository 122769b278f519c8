package io.environguard.linux.proc;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;

import java.util.Objects;

/**
 * A path that names a per-process {@code environ} or {@code mem} file, classified by {@link ProcPaths}.
 *
 * <pre>{@code
 * ProcPath p = ProcPaths.classify("/proc/42/task/43/environ", List.of("/proc")).orElseThrow();
 * // p.pid() == 42, p.taskId() == 43, p.alias() == AliasKind.TASK, p.file() == ProcFile.ENVIRON
 * }</pre>
 *
 * @param mountPoint the proc mount point the path is under (the instance from the caller's list)
 * @param pid        the number in the path after the mount point: a process id, or a thread id when the
 *                   caller later finds {@code tgidOf(pid) != pid} (then the alias is
 *                   {@link AliasKind#THREAD}); {@code -1} for {@code self} and {@code thread-self}
 * @param taskId     the number after {@code task/}, or {@code -1} when the path has no {@code task/} part
 * @param alias      {@link AliasKind#PROCESS}, {@link AliasKind#TASK}, {@link AliasKind#SELF} or
 *                   {@link AliasKind#OTHER_PROC_MOUNT}; never {@link AliasKind#THREAD}, which needs a lookup
 * @param file       {@code environ} or {@code mem}
 */
public record ProcPath(String mountPoint, int pid, int taskId, AliasKind alias, ProcFile file) {

    /**
     * Checks the required fields.
     *
     * @param mountPoint the proc mount point the path is under
     * @param pid        the number in the path after the mount point, or {@code -1}
     * @param taskId     the number after {@code task/}, or {@code -1}
     * @param alias      how the path names the process
     * @param file       {@code environ} or {@code mem}
     * @throws NullPointerException when {@code mountPoint}, {@code alias} or {@code file} is {@code null}
     */
    public ProcPath {
        Objects.requireNonNull(mountPoint, "mountPoint");
        Objects.requireNonNull(alias, "alias");
        Objects.requireNonNull(file, "file");
    }

    /**
     * A copy with another alias, e.g. {@link AliasKind#THREAD} once the caller resolved the thread.
     *
     * @param newAlias the alias
     * @return the copy
     */
    public ProcPath withAlias(AliasKind newAlias) {
        return new ProcPath(mountPoint, pid, taskId, newAlias, file);
    }

    /** @return whether the path went through {@code task/} */
    public boolean hasTask() {
        return taskId >= 0;
    }
}
