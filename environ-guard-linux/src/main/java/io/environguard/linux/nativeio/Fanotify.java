package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import java.io.IOException;

/**
 * fanotify's kernel ABI, shared by every fanotify source: constants from {@code <linux/fanotify.h>},
 * including those newer than the C headers on many build machines ({@code FAN_REPORT_FD_ERROR} is 6.13),
 * and the two calls every group makes the same way ({@link #init}, {@link #read}).
 */
public final class Fanotify {
    public static final int FAN_CLOEXEC = 0x1;
    public static final int FAN_NONBLOCK = 0x2;
    public static final int FAN_CLASS_NOTIF = 0x0;
    public static final int FAN_UNLIMITED_QUEUE = 0x10;
    public static final int FAN_REPORT_PIDFD = 0x80;
    public static final int FAN_REPORT_FID = 0x200;
    public static final int FAN_REPORT_FD_ERROR = 0x2000;
    /** Linux 6.15: mount events ({@code FAN_MNT_ATTACH}/{@code DETACH}) with the mount's id; no fd, no pidfd. */
    public static final int FAN_REPORT_MNT = 0x4000;

    public static final int FAN_MARK_ADD = 0x1;
    public static final int FAN_MARK_REMOVE = 0x2;
    public static final int FAN_MARK_IGNORED_MASK = 0x20;
    public static final int FAN_MARK_IGNORED_SURV_MODIFY = 0x40;
    public static final int FAN_MARK_FLUSH = 0x80;
    public static final int FAN_MARK_FILESYSTEM = 0x100;
    /** Linux 5.19: an inode mark that does not pin the inode; it goes when the kernel evicts the inode. */
    public static final int FAN_MARK_EVICTABLE = 0x200;
    /** Linux 6.15: a mark on a mount namespace (an nsfs descriptor of it), for mount events in a {@code FAN_REPORT_MNT} group. */
    public static final int FAN_MARK_MNTNS = 0x110;

    public static final long FAN_OPEN = 0x20;
    public static final long FAN_Q_OVERFLOW = 0x4000;
    /** A mount was attached to a marked mount namespace (mounted, propagated into it, or moved: then with {@code FAN_MNT_DETACH}). */
    public static final long FAN_MNT_ATTACH = 0x0100_0000L;
    /** A mount was detached from a marked mount namespace. */
    public static final long FAN_MNT_DETACH = 0x0200_0000L;

    public static final int FANOTIFY_METADATA_VERSION = 3;
    /** {@code sizeof(struct fanotify_event_metadata)}. */
    public static final int METADATA_LEN = 24;
    public static final int INFO_TYPE_PIDFD = 4;
    /** {@code FAN_EVENT_INFO_TYPE_MNT}: a 4-byte header, 4 bytes of padding, the 64-bit mount id. */
    public static final int INFO_TYPE_MNT = 7;
    /** {@code FAN_NOFD}: no descriptor (an overflow record, or any record of a FID group). */
    public static final int FAN_NOFD = -1;
    /** {@code FAN_NOPIDFD}: the reader had exited before the kernel could make a pidfd (same value as FAN_NOFD). */
    public static final int FAN_NOPIDFD = -1;
    /** {@code FAN_EPIDFD}: the kernel failed to create a pidfd for a live reader. */
    public static final int FAN_EPIDFD = -2;

    /** Flags for the event descriptors the kernel opens in the listener. */
    public static final int EVENT_FILE_FLAGS = LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC;

    private Fanotify() {
    }

    /**
     * {@code fanotify_init}: the group's descriptor.
     *
     * @throws InitException with the errno, so callers can fall back to fewer flags
     */
    public static int init(int flags, int eventFileFlags) throws InitException {
        int fd = LinuxLibC.fanotify_init(flags, eventFileFlags);
        if (fd < 0) {
            throw new InitException(LinuxLibC.errno(), flags);
        }
        return fd;
    }

    /** Reads pending records of group {@code fd} into {@code buffer}: the byte count, or {@code -errno} ({@code -EAGAIN} when none). */
    public static int read(int fd, Memory buffer) {
        int n = LinuxLibC.read(fd, buffer, buffer.size());
        return n < 0 ? -LinuxLibC.errno() : n;
    }

    /** {@code fanotify_init} failed. */
    public static final class InitException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        InitException(int errno, int flags) {
            super("fanotify_init(0x" + Integer.toHexString(flags) + ") failed: " + Errno.describe(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
