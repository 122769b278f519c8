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
 * process is marked as it appears rather than at the next listing of {@code /proc/P/task}. A classic BPF
 * socket filter lets through only the forks and exits of the guarded processes' threads, so a busy host's
 * other processes never wake the guard. Non-blocking; confined to the source's thread.
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
    private final boolean filtered;
    private final Memory buffer = new Memory(BUFFER_SIZE);
    private final ByteBuffer view = buffer.getByteBuffer(0, BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private long overruns;
    private volatile long messages;
    private boolean closed;

    private ProcConnector(int fd, boolean filtered) {
        this.fd = fd;
        this.filtered = filtered;
    }

    /** Whether the kernel filters events down to the guarded processes' threads. */
    boolean filtered() {
        return filtered;
    }

    /**
     * Subscribes to process events.
     *
     * @return the connector, or {@code null} with the errno in {@code why[0]} when the kernel refuses
     *         (EPERM without CAP_NET_ADMIN; EPROTONOSUPPORT without CONFIG_PROC_EVENTS)
     */
    static ProcConnector open(int[] why) {
        return open(why, null);
    }

    /**
     * As {@link #open(int[])}, with a socket filter that passes only thread forks and exits of {@code guarded}
     * (when not {@code null}, and not too many to fit one filter).
     */
    static ProcConnector open(int[] why, Set<Integer> guarded) {
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
        // Without the filter every process event on the host wakes the guard: still correct, just busier.
        boolean filtered = guarded != null && !guarded.isEmpty() && guarded.size() <= MAX_FILTERED_PIDS
                && attachFilter(fd, guarded);
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
        return new ProcConnector(fd, filtered);
    }

    int fd() {
        return fd;
    }

    /** The most pids one filter compares against (cBPF jump offsets are 8 bits). */
    static final int MAX_FILTERED_PIDS = 100;
    private static final short BPF_LD_W_ABS = 0x00 | 0x00 | 0x20;
    private static final short BPF_JEQ_K = 0x05 | 0x10 | 0x00;
    private static final short BPF_RET_K = 0x06 | 0x00;

    /**
     * Builds and attaches: load {@code what}; a fork goes on to compare {@code child_tgid}, an exit
     * {@code process_tgid}, anything else is dropped; a guarded tgid passes whole. {@code BPF_ABS} loads are
     * big-endian, so the constants compared are byte-swapped on a little-endian host.
     */
    static boolean attachFilter(int fd, Set<Integer> guarded) {
        int n = guarded.size();
        // 0 ld what; 1 jeq FORK; 2 jeq EXIT; 3 ret 0; fork block (1 ld + n jeq + ret 0); exit block (same); accept
        int forkBlock = 4;
        int exitBlock = forkBlock + n + 2;
        int accept = exitBlock + n + 2;
        short[] code = new short[accept + 1];
        byte[] jt = new byte[accept + 1];
        byte[] jf = new byte[accept + 1];
        int[] k = new int[accept + 1];
        code[0] = BPF_LD_W_ABS;
        k[0] = EVENT;
        code[1] = BPF_JEQ_K;
        k[1] = network(PROC_EVENT_FORK);
        jt[1] = (byte) (forkBlock - 2);
        code[2] = BPF_JEQ_K;
        k[2] = network(PROC_EVENT_EXIT);
        jt[2] = (byte) (exitBlock - 3);
        code[3] = BPF_RET_K;
        k[3] = 0;
        block(code, jt, k, forkBlock, EVENT_DATA + 12, guarded, accept);
        block(code, jt, k, exitBlock, EVENT_DATA + 4, guarded, accept);
        code[accept] = BPF_RET_K;
        k[accept] = 0xFFFF;
        Memory program = new Memory(8L * code.length);
        for (int i = 0; i < code.length; i++) {
            program.setShort(8L * i, code[i]);
            program.setByte(8L * i + 2, jt[i]);
            program.setByte(8L * i + 3, jf[i]);
            program.setInt(8L * i + 4, k[i]);
        }
        Memory fprog = new Memory(16);
        fprog.clear();
        fprog.setShort(0, (short) code.length);
        fprog.setPointer(8, program);
        int r = LinuxLibC.setsockopt(fd, LinuxLibC.SOL_SOCKET, LinuxLibC.SO_ATTACH_FILTER, fprog, 16);
        return r == 0;
    }

    /** {@code ld [offset]; jeq pid -> accept (for each pid); ret 0}, starting at {@code at}. */
    private static void block(short[] code, byte[] jt, int[] k, int at, int offset, Set<Integer> guarded, int accept) {
        code[at] = BPF_LD_W_ABS;
        k[at] = offset;
        int i = at + 1;
        for (int pid : guarded) {
            code[i] = BPF_JEQ_K;
            k[i] = network(pid);
            jt[i] = (byte) (accept - i - 1);
            i++;
        }
        code[i] = BPF_RET_K;
        k[i] = 0;
    }

    /** What a big-endian {@code BPF_ABS} load reads from a host-order int. */
    private static int network(int value) {
        return ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? value : Integer.reverseBytes(value);
    }

    /** Messages received so far (after the filter). */
    long messages() {
        return messages;
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
            messages++;
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
