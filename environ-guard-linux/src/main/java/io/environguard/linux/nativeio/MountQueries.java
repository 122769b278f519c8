package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteOrder;

/**
 * Questions about mounts and mount namespaces answered without reading a {@code mountinfo} file:
 * {@code statmount(2)} (Linux 6.8; a mount of another namespace, by that namespace's id, 6.11),
 * {@code listmount(2)} (used here only to ask whether a mount namespace still exists) and the nsfs ioctl
 * {@code NS_GET_MNTNS_ID} (the 64-bit id of a mount namespace, never reused, unlike its inode number).
 *
 * <p>An instance holds reused native buffers and is confined to one thread.
 *
 * <pre>{@code
 * MountQueries mounts = new MountQueries();
 * long namespace = mounts.namespaceId(nsFd);                 // fd of /proc/<pid>/ns/mnt
 * int r = mounts.stat(mountId, namespace, MountStat.SB_BASIC);
 * if (r == 0 && mounts.lastStat().isProc()) { ... }
 * }</pre>
 */
public final class MountQueries {

    /** Syscall numbers of the unified table, the same on every architecture. */
    public static final long SYS_STATMOUNT = 457;
    public static final long SYS_LISTMOUNT = 458;
    /** {@code _IOR(0xb7, 5, __u64)}. */
    public static final long NS_GET_MNTNS_ID = 0x8008b705L;
    /** {@code _IO(0xb7, 0x1)}: a descriptor of the user namespace that owns a namespace. */
    public static final long NS_GET_USERNS = 0xb701L;
    /** {@code LSMT_ROOT}: list from the namespace's root mount. */
    private static final long LSMT_ROOT = -1L;
    /** {@code MNT_ID_REQ_SIZE_VER1}: the request with {@code mnt_ns_id}. */
    private static final int REQUEST_SIZE = 32;
    /** Room for the record and a mount point of {@code PATH_MAX} bytes and a type name. */
    private static final int STAT_BUFFER_SIZE = MountStat.HEADER_SIZE + 4096 + 256;

    private final Memory request = new Memory(REQUEST_SIZE);
    private final Memory stat = new Memory(STAT_BUFFER_SIZE);
    private final Memory ids = new Memory(8);
    private final Memory id = new Memory(8);
    private MountStat last;

    /**
     * {@code statmount} of mount {@code mountId} (the 64-bit unique id, as fanotify reports it) in the mount
     * namespace whose id is {@code namespaceId} (0: the caller's own).
     *
     * @param mask {@code MountStat.SB_BASIC | ...}
     * @return 0 ({@link #lastStat()} then holds the answer), or {@code -errno}: {@code ENOENT} when no such mount
     *         is in that namespace (or the namespace is gone), {@code EOVERFLOW} when the strings did not fit,
     *         {@code ENOSYS}/{@code EINVAL} on a kernel without the call or without namespace ids
     */
    public int stat(long mountId, long namespaceId, long mask) {
        request.clear();
        request.setInt(0, REQUEST_SIZE);
        request.setLong(8, mountId);
        request.setLong(16, mask);
        request.setLong(24, namespaceId);
        long r = LinuxLibC.syscall(SYS_STATMOUNT, Pointer.nativeValue(request), Pointer.nativeValue(stat),
                STAT_BUFFER_SIZE, 0);
        if (r < 0) {
            last = null;
            return -LinuxLibC.errno();
        }
        try {
            last = MountStat.parse(stat.getByteBuffer(0, STAT_BUFFER_SIZE).order(ByteOrder.nativeOrder()),
                    STAT_BUFFER_SIZE);
        } catch (IllegalArgumentException e) {
            last = null;
            return -Errno.EINVAL;
        }
        return 0;
    }

    /** The answer of the last successful {@link #stat}. */
    public MountStat lastStat() {
        return last;
    }

    /**
     * Whether the mount namespace with id {@code namespaceId} still exists: a {@code listmount} of one entry.
     *
     * @return 1 if it does, 0 if it is gone ({@code ENOENT}), or {@code -errno} when the kernel cannot tell
     */
    public int namespaceExists(long namespaceId) {
        long first = firstMount(namespaceId);
        return first >= 0 ? 1 : first == -Errno.ENOENT ? 0 : (int) first;
    }

    /**
     * The id of the first mount {@code listmount} lists under the root of the mount namespace with id
     * {@code namespaceId}.
     *
     * @return the mount id (positive), 0 when the namespace has no mount but its root, or {@code -errno}
     *         ({@code ENOENT} when the namespace is gone)
     */
    public long firstMount(long namespaceId) {
        request.clear();
        request.setInt(0, REQUEST_SIZE);
        request.setLong(8, LSMT_ROOT);
        request.setLong(24, namespaceId);
        long r = LinuxLibC.syscall(SYS_LISTMOUNT, Pointer.nativeValue(request), Pointer.nativeValue(ids), 1, 0);
        if (r < 0) {
            return -LinuxLibC.errno();
        }
        return r == 0 ? 0 : ids.getLong(0);
    }

    /**
     * The id of the mount namespace open on {@code nsFd} (a descriptor of {@code /proc/<pid>/ns/mnt}).
     *
     * @return the id (positive), or {@code -errno} ({@code ENOTTY} before Linux 6.11)
     */
    public long namespaceId(int nsFd) {
        id.setLong(0, 0);
        if (LinuxLibC.ioctl(nsFd, NS_GET_MNTNS_ID, id) != 0) {
            return -LinuxLibC.errno();
        }
        return id.getLong(0);
    }

    /**
     * A descriptor of the user namespace that owns the namespace open on {@code nsFd} (the caller closes it).
     *
     * @return the descriptor, or {@code -errno} ({@code EPERM} when that user namespace is outside the caller's)
     */
    public int ownerUserNamespace(int nsFd) {
        int fd = LinuxLibC.ioctl(nsFd, NS_GET_USERNS, Pointer.NULL);
        return fd >= 0 ? fd : -LinuxLibC.errno();
    }
}
