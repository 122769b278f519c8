package io.environguard.linux.fanotify;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.LinuxLibC;

/**
 * One fanotify group: the descriptor from {@code fanotify_init} and its marks. Closing it removes every
 * mark. Reading and closing belong to one thread; marking may come from another (the kernel serializes).
 */
final class FanotifyGroup implements AutoCloseable {

    private final int fd;
    private final int flags;
    private boolean closed;

    private FanotifyGroup(int fd, int flags) {
        this.fd = fd;
        this.flags = flags;
    }

    /**
     * Creates a group.
     *
     * @throws Fanotify.InitException with the errno, so callers can fall back to fewer flags
     */
    static FanotifyGroup open(int flags) throws Fanotify.InitException {
        return new FanotifyGroup(Fanotify.init(flags, Fanotify.EVENT_FILE_FLAGS), flags);
    }

    int fd() {
        return fd;
    }

    int flags() {
        return flags;
    }

    /**
     * Adds a filesystem mark for {@code FAN_OPEN} on the superblock that {@code path} lives on.
     *
     * @return 0, or the errno
     */
    int markFilesystemOpen(String path) {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_ADD | Fanotify.FAN_MARK_FILESYSTEM, Fanotify.FAN_OPEN,
                LinuxLibC.AT_FDCWD, path);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /**
     * Adds a filesystem mark for {@code FAN_OPEN} on the superblock of the file open on {@code fd}, whose
     * device the caller has checked: no path is resolved twice. {@code O_PATH} descriptors are refused
     * ({@code EBADF}).
     *
     * @return 0, or the errno
     */
    int markFilesystemOpen(int fd) {
        int r = LinuxLibC.fanotify_mark(this.fd, Fanotify.FAN_MARK_ADD | Fanotify.FAN_MARK_FILESYSTEM, Fanotify.FAN_OPEN,
                fd, (Pointer) null);
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
