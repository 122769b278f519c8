package io.environguard.testkit;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;

/**
 * A generated path to a per-process {@code environ}/{@code mem} file and how it must be classified.
 *
 * <pre>{@code
 * // /proc/42/task/43/environ under host mount "/proc":
 * new ProcPathCase("/proc/42/task/43/environ", "/proc", 42, 43, AliasKind.TASK, ProcFile.ENVIRON);
 * }</pre>
 *
 * @param path       as the kernel prints it
 * @param mountPoint the proc mount point it is under
 * @param pid        the number after the mount point; {@code -1} for {@code self} / {@code thread-self}
 * @param taskId     the number after {@code task/}, or {@code -1}
 * @param alias      {@code PROCESS}, {@code TASK}, {@code SELF} or {@code OTHER_PROC_MOUNT} ({@code THREAD}
 *                   needs a process table to tell, so a path alone reads as {@code PROCESS})
 * @param file       environ or mem
 */
public record ProcPathCase(String path, String mountPoint, int pid, int taskId, AliasKind alias, ProcFile file) {
}
