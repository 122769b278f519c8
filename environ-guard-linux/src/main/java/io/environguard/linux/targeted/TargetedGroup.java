package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.LinuxLibC;

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

    static final int BASE_FLAGS = Fanotify.FAN_CLASS_NOTIF | Fanotify.FAN_CLOEXEC | Fanotify.FAN_NONBLOCK
            | Fanotify.FAN_REPORT_FID;

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
     * @throws Fanotify.InitException with the errno
     */
    static TargetedGroup open(boolean pidfd) throws Fanotify.InitException {
        int flags = BASE_FLAGS | (pidfd ? Fanotify.FAN_REPORT_PIDFD : 0);
        // With FID reporting the kernel opens no descriptor per event; the event flags are unused.
        return new TargetedGroup(Fanotify.init(flags, Fanotify.EVENT_FILE_FLAGS), flags);
    }

    int fd() {
        return fd;
    }

    boolean reportsPidfd() {
        return (flags & Fanotify.FAN_REPORT_PIDFD) != 0;
    }

    /** Marks the inode that {@code pinFd} (an {@code O_PATH} descriptor) refers to for {@code FAN_OPEN}: 0 or the errno. */
    int mark(int pinFd) {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_ADD, Fanotify.FAN_OPEN, LinuxLibC.AT_FDCWD, "/proc/self/fd/" + pinFd);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /** Removes the mark of the inode {@code pinFd} refers to: 0 or the errno. */
    int unmark(int pinFd) {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_REMOVE, Fanotify.FAN_OPEN, LinuxLibC.AT_FDCWD, "/proc/self/fd/" + pinFd);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /** Reads pending records into {@code buffer}: the byte count, or {@code -errno} ({@code -EAGAIN} when none). */
    int read(Memory buffer) {
        return Fanotify.read(fd, buffer);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LinuxLibC.close(fd);
        }
    }
}
