package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * A netlink socket subscribed to the kernel's process events connector ({@code NETLINK_CONNECTOR},
 * {@code CN_IDX_PROC}): one datagram per fork, exec, exit, name change and credential change on the host,
 * queued by the kernel in the context of the process that caused it (so a message is in the socket before
 * that process returns to user space). Subscribing needs {@code CAP_NET_ADMIN}; the kernel must have
 * {@code CONFIG_PROC_EVENTS}. Non-blocking and close-on-exec.
 *
 * <p>Layout of a datagram (native byte order): {@code nlmsghdr} (16 bytes), {@code cn_msg} (20), then
 * {@code struct proc_event} at {@link #EVENT}: {@code what} (u32), {@code cpu} (u32), {@code timestamp_ns}
 * (u64, {@code CLOCK_MONOTONIC}) and the event's data at {@link #EVENT_DATA}.
 *
 * <pre>{@code
 * ProcConnectorSocket socket = ProcConnectorSocket.open(4 << 20);   // throws with the errno if refused
 * filter.attach(socket.fd());
 * socket.subscribe();
 * int n = socket.receive(buffer, size);       // -EAGAIN when drained, -ENOBUFS after an overflow
 * int m = socket.receive(batch);              // several datagrams in one call (DatagramBatch)
 * }</pre>
 *
 * <p>Receiving is thread-safe in the kernel's sense (each datagram goes to one caller); callers that must see
 * messages in order serialise their receives themselves.
 */
public final class ProcConnectorSocket implements AutoCloseable {

    public static final int CN_IDX_PROC = 1;
    public static final int CN_VAL_PROC = 1;
    public static final int NLMSG_HEADER = 16;
    public static final int CN_MSG_HEADER = 20;
    /** Where {@code struct proc_event} starts in a datagram. */
    public static final int EVENT = NLMSG_HEADER + CN_MSG_HEADER;
    /** Where {@code proc_event.timestamp_ns} is. */
    public static final int EVENT_TIMESTAMP = EVENT + 8;
    /** Where {@code proc_event.event_data} (the union) starts. */
    public static final int EVENT_DATA = EVENT + 16;

    private static final int NLMSG_DONE = 3;
    private static final int PROC_CN_MCAST_LISTEN = 1;
    private static final int PROC_CN_MCAST_IGNORE = 2;

    private final int fd;
    private final int receiveBuffer;
    private boolean subscribed;
    private boolean closed;

    private ProcConnectorSocket(int fd, int receiveBuffer) {
        this.fd = fd;
        this.receiveBuffer = receiveBuffer;
    }

    /** The kernel refused: {@link #errno()} says why ({@code EPERM} without CAP_NET_ADMIN). */
    public static final class OpenException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int errno;

        OpenException(String step, int errno) {
            super(step + ": " + Errno.describe(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    /**
     * Creates and binds the socket, asking for a receive buffer of {@code receiveBufferBytes} (forced past
     * {@code net.core.rmem_max} where the caller may; else as much as the limit allows). Not yet subscribed:
     * attach a filter first, then {@link #subscribe()}.
     */
    public static ProcConnectorSocket open(int receiveBufferBytes) throws OpenException {
        int fd = LinuxLibC.socket(LinuxLibC.AF_NETLINK, LinuxLibC.SOCK_DGRAM | LinuxLibC.SOCK_NONBLOCK
                | LinuxLibC.SOCK_CLOEXEC, LinuxLibC.NETLINK_CONNECTOR);
        if (fd < 0) {
            throw new OpenException("socket(AF_NETLINK, NETLINK_CONNECTOR)", LinuxLibC.errno());
        }
        Memory address = new Memory(12);
        address.clear();
        address.setShort(0, (short) LinuxLibC.AF_NETLINK);
        address.setInt(8, CN_IDX_PROC);
        if (LinuxLibC.bind(fd, address, 12) != 0) {
            int errno = LinuxLibC.errno();
            LinuxLibC.close(fd);
            throw new OpenException("bind to CN_IDX_PROC", errno);
        }
        if (receiveBufferBytes > 0) {
            Memory size = new Memory(4);
            size.setInt(0, receiveBufferBytes);
            if (LinuxLibC.setsockopt(fd, LinuxLibC.SOL_SOCKET, LinuxLibC.SO_RCVBUFFORCE, size, 4) != 0) {
                LinuxLibC.setsockopt(fd, LinuxLibC.SOL_SOCKET, LinuxLibC.SO_RCVBUF, size, 4);
            }
        }
        return new ProcConnectorSocket(fd, receiveBufferBytes);
    }

    public int fd() {
        return fd;
    }

    /** The receive buffer asked for (the kernel doubles it for its bookkeeping). */
    public int receiveBuffer() {
        return receiveBuffer;
    }

    /** Starts the flow of events ({@code PROC_CN_MCAST_LISTEN}). */
    public void subscribe() throws OpenException {
        int errno = control(PROC_CN_MCAST_LISTEN);
        if (errno != 0) {
            throw new OpenException("PROC_CN_MCAST_LISTEN", errno);
        }
        subscribed = true;
    }

    private int control(int operation) {
        Memory message = new Memory(NLMSG_HEADER + CN_MSG_HEADER + 4);
        message.clear();
        message.setInt(0, (int) message.size());
        message.setShort(4, (short) NLMSG_DONE);
        message.setInt(12, (int) ProcessHandle.current().pid());
        message.setInt(NLMSG_HEADER, CN_IDX_PROC);
        message.setInt(NLMSG_HEADER + 4, CN_VAL_PROC);
        message.setShort(NLMSG_HEADER + 16, (short) 4);
        message.setInt(NLMSG_HEADER + CN_MSG_HEADER, operation);
        return LinuxLibC.send(fd, message, message.size(), 0) < 0 ? LinuxLibC.errno() : 0;
    }

    /**
     * Receives one datagram into {@code buffer}.
     *
     * @return its length, or {@code -errno}: {@code -EAGAIN} when none is queued, {@code -ENOBUFS} once after
     *         the kernel dropped messages because the receive buffer was full
     */
    public int receive(Pointer buffer, int size) {
        long n = LinuxLibC.recv(fd, buffer, size, 0);
        return n < 0 ? -LinuxLibC.errno() : (int) n;
    }

    /**
     * Receives the queued datagrams into {@code batch}, as many as it holds, in one system call.
     *
     * @return how many, or {@code -errno} as for {@link #receive(Pointer, int)}
     */
    public int receive(DatagramBatch batch) {
        return batch.receive(fd);
    }

    /** Unsubscribes (so the kernel stops building events nobody else wants) and closes. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (subscribed) {
                control(PROC_CN_MCAST_IGNORE);
            }
            LinuxLibC.close(fd);
        }
    }
}
