package io.environguard.linux.proc;

import java.util.List;

/**
 * One line of {@code /proc/P/mountinfo} (see {@code man 5 proc_pid_mountinfo}), with the kernel's
 * {@code \040}-style octal escapes decoded in the path fields.
 *
 * <pre>{@code
 * // 22 27 0:21 / /proc rw,relatime shared:12 - proc proc rw
 * MountInfo m = MountInfoParser.parse(bytes).get(0);
 * m.mountPoint();   // "/proc"
 * m.device();       // "0:21": the superblock; bind mounts of one procfs share it
 * }</pre>
 *
 * @param mountId        unique id of the mount
 * @param parentId       id of the parent mount
 * @param device         {@code major:minor} of the superblock
 * @param root           the directory of the filesystem that forms the root of this mount
 * @param mountPoint     where it is mounted, relative to the reading process's root
 * @param options        per-mount options
 * @param optionalFields tags such as {@code shared:12}; possibly empty
 * @param fsType         filesystem type ({@code proc}, {@code ext4}, {@code fuse.sshfs}, ...)
 * @param source         filesystem-specific source, or {@code none}
 * @param superOptions   per-superblock options
 */
public record MountInfo(int mountId, int parentId, String device, String root, String mountPoint, String options,
                        List<String> optionalFields, String fsType, String source, String superOptions) {

    /**
     * Keeps an unmodifiable copy of {@code optionalFields}.
     *
     * @param mountId        unique id of the mount
     * @param parentId       id of the parent mount
     * @param device         {@code major:minor} of the superblock
     * @param root           the directory of the filesystem that forms the root of this mount
     * @param mountPoint     where it is mounted, relative to the reading process's root
     * @param options        per-mount options
     * @param optionalFields tags such as {@code shared:12}; {@code null} for none
     * @param fsType         filesystem type
     * @param source         filesystem-specific source, or {@code none}
     * @param superOptions   per-superblock options
     */
    public MountInfo {
        optionalFields = optionalFields == null ? List.of() : List.copyOf(optionalFields);
    }
}
