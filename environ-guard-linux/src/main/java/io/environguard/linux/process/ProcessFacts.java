package io.environguard.linux.process;

/**
 * What one look at {@code /proc} (and a pidfd) showed of a process: the raw material of a {@link ProcessRecord}.
 * Numbers are -1 and strings {@code null} when unknown.
 *
 * <pre>{@code
 * ProcessProbe.Capture c = probe.capture(4242, false);
 * if (c != null && c.facts().verified()) { ... every field belongs to the process that started at startTime ... }
 * }</pre>
 *
 * @param pid            process id
 * @param startTime      start time in clock ticks since boot ({@code stat} field 22)
 * @param ppid           the current parent (after the parent's exit: whoever adopted it)
 * @param uid            real user id
 * @param gid            real group id
 * @param comm           the kernel's short name
 * @param exe            the {@code exe} link; {@code null} for kernel threads and exited processes
 * @param exeDevice      the executable's device ({@code major << 32 | minor}), or -1
 * @param exeInode       the executable's inode, or -1
 * @param cgroupId       the cgroup v2 id, or -1
 * @param containerId    the container id, {@code null} on the host
 * @param mountNamespace the inode of {@code ns/mnt}, or -1
 * @param pidNamespace   the inode of {@code ns/pid}, or -1
 * @param kernelThread   whether it is a kernel thread
 * @param exited         whether it had exited (a zombie) when looked at: its executable is gone
 * @param verified       whether every field is known to belong to this one process (its pidfd showed it alive
 *                       after the reads, or its start time read again was the same)
 */
public record ProcessFacts(int pid, long startTime, int ppid, int uid, int gid, String comm, String exe, long exeDevice,
                           long exeInode, long cgroupId, String containerId, long mountNamespace, long pidNamespace,
                           boolean kernelThread, boolean exited, boolean verified) {
}
