package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import java.util.Optional;

/**
 * pidfd calls: {@code pidfd_open}, the {@code PIDFD_GET_INFO} ioctl and a liveness check. A pidfd names one
 * process for as long as it is open, so what is learnt through it cannot belong to a later process that
 * reused the pid.
 *
 * <p>An instance holds a reused native buffer and is confined to one thread.
 *
 * <pre>{@code
 * Pidfds pidfds = new Pidfds();
 * int fd = Pidfds.open(tid, true);          // PIDFD_THREAD: any thread id, not only a leader
 * Optional<PidfdInfo> info = pidfds.info(fd);  // tgid, ppid, uid...
 * }</pre>
 */
public final class Pidfds {

    /** {@code PIDFD_THREAD} (= {@code O_EXCL}): the pidfd may name a thread that is not a group leader (6.9+). */
    public static final int PIDFD_THREAD = 0x80;

    static final long PIDFD_INFO_PID = 1L;
    static final long PIDFD_INFO_CREDS = 1L << 1;
    static final long PIDFD_INFO_CGROUPID = 1L << 2;
    /** {@code struct pidfd_info} as of its first version; the kernel copies what both sides know. */
    static final int PIDFD_INFO_SIZE_VER0 = 64;
    /** {@code _IOWR(0xFF, 11, struct pidfd_info)} with the version-0 size. */
    static final long PIDFD_GET_INFO = (3L << 30) | ((long) PIDFD_INFO_SIZE_VER0 << 16) | (0xFFL << 8) | 11L;

    /** {@code PIDFD_GET_MNT_NAMESPACE}, {@code _IO(0xFF, 3)} (6.11+): a descriptor of the process's mount namespace. */
    public static final long PIDFD_GET_MNT_NAMESPACE = (0xFFL << 8) | 3L;
    /** {@code PIDFD_GET_PID_NAMESPACE}, {@code _IO(0xFF, 5)} (6.11+): a descriptor of the process's pid namespace. */
    public static final long PIDFD_GET_PID_NAMESPACE = (0xFFL << 8) | 5L;

    private final Memory buffer = new Memory(PIDFD_INFO_SIZE_VER0);
    private final Memory poll = new Memory(8);
    private int lastErrno;

    /**
     * Opens a pidfd for {@code pid}; with {@code thread}, {@code pid} may be any thread id.
     *
     * @return the new close-on-exec descriptor, or {@code -errno}
     */
    public static int open(int pid, boolean thread) {
        long fd = LinuxLibC.syscall(LinuxLibC.SYS_PIDFD_OPEN, pid, thread ? PIDFD_THREAD : 0, 0, 0);
        return fd < 0 ? -LinuxLibC.errno() : (int) fd;
    }

    /**
     * Whether the process behind {@code pidfd} has not been reaped yet (signal 0 to it; a zombie still
     * counts). While it holds, its pid has not been reused, so {@code /proc/<pid>} still shows it.
     * {@code EPERM} means alive: the process is there, but this one may not signal it (another user's process,
     * and no {@code CAP_KILL}, as under a service's bounded capability set); only {@code ESRCH} means reaped.
     */
    public static boolean isAlive(int pidfd) {
        return LinuxLibC.syscall(LinuxLibC.SYS_PIDFD_SEND_SIGNAL, pidfd, 0, 0, 0) == 0 || LinuxLibC.errno() == Errno.EPERM;
    }

    /**
     * Whether the process behind {@code pidfd} has exited: a pidfd becomes readable when its thread group has
     * ended, zombie or reaped ({@link #isAlive} still holds for a zombie). Uses this instance's buffer.
     */
    public boolean hasExited(int pidfd) {
        poll.setInt(0, pidfd);
        poll.setShort(4, LinuxLibC.POLLIN);
        poll.setShort(6, (short) 0);
        int n = LinuxLibC.poll(poll, 1, 0);
        return n > 0 && (poll.getShort(6) & (LinuxLibC.POLLIN | LinuxLibC.POLLHUP)) != 0;
    }

