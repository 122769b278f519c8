package io.environguard.linux.nativeio;

/**
 * What the {@code PIDFD_GET_INFO} ioctl (Linux 6.13+) said about a process. Fields the kernel did not fill
 * are {@code -1}.
 *
 * @param pid      the thread id the pidfd refers to, in the caller's pid namespace
 * @param tgid     its thread group (process) id
 * @param ppid     the parent's process id
 * @param uid      real user id
 * @param gid      real group id
 * @param euid     effective user id
 * @param cgroupId the cgroup v2 id (the inode number of the cgroup directory), or {@code -1}
 */
public record PidfdInfo(int pid, int tgid, int ppid, int uid, int gid, int euid, long cgroupId) {
}
