package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.ProcConnectorSocket;
import io.environguard.linux.nativeio.SocketFilter;
import io.environguard.linux.process.ProcEvent;
import io.environguard.linux.process.ProcEventDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * The thread forks and exits of the guarded processes, from the kernel's process events connector (the shared
 * binding {@link ProcConnectorSocket}, decoded by {@link ProcEventDecoder}): the targeted source listens when it
 * runs privileged (subscribing needs CAP_NET_ADMIN), so that a thread of a guarded process is marked as it appears
 * rather than at the next listing of {@code /proc/P/task}. A classic BPF socket filter lets through only the forks
 * and exits of the guarded processes' threads, so a busy host's other processes never wake the guard. (The process
 * table's own feed drops thread events in the kernel: it cannot serve this.) Non-blocking; confined to the source's
 * thread.
 *
 * <pre>{@code
 * GuardedThreadEvents events = GuardedThreadEvents.open(why, guardedPids);   // null when not permitted
 * poll.watch(2, events.fd(), LinuxLibC.POLLIN);
 * if (events.drain(guardedPids)) { ... a guarded process gained or lost a thread ... }
 * }</pre>
 */
final class GuardedThreadEvents implements AutoCloseable {

    /** The most pids one filter compares against (cBPF jump offsets are 8 bits). */
    static final int MAX_FILTERED_PIDS = 100;
    private static final int EVENT = ProcConnectorSocket.EVENT;
    private static final int EVENT_DATA = ProcConnectorSocket.EVENT_DATA;
    private static final int BUFFER_SIZE = 8192;
    /** Small: only the guarded processes' thread events pass the filter. */
    private static final int RECEIVE_BUFFER = 256 * 1024;

    private final ProcConnectorSocket socket;
    private final boolean filtered;
    private final Memory buffer = new Memory(BUFFER_SIZE);
    private final ByteBuffer view = buffer.getByteBuffer(0, BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private long overruns;
    private volatile long messages;

    private GuardedThreadEvents(ProcConnectorSocket socket, boolean filtered) {
        this.socket = socket;
        this.filtered = filtered;
    }

    /**
     * Subscribes to process events, filtered in the kernel to the thread forks and exits of {@code guarded} (when
     * not too many to fit one filter).
     *
     * @return the subscription, or {@code null} with the errno in {@code why[0]} when the kernel refuses
     *         (EPERM without CAP_NET_ADMIN; EPROTONOSUPPORT without CONFIG_PROC_EVENTS)
     */
    static GuardedThreadEvents open(int[] why, Set<Integer> guarded) {
        ProcConnectorSocket socket;
        try {
            socket = ProcConnectorSocket.open(RECEIVE_BUFFER);
        } catch (ProcConnectorSocket.OpenException e) {
            why[0] = e.errno();
            return null;
        }
        try {
            // Without the filter every process event on the host wakes the guard: still correct, just busier.
            boolean filtered = !guarded.isEmpty() && guarded.size() <= MAX_FILTERED_PIDS
                    && filter(guarded).attach(socket.fd()) == 0;
            socket.subscribe();
            return new GuardedThreadEvents(socket, filtered);
        } catch (ProcConnectorSocket.OpenException e) {
            why[0] = e.errno();
            socket.close();
            return null;
        }
    }

    /**
     * Load {@code what}; a fork goes on to compare {@code child_tgid}, an exit {@code process_tgid}, anything else
     * is dropped; a guarded tgid passes whole.
     */
    static SocketFilter filter(Set<Integer> guarded) {
        int n = guarded.size();
        SocketFilter f = new SocketFilter();
        // 0 ld what; 1 jeq FORK; 2 jeq EXIT; 3 ret 0; fork block (1 ld + n jeq + ret 0); exit block (same); accept
        int forkBlock = 4;
        int exitBlock = forkBlock + n + 2;
        int accept = exitBlock + n + 2;
        f.add(SocketFilter.LD_W_ABS, 0, 0, EVENT);
        f.add(SocketFilter.JEQ_K, forkBlock - 2, 0, SocketFilter.network(ProcEventDecoder.PROC_EVENT_FORK));
        f.add(SocketFilter.JEQ_K, exitBlock - 3, 0, SocketFilter.network(ProcEventDecoder.PROC_EVENT_EXIT));
        f.add(SocketFilter.RET_K, 0, 0, 0);
        block(f, EVENT_DATA + 12, guarded, accept);
        block(f, EVENT_DATA + 4, guarded, accept);
        f.add(SocketFilter.RET_K, 0, 0, 0xFFFF);
        return f;
    }

    /** {@code ld [offset]; jeq pid -> accept (for each pid); ret 0}. */
    private static void block(SocketFilter f, int offset, Set<Integer> guarded, int accept) {
        f.add(SocketFilter.LD_W_ABS, 0, 0, offset);
        for (int pid : guarded) {
            int at = f.length();
            f.add(SocketFilter.JEQ_K, accept - at - 1, 0, SocketFilter.network(pid));
        }
        f.add(SocketFilter.RET_K, 0, 0, 0);
    }

    int fd() {
        return socket.fd();
    }

    /** Whether the kernel filters events down to the guarded processes' threads. */
    boolean filtered() {
        return filtered;
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
            int n = socket.receive(buffer, BUFFER_SIZE);
            if (n == -Errno.ENOBUFS) {
                overruns++;
                relevant = true; // something was lost: let the caller list again
                continue;
            }
            if (n == -Errno.EINTR) {
                continue;
            }
            if (n < 0) {
                return relevant; // EAGAIN: drained
            }
            messages++;
            ProcEvent e = ProcEventDecoder.decode(view, n);
            if (e instanceof ProcEvent.Fork fork) {
                relevant |= fork.childPid() != fork.childTgid() && guarded.contains(fork.childTgid());
            } else if (e instanceof ProcEvent.Exit exit) {
                relevant |= guarded.contains(exit.tgid());
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
