package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import java.io.IOException;

/**
 * A {@code FAN_REPORT_FID} fanotify group for inode marks, the only kind an unprivileged process may
 * place. Each mark is placed through {@code /proc/self/fd/N}, N an {@code O_PATH} descriptor that pins the
 * alias: an inode mark placed by path alone stops firing once the kernel reclaims the proc inode
 * (KERNEL-FACTS.md, "Mark lifetime"), and {@code fanotify_mark} refuses an {@code O_PATH} descriptor as
 * {@code dirfd} ({@code EBADF}), so the magic link is the way through.
 *
 * <p>Reading and closing belong to one thread; the kernel serializes marks.
 *
 * <pre>{@code
 * try (TargetedGroup group = TargetedGroup.open(false)) {
 *     int errno = group.mark(pinningFd);   // 0 on success
 * }
 * }</pre>
 */
final class TargetedGroup implements AutoCloseable {

    static final int FAN_CLOEXEC = 0x1;
    static final int FAN_NONBLOCK = 0x2;
    static final int FAN_CLASS_NOTIF = 0x0;
    static final int FAN_REPORT_PIDFD = 0x80;
    static final int FAN_REPORT_FID = 0x200;
    static final int FAN_MARK_ADD = 0x1;
    static final int FAN_MARK_REMOVE = 0x2;
    static final long FAN_OPEN = 0x20;
    static final long FAN_Q_OVERFLOW = 0x4000;
    /** {@code FAN_NOPIDFD}: the reader had exited before the kernel could make a pidfd. */
    static final int FAN_NOPIDFD = -1;

    static final int BASE_FLAGS = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_FID;

    private final int fd;
    private final int flags;
    private boolean closed;

    private TargetedGroup(int fd, int flags) {
        this.fd = fd;
        this.flags = flags;
    }

    /**
     * Creates a group; with {@code pidfd}, each event carries a pidfd of the reader (needs CAP_SYS_ADMIN).
     *
     * @throws InitException with the errno
     */
    static TargetedGroup open(boolean pidfd) throws InitException {
        int flags = BASE_FLAGS | (pidfd ? FAN_REPORT_PIDFD : 0);
        // With FID reporting the kernel opens no descriptor per event; the event flags are unused.
        int fd = LinuxLibC.fanotify_init(flags, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC);
        if (fd < 0) {
            throw new InitException(LinuxLibC.errno(), flags);
        }
        return new TargetedGroup(fd, flags);
    }

    int fd() {
        return fd;
    }

    boolean reportsPidfd() {
        return (flags & FAN_REPORT_PIDFD) != 0;
    }

    /** Marks the inode that {@code pinFd} (an {@code O_PATH} descriptor) refers to for {@code FAN_OPEN}: 0 or the errno. */
    int mark(int pinFd) {
        int r = LinuxLibC.fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN, LinuxLibC.AT_FDCWD, "/proc/self/fd/" + pinFd);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /** Removes the mark of the inode {@code pinFd} refers to: 0 or the errno. */
    int unmark(int pinFd) {
        int r = LinuxLibC.fanotify_mark(fd, FAN_MARK_REMOVE, FAN_OPEN, LinuxLibC.AT_FDCWD, "/proc/self/fd/" + pinFd);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /** Reads pending records into {@code buffer}: the byte count, or {@code -errno} ({@code -EAGAIN} when none). */
    int read(Memory buffer) {
        int n = LinuxLibC.read(fd, buffer, buffer.size());
        return n < 0 ? -LinuxLibC.errno() : n;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LinuxLibC.close(fd);
        }
    }

    /** {@code fanotify_init} failed. */
    static final class InitException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        InitException(int errno, int flags) {
            super("fanotify_init(0x" + Integer.toHexString(flags) + ") failed: " + Errno.describe(errno));
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }
}
