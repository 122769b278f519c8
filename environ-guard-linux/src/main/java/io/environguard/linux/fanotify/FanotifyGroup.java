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

    /**
     * Adds a mark for {@code FAN_MNT_ATTACH} on the mount namespace open on {@code nsFd} (a descriptor of
     * {@code /proc/<pid>/ns/mnt}); the group must have {@code FAN_REPORT_MNT}. The mark holds no reference: the
     * kernel drops it when the namespace dies, so the descriptor may be closed at once.
     *
     * @return 0, or the errno
     */
    int markMountNamespace(int nsFd) {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_ADD | Fanotify.FAN_MARK_MNTNS, Fanotify.FAN_MNT_ATTACH,
                nsFd, (Pointer) null);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /**
     * Adds an evictable ignore mark for {@code FAN_OPEN} on the inode open on {@code fd}: the kernel stops
     * queueing opens of that file for this group (and only this group) until it evicts the inode.
     *
     * @return 0, or the errno
     */
    int ignoreOpens(int fd) {
        int r = LinuxLibC.fanotify_mark(this.fd, IGNORE_FLAGS, Fanotify.FAN_OPEN, fd, (Pointer) null);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /** As {@link #ignoreOpens(int)}, for the file at {@code path} (a path lookup; it opens nothing). */
    int ignoreOpens(String path) {
        int r = LinuxLibC.fanotify_mark(fd, IGNORE_FLAGS, Fanotify.FAN_OPEN, LinuxLibC.AT_FDCWD, path);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /**
     * Removes every inode mark of the group. The host source's only inode marks are ignore marks; its
     * filesystem marks stay.
     *
     * @return 0, or the errno
     */
    int flushInodeMarks() {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_FLUSH, 0, LinuxLibC.AT_FDCWD, (Pointer) null);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    private static final int IGNORE_FLAGS = Fanotify.FAN_MARK_ADD | Fanotify.FAN_MARK_IGNORED_MASK
            | Fanotify.FAN_MARK_IGNORED_SURV_MODIFY | Fanotify.FAN_MARK_EVICTABLE;

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
