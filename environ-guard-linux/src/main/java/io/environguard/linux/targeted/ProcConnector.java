package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * The kernel's process events connector (netlink, {@code NETLINK_CONNECTOR}, {@code CN_IDX_PROC}): a
 * message per fork, exec and exit on the host, about 0.1 ms after the fact (KERNEL-FACTS.md). The targeted
 * source listens when it runs privileged (subscribing needs CAP_NET_ADMIN), so that a thread of a guarded
 * process is marked as it appears rather than at the next listing of {@code /proc/P/task}. Non-blocking;
 * confined to the source's thread.
 *
 * <pre>{@code
 * ProcConnector connector = ProcConnector.open();   // null when not permitted
 * poll.watch(2, connector.fd(), LinuxLibC.POLLIN);
 * if (connector.drain(guardedPids)) { ... a guarded process gained or lost a thread ... }
 * }</pre>
 */
final class ProcConnector implements AutoCloseable {

    private static final int CN_IDX_PROC = 1;
    private static final int CN_VAL_PROC = 1;
    private static final int NLMSG_DONE = 3;
    private static final int PROC_CN_MCAST_LISTEN = 1;
    private static final int PROC_EVENT_FORK = 0x1;
    private static final int PROC_EVENT_EXIT = 0x80000000;
    private static final int NLMSG_HEADER = 16;
    private static final int CN_MSG_HEADER = 20;
    /** Where {@code struct proc_event} starts, and its {@code event_data} union. */
    private static final int EVENT = NLMSG_HEADER + CN_MSG_HEADER;
    private static final int EVENT_DATA = EVENT + 16;
    private static final int BUFFER_SIZE = 8192;
    private static final int ENOBUFS = 105;

    private final int fd;
    private final Memory buffer = new Memory(BUFFER_SIZE);
    private final ByteBuffer view = buffer.getByteBuffer(0, BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private long overruns;
    private boolean closed;

    private ProcConnector(int fd) {
        this.fd = fd;
    }

    /**
     * Subscribes to process events.
     *
     * @return the connector, or {@code null} with the errno in {@code why[0]} when the kernel refuses
     *         (EPERM without CAP_NET_ADMIN; EPROTONOSUPPORT without CONFIG_PROC_EVENTS)
     */
    static ProcConnector open(int[] why) {
        int fd = LinuxLibC.socket(LinuxLibC.AF_NETLINK, LinuxLibC.SOCK_DGRAM | LinuxLibC.SOCK_NONBLOCK
                | LinuxLibC.SOCK_CLOEXEC, LinuxLibC.NETLINK_CONNECTOR);
        if (fd < 0) {
            why[0] = LinuxLibC.errno();
            return null;
        }
        Memory address = new Memory(12);
        address.clear();
        address.setShort(0, (short) LinuxLibC.AF_NETLINK);
        address.setInt(8, CN_IDX_PROC);
        if (LinuxLibC.bind(fd, address, 12) != 0) {
            why[0] = LinuxLibC.errno();
            LinuxLibC.close(fd);
            return null;
        }
        Memory listen = new Memory(NLMSG_HEADER + CN_MSG_HEADER + 4);
        listen.clear();
        listen.setInt(0, (int) listen.size());
        listen.setShort(4, (short) NLMSG_DONE);
        listen.setInt(12, (int) ProcessHandle.current().pid());
        listen.setInt(NLMSG_HEADER, CN_IDX_PROC);
        listen.setInt(NLMSG_HEADER + 4, CN_VAL_PROC);
        listen.setShort(NLMSG_HEADER + 16, (short) 4);
        listen.setInt(NLMSG_HEADER + CN_MSG_HEADER, PROC_CN_MCAST_LISTEN);
        if (LinuxLibC.send(fd, listen, listen.size(), 0) < 0) {
            why[0] = LinuxLibC.errno();
            LinuxLibC.close(fd);
            return null;
        }
        return new ProcConnector(fd);
    }

    int fd() {
        return fd;
    }

    /** Times the socket's buffer overflowed (events lost; the periodic listing catches up). */
    long overruns() {
        return overruns;
    }

    /**
     * Reads every pending message.
     *
     * @return whether a thread of a process in {@code guarded} was created or exited, or events were lost
     */
    boolean drain(Set<Integer> guarded) {
        boolean relevant = false;
        while (true) {
            long n = LinuxLibC.recv(fd, buffer, BUFFER_SIZE, 0);
            if (n < 0) {
                int errno = LinuxLibC.errno();
                if (errno == ENOBUFS) {
                    overruns++;
                    relevant = true; // something was lost: let the caller list again
                    continue;
                }
                if (errno == Errno.EINTR) {
                    continue;
                }
                return relevant; // EAGAIN: drained
            }
            // One netlink message per datagram for this connector; shorter ones are not process events.
            if (n < EVENT_DATA + 16) {
                continue;
            }
            int what = view.getInt(EVENT);
            if (what == PROC_EVENT_FORK) {
                int childPid = view.getInt(EVENT_DATA + 8);
                int childTgid = view.getInt(EVENT_DATA + 12);
                relevant |= childPid != childTgid && guarded.contains(childTgid);
            } else if (what == PROC_EVENT_EXIT) {
                relevant |= guarded.contains(view.getInt(EVENT_DATA + 4));
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LinuxLibC.close(fd);
        }
    }
}
