package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * One fanotify group, for every fanotify source: the descriptor from {@code fanotify_init}, its marks (filesystem
 * marks and evictable ignore marks for the host source, pinned inode marks for the targeted source) and its
 * reads. Closing it removes every mark. Reading and closing belong to one thread; marking may come from another
 * (the kernel serializes).
 *
 * <pre>{@code
 * try (FanotifyGroup group = FanotifyGroup.open(FanotifyGroup.NOTIFY_FLAGS | Fanotify.FAN_REPORT_FID)) {
 *     int errno = group.markInodeOpen(pinningFd);   // 0 on success
 * }
 * }</pre>
 */
public final class FanotifyGroup implements AutoCloseable {

    /** The flags every group of this library has: notification only, close-on-exec, non-blocking reads. */
    public static final int NOTIFY_FLAGS = Fanotify.FAN_CLASS_NOTIF | Fanotify.FAN_CLOEXEC | Fanotify.FAN_NONBLOCK;

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
    public static FanotifyGroup open(int flags) throws Fanotify.InitException {
        // With FID reporting the kernel opens no descriptor per event; the event flags are then unused.
        return new FanotifyGroup(Fanotify.init(flags, Fanotify.EVENT_FILE_FLAGS), flags);
    }

    /** @return the group's descriptor, to poll */
    public int fd() {
        return fd;
    }

    /** @return the {@code fanotify_init} flags the group was created with */
    public int flags() {
        return flags;
    }

    /** @return whether each event carries a pidfd of its reader ({@code FAN_REPORT_PIDFD}) */
    public boolean reportsPidfd() {
        return (flags & Fanotify.FAN_REPORT_PIDFD) != 0;
    }

    /**
     * Adds a filesystem mark for {@code FAN_OPEN} on the superblock that {@code path} lives on.
     *
     * @return 0, or the errno
     */
    public int markFilesystemOpen(String path) {
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
    public int markFilesystemOpen(int fd) {
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
    public int markMountNamespace(int nsFd) {
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
    public int ignoreOpens(int fd) {
        int r = LinuxLibC.fanotify_mark(this.fd, IGNORE_FLAGS, Fanotify.FAN_OPEN, fd, (Pointer) null);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /** As {@link #ignoreOpens(int)}, for the file at {@code path} (a path lookup; it opens nothing). */
    public int ignoreOpens(String path) {
        int r = LinuxLibC.fanotify_mark(fd, IGNORE_FLAGS, Fanotify.FAN_OPEN, LinuxLibC.AT_FDCWD, path);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /**
     * Removes every inode mark of the group. The host source's only inode marks are ignore marks; its
     * filesystem marks stay.
     *
     * @return 0, or the errno
     */
    public int flushInodeMarks() {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_FLUSH, 0, LinuxLibC.AT_FDCWD, (Pointer) null);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /**
     * Marks, for {@code FAN_OPEN}, the inode that {@code pinFd} (an {@code O_PATH} descriptor) refers to. The mark is
     * placed through {@code /proc/self/fd/N}: an inode mark placed by path alone stops firing once the kernel
     * reclaims the proc inode (KERNEL-FACTS.md, "Mark lifetime"), and {@code fanotify_mark} refuses an
     * {@code O_PATH} descriptor as {@code dirfd} ({@code EBADF}), so the magic link is the way through.
     *
     * @return 0, or the errno
     */
    public int markInodeOpen(int pinFd) {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_ADD, Fanotify.FAN_OPEN, LinuxLibC.AT_FDCWD, "/proc/self/fd/" + pinFd);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    /**
     * Removes the inode mark of the inode {@code pinFd} refers to.
     *
     * @return 0, or the errno
     */
    public int unmarkInodeOpen(int pinFd) {
        int r = LinuxLibC.fanotify_mark(fd, Fanotify.FAN_MARK_REMOVE, Fanotify.FAN_OPEN, LinuxLibC.AT_FDCWD, "/proc/self/fd/" + pinFd);
        return r == 0 ? 0 : LinuxLibC.errno();
    }

    private static final int IGNORE_FLAGS = Fanotify.FAN_MARK_ADD | Fanotify.FAN_MARK_IGNORED_MASK
            | Fanotify.FAN_MARK_IGNORED_SURV_MODIFY | Fanotify.FAN_MARK_EVICTABLE;

    /** Reads pending records into {@code buffer}: the byte count, or {@code -errno} ({@code -EAGAIN} when none). */
    public int read(Memory buffer) {
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
