package io.environguard.linux.nativeio;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What {@code statmount(2)} (Linux 6.8+) said about one mount: the fields of {@code struct statmount} this
 * library reads. A field the kernel did not fill (its bit is missing from {@code mask}) is {@code -1} or
 * {@code null}.
 *
 * <pre>{@code
 * MountStat stat = MountStat.parse(buffer, bytesAvailable);
 * if (stat.isProc()) {
 *     // a procfs instance: mark its superblock
 * }
 * }</pre>
 *
 * @param mask        which groups of fields the kernel filled ({@code STATMOUNT_*})
 * @param device      the superblock, {@code major:minor} ({@code STATMOUNT_SB_BASIC}), or {@code null}
 * @param magic       the filesystem's magic number ({@code STATMOUNT_SB_BASIC}; procfs is {@code 0x9fa0}), or -1
 * @param fsType      the filesystem type, e.g. {@code proc} ({@code STATMOUNT_FS_TYPE}), or {@code null}
 * @param mountPoint  where it is mounted, relative to the caller's root ({@code STATMOUNT_MNT_POINT}), or {@code null}
 */
public record MountStat(long mask, String device, long magic, String fsType, String mountPoint) {

    /** {@code STATMOUNT_SB_BASIC}: device, magic, superblock flags. */
    public static final long SB_BASIC = 0x1;
    /** {@code STATMOUNT_MNT_POINT}. */
    public static final long MNT_POINT = 0x10;
    /** {@code STATMOUNT_FS_TYPE}. */
    public static final long FS_TYPE = 0x20;
    /** {@code PROC_SUPER_MAGIC}. */
    public static final long PROC_SUPER_MAGIC = 0x9fa0;

    /**
     * {@code sizeof(struct statmount)} without its strings: the strings ({@code char str[]}) start here, and the
     * string fields hold offsets from this point. Fixed by the ABI since Linux 6.8 (new fields take spare room).
     */
    public static final int HEADER_SIZE = 512;

    static final int SIZE_OFFSET = 0;
    static final int MASK_OFFSET = 8;
    static final int DEV_MAJOR_OFFSET = 16;
    static final int DEV_MINOR_OFFSET = 20;
    static final int MAGIC_OFFSET = 24;
    static final int FS_TYPE_OFFSET = 36;
    static final int MNT_POINT_OFFSET = 108;

    /** Whether this is a procfs mount, by its superblock's magic or, failing that, its type. */
    public boolean isProc() {
        return (mask & SB_BASIC) != 0 ? magic == PROC_SUPER_MAGIC : "proc".equals(fsType);
    }

    /**
     * Reads a {@code struct statmount} the kernel wrote at the start of {@code buffer} (native byte order).
     *
     * @param available how many bytes of {@code buffer} the kernel could write (the size passed to the call)
     * @throws IllegalArgumentException if the record does not follow the format (a size outside the buffer, a
     *                                  string offset outside the record, a string without its terminating NUL)
     */
    public static MountStat parse(ByteBuffer buffer, int available) {
        int limit = Math.min(available, buffer.capacity());
        if (limit < HEADER_SIZE) {
            throw new IllegalArgumentException("a statmount buffer of " + limit + " bytes cannot hold the "
                    + HEADER_SIZE + "-byte record");
        }
        long size = buffer.getInt(SIZE_OFFSET) & 0xFFFF_FFFFL;
        if (size < HEADER_SIZE || size > limit) {
            throw new IllegalArgumentException("statmount record size " + size + " outside [" + HEADER_SIZE + ", "
                    + limit + "]");
        }
        long mask = buffer.getLong(MASK_OFFSET);
        String device = null;
        long magic = -1;
        if ((mask & SB_BASIC) != 0) {
            device = Integer.toUnsignedString(buffer.getInt(DEV_MAJOR_OFFSET)) + ":"
                    + Integer.toUnsignedString(buffer.getInt(DEV_MINOR_OFFSET));
            magic = buffer.getLong(MAGIC_OFFSET);
        }
        String fsType = (mask & FS_TYPE) != 0 ? string(buffer, FS_TYPE_OFFSET, (int) size, "fs_type") : null;
        String mountPoint = (mask & MNT_POINT) != 0 ? string(buffer, MNT_POINT_OFFSET, (int) size, "mnt_point") : null;
        return new MountStat(mask, device, magic, fsType, mountPoint);
    }

    private static String string(ByteBuffer buffer, int field, int size, String name) {
        long offset = buffer.getInt(field) & 0xFFFF_FFFFL;
        long start = HEADER_SIZE + offset;
        if (start >= size) {
            throw new IllegalArgumentException("statmount " + name + " offset " + offset + " outside the record of "
                    + size + " bytes");
        }
        int end = (int) start;
        while (end < size && buffer.get(end) != 0) {
            end++;
        }
        if (end == size) {
            throw new IllegalArgumentException("statmount " + name + " at offset " + offset + " has no terminating NUL");
        }
        byte[] bytes = new byte[end - (int) start];
        buffer.get((int) start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