    /**
     * Sends {@code signal} to the process behind {@code pidfd} ({@code pidfd_send_signal}, Linux 5.1+): unlike
     * {@code kill(pid)}, it can never reach a later process that reused the pid.
     *
     * @return 0, or {@code -errno} ({@code ESRCH} once the process was reaped)
     */
    public static int sendSignal(int pidfd, int signal) {
        return LinuxLibC.syscall(LinuxLibC.SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0) == 0 ? 0 : -LinuxLibC.errno();
    }

    /**
     * Asks the kernel for pid, tgid, ppid, credentials and cgroup id. Empty when the process was reaped
     * ({@code ESRCH}) or the kernel lacks the ioctl ({@code ENOTTY}/{@code EINVAL} before 6.13);
     * {@link #lastErrno()} tells which.
     */
    public Optional<PidfdInfo> info(int pidfd) {
        buffer.clear();
        buffer.setLong(0, PIDFD_INFO_PID | PIDFD_INFO_CREDS | PIDFD_INFO_CGROUPID);
        if (LinuxLibC.ioctl(pidfd, PIDFD_GET_INFO, buffer) != 0) {
            lastErrno = LinuxLibC.errno();
            return Optional.empty();
        }
        lastErrno = 0;
        long mask = buffer.getLong(0);
        boolean ids = (mask & PIDFD_INFO_PID) != 0;
        boolean creds = (mask & PIDFD_INFO_CREDS) != 0;
        boolean cgroup = (mask & PIDFD_INFO_CGROUPID) != 0;
        return Optional.of(new PidfdInfo(
                ids ? buffer.getInt(16) : -1,
                ids ? buffer.getInt(20) : -1,
                ids ? buffer.getInt(24) : -1,
                creds ? buffer.getInt(28) : -1,
                creds ? buffer.getInt(32) : -1,
                creds ? buffer.getInt(36) : -1,
                cgroup ? buffer.getLong(8) : -1));
    }

    /**
     * Opens the namespace of the process behind {@code pidfd} that {@code request} names
     * ({@link #PIDFD_GET_MNT_NAMESPACE}, {@link #PIDFD_GET_PID_NAMESPACE}). Through the pidfd, not a {@code /proc}
     * path: no path walk (a fresh process's {@code /proc/<pid>/ns} entries are built on first use) and never a later
     * process that reused the pid. The namespace's inode ({@code statx} of the descriptor) is the number that
     * {@code readlink /proc/<pid>/ns/...} prints.
     *
     * @return the new close-on-exec descriptor, or {@code -errno}: {@code ESRCH} once the process has exited,
     *         {@code ENOTTY} or {@code EINVAL} before Linux 6.11, {@code EACCES} for a process this one may not trace
     */
    public static int namespace(int pidfd, long request) {
        int fd = LinuxLibC.ioctl(pidfd, request, null);
        return fd < 0 ? -LinuxLibC.errno() : fd;
    }

    /**
     * Keeps this JVM's own mount and pid namespaces open, once per JVM (two {@code O_PATH} descriptors, never
     * closed). The kernel builds a namespace's file (a dentry and an inode) when {@link #namespace} asks for it and
     * frees it when the last descriptor closes; held open, the file of the namespaces most processes share with the
     * guard is built once instead of at every exec.
     *
     * @return how many of the two are held (0 where {@code /proc/self/ns} cannot be opened)
     */
    public static int holdOwnNamespaces() {
        return OwnNamespaces.HELD;
    }

    /** The holder: opened on first use, by the class loader's lock. */
    private static final class OwnNamespaces {
        static final int HELD = open("/proc/self/ns/mnt") + open("/proc/self/ns/pid");

        private static int open(String link) {
            return LinuxLibC.open(link, LinuxLibC.O_PATH | LinuxLibC.O_CLOEXEC, 0) >= 0 ? 1 : 0;
        }
    }

    /** The errno of the last failed {@link #info} call, or 0. */
    public int lastErrno() {
        return lastErrno;
    }
}
