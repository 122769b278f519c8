package io.environguard.testkit;

import java.util.List;
import java.util.Objects;

/**
 * One mount of a simulated mount table, written by {@link ProcFormats#mountInfoLine} in {@code mountinfo} format.
 *
 * <pre>{@code
 * MountLine proc = MountLine.proc(40, 1, "/run/ctr/proc", "0:45");
 * }</pre>
 *
 * @param mountId        unique mount id
 * @param parentId       parent mount id
 * @param device         superblock {@code major:minor}
 * @param root           root of the mount within its filesystem
 * @param mountPoint     where it is mounted (unescaped; the writer escapes)
 * @param options        per-mount options
 * @param optionalFields tags such as {@code shared:1}
 * @param fsType         filesystem type
 * @param source         mount source
 * @param superOptions   per-superblock options
 */
public record MountLine(int mountId, int parentId, String device, String root, String mountPoint, String options,
                        List<String> optionalFields, String fsType, String source, String superOptions) {

    /**
     * Checks the required fields and keeps an unmodifiable copy of {@code optionalFields}.
     *
     * @param mountId        unique mount id
     * @param parentId       parent mount id
     * @param device         superblock {@code major:minor}
     * @param root           root of the mount within its filesystem
     * @param mountPoint     where it is mounted, unescaped
     * @param options        per-mount options
     * @param optionalFields tags such as {@code shared:1}; {@code null} for none
     * @param fsType         filesystem type
     * @param source         mount source
     * @param superOptions   per-superblock options
     * @throws NullPointerException when a string field is {@code null}
     */
    public MountLine {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(mountPoint, "mountPoint");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(fsType, "fsType");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(superOptions, "superOptions");
        optionalFields = optionalFields == null ? List.of() : List.copyOf(optionalFields);
    }

    /**
     * A procfs mount as {@code mount -t proc proc <mountPoint>} creates it.
     *
     * @param mountId    unique mount id, also its {@code shared:} peer group
     * @param parentId   parent mount id
     * @param mountPoint where it is mounted
     * @param device     superblock {@code major:minor}, e.g. {@code 0:45}
     * @return the line
     */
    public static MountLine proc(int mountId, int parentId, String mountPoint, String device) {
        return new MountLine(mountId, parentId, device, "/", mountPoint, "rw,nosuid,nodev,noexec,relatime",
                List.of("shared:" + mountId), "proc", "proc", "rw");
    }

    /**
     * @param mountId unique mount id
     * @return the root filesystem's line: ext4 on {@code /dev/vda}, device {@code 254:0}
     */
    public static MountLine rootFs(int mountId) {
        return new MountLine(mountId, 1, "254:0", "/", "/", "rw,relatime", List.of("shared:1"), "ext4", "/dev/vda",
                "rw,discard");
    }
}
