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

    /** The errno of the last failed {@link #info} call, or 0. */
    public int lastErrno() {
        return lastErrno;
    }
}
