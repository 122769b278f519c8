package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads what an open descriptor points at without allocating: {@code readlink("/proc/self/fd/N")} into a
 * reused buffer, and the type, mode, inode and device of the file ({@code statx} with {@code AT_EMPTY_PATH}).
 * Neither call opens a file, so neither produces a fanotify event of its own.
 *
 * <p>An instance holds reused native buffers and is confined to one thread.
 *
 * <pre>{@code
 * FdInspector fds = new FdInspector();
 * int n = fds.readFdLink(fd);                 // bytes now in fds.linkBytes()
 * if (n > 0 && fds.linkEndsWith(n, ENVIRON)) {
 *     String path = fds.linkString(n);
 * }
 * }</pre>
 */
public final class FdInspector {

    /** PATH_MAX: readlink of a longer path is truncated, and then reported as such. */
    public static final int PATH_MAX = 4096;

    private static final byte[] FD_PREFIX = "/proc/self/fd/".getBytes(StandardCharsets.US_ASCII);
    private static final int STATX_SIZE = 256;
    /** {@code STATX_TYPE | STATX_MODE | STATX_INO}; the device is always filled. */
    private static final int STATX_MASK = 0x1 | 0x2 | 0x100;
    private static final int STATX_MODE = 28;
    private static final int STATX_INO = 32;
    private static final int STATX_DEV_MAJOR = 136;
    private static final int STATX_DEV_MINOR = 140;

    private final Memory fdPath = new Memory(FD_PREFIX.length + 12);
    private final Memory link = new Memory(PATH_MAX);
    private final ByteBuffer linkView = link.getByteBuffer(0, PATH_MAX).order(ByteOrder.nativeOrder());
    private final Memory emptyPath = new Memory(1);
    private final Memory statx = new Memory(STATX_SIZE);
    private final byte[] digits = new byte[11];
    private final byte[] scratch = new byte[PATH_MAX];

    public FdInspector() {
        fdPath.write(0, FD_PREFIX, 0, FD_PREFIX.length);
        emptyPath.setByte(0, (byte) 0);
    }

    /**
     * Reads the target of {@code /proc/self/fd/<fd>}.
     *
     * @return the length in bytes (the bytes are in {@link #linkBytes()}), or {@code -errno}
     */
    public int readFdLink(int fd) {
        int end = FD_PREFIX.length + writeDecimal(fd, FD_PREFIX.length);
        fdPath.setByte(end, (byte) 0);
        int n = LinuxLibC.readlink(fdPath, link, PATH_MAX);
        return n < 0 ? -LinuxLibC.errno() : n;
    }

    /** Reads a symbolic link by path into the same buffer; for rare calls (it converts the string). */
    public int readLink(String path) {
        int n = LinuxLibC.readlink(path, link, PATH_MAX);
        return n < 0 ? -LinuxLibC.errno() : n;
    }

    /** A view of the last link read; valid until the next call. */
    public ByteBuffer linkBytes() {
        return linkView;
    }

    /** Whether the first {@code length} bytes of the last link end with {@code suffix}. */
    public boolean linkEndsWith(int length, byte[] suffix) {
        int start = length - suffix.length;
        if (start < 0) {
            return false;
        }
        for (int i = 0; i < suffix.length; i++) {
            if (linkView.get(start + i) != suffix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The last link as a string. Paths are bytes; undecodable bytes become U+FFFD. */
    public String linkString(int length) {
        linkView.get(0, scratch, 0, length);
        return new String(scratch, 0, length, StandardCharsets.UTF_8);
    }

    /**
     * The device of the file open on {@code fd}, as {@code major << 32 | minor}; a negative value is
     * {@code -errno}. For procfs it names the instance (superblock).
     */
    public long deviceOf(int fd) {
        int r = stat(fd);
        return r == 0 ? device() : r;
    }

    /**
     * {@code statx} of the file open on {@code fd}; on success {@link #mode()}, {@link #inode()} and
     * {@link #device()} describe it until the next call.
     *
     * @return 0, or {@code -errno}
     */
    public int stat(int fd) {
        return LinuxLibC.statx(fd, emptyPath, LinuxLibC.AT_EMPTY_PATH, STATX_MASK, statx) == 0 ? 0 : -LinuxLibC.errno();
    }

    /** As {@link #stat(int)}, for a path (followed if it is a symbolic link); for rare calls. */
    public int stat(String path) {
        return LinuxLibC.statx(LinuxLibC.AT_FDCWD, path, 0, STATX_MASK, statx) == 0 ? 0 : -LinuxLibC.errno();
    }

    /**
     * As {@link #stat(String)} with {@code AT_STATX_DONT_SYNC}: the file system is not asked for fresh
     * attributes. For a file that someone else may serve (a process's executable on a FUSE file system it
     * runs itself), where a synchronised {@code statx} could wait for that server forever.
     */
    public int statNoSync(String path) {
        return LinuxLibC.statx(LinuxLibC.AT_FDCWD, path, LinuxLibC.AT_STATX_DONT_SYNC, STATX_MASK, statx) == 0
                ? 0 : -LinuxLibC.errno();
    }

    /** {@code st_mode} of the last {@link #stat}: file type and permission bits. */
    public int mode() {
        return statx.getShort(STATX_MODE) & 0xFFFF;
    }

    /** The inode number of the last {@link #stat}. */
    public long inode() {
        return statx.getLong(STATX_INO);
    }

    /** The device of the last {@link #stat}, packed as {@link #deviceOf} returns it. */
    public long device() {
        return device(statx.getInt(STATX_DEV_MAJOR), statx.getInt(STATX_DEV_MINOR));
    }

    /** Packs a device number the way {@link #deviceOf} returns it. */
    public static long device(int major, int minor) {
        return ((long) major << 32) | (minor & 0xFFFFFFFFL);
    }

    /** {@code major:minor}, as {@code /proc/PID/mountinfo} writes it. */
    public static String deviceString(long device) {
        return (device >>> 32) + ":" + (device & 0xFFFFFFFFL);
    }

    private int writeDecimal(int value, int offset) {
        int n = 0;
        int v = value;
        do {
            digits[n++] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
        for (int i = 0; i < n; i++) {
            fdPath.setByte(offset + i, digits[n - 1 - i]);
        }
        return n;
    }
}
