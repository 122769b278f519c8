package io.environguard.linux.proc;

/**
 * One procfs mount, from {@link ProcMounts}.
 *
 * <pre>{@code
 * for (ProcMount m : new ProcMounts(Path.of("/proc")).list()) {
 *     System.out.println(m.mountPoint() + " superblock " + m.device());
 * }
 * }</pre>
 *
 * @param mountId    the mount's id in {@code mountinfo}
 * @param mountPoint where it is mounted (escapes decoded), as the kernel prints paths under it
 * @param device     the superblock, {@code major:minor}; bind mounts of one procfs instance share it, and
 *                   each instance needs its own fanotify filesystem mark
 * @param fsType     the filesystem type ({@code proc})
 */
public record ProcMount(int mountId, String mountPoint, String device, String fsType) {
}
