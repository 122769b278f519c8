package io.environguard.linux.process;

import io.environguard.linux.nativeio.ProcConnectorSocket;
import io.environguard.linux.nativeio.SocketFilter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Decodes proc connector datagrams ({@link ProcConnectorSocket} gives the layout) and builds the socket filter
 * that keeps the table's feed from waking for events it does not use.
 *
 * <pre>{@code
 * ProcEvent e = ProcEventDecoder.decode(view, n);   // null for a message that is no event the table uses
 * }</pre>
 */
public final class ProcEventDecoder {

    /** A process or thread was forked ({@code linux/cn_proc.h}). */
    public static final int PROC_EVENT_FORK = 0x00000001;
    /** A process exec'd a new program. */
    public static final int PROC_EVENT_EXEC = 0x00000002;
    /** A thread changed its user ids ({@code setuid} and kin). */
    public static final int PROC_EVENT_UID = 0x00000004;
    /** A thread changed its group ids ({@code setgid} and kin). */
    public static final int PROC_EVENT_GID = 0x00000040;
    /** A thread changed its name ({@code prctl(PR_SET_NAME)}). */
    public static final int PROC_EVENT_COMM = 0x00000200;
    /** A process or thread exited. */
    public static final int PROC_EVENT_EXIT = 0x80000000;

    private static final int EVENT = ProcConnectorSocket.EVENT;
    private static final int DATA = ProcConnectorSocket.EVENT_DATA;
    private static final int COMM_LENGTH = 16;

    private ProcEventDecoder() {
    }

    /**
     * The event in the first {@code length} bytes of {@code datagram} (native byte order, from offset 0), or
     * {@code null} when it is too short, cut, or of a kind the table does not use.
     *
     * @param datagram a received proc connector datagram, netlink header first
     * @param length   how many bytes were received
     * @return the event, or {@code null}
     */
    public static ProcEvent decode(ByteBuffer datagram, int length) {
        if (length < DATA + 8) {
            return null;
        }
        int what = datagram.getInt(EVENT);
        long time = datagram.getLong(ProcConnectorSocket.EVENT_TIMESTAMP);
        int pid = datagram.getInt(DATA);
        int tgid = datagram.getInt(DATA + 4);
        switch (what) {
            case PROC_EVENT_FORK:
                if (length < DATA + 16) {
                    return null;
                }
                return new ProcEvent.Fork(pid, tgid, datagram.getInt(DATA + 8), datagram.getInt(DATA + 12), time);
            case PROC_EVENT_EXEC:
                return new ProcEvent.Exec(pid, tgid, time);
            case PROC_EVENT_EXIT:
                return length < DATA + 12 ? null : new ProcEvent.Exit(pid, tgid, datagram.getInt(DATA + 8), time);
            case PROC_EVENT_COMM:
                if (length < DATA + 8 + COMM_LENGTH) {
                    return null;
                }
                byte[] name = new byte[COMM_LENGTH];
                datagram.get(DATA + 8, name);
                int end = 0;
                while (end < COMM_LENGTH && name[end] != 0) {
                    end++;
                }
                return new ProcEvent.Comm(pid, tgid, new String(name, 0, end, StandardCharsets.UTF_8), time);
            case PROC_EVENT_UID:
            case PROC_EVENT_GID:
                if (length < DATA + 16) {
                    return null;
                }
                return new ProcEvent.Ids(pid, tgid, what == PROC_EVENT_GID, datagram.getInt(DATA + 8),
                        datagram.getInt(DATA + 12), time);
            default:
                return null;
        }
    }

    /**
     * The socket filter: passes every exec; forks only of processes ({@code child_pid == child_tgid}); exits,
     * renames and credential changes only of a process's main thread ({@code pid == tgid}); drops the rest
     * (threads, sid, ptrace, coredump messages). A JVM starting or ending a thread then costs the guard nothing.
     *
     * @return a new filter, to attach to the proc connector socket
     */
    public static SocketFilter filter() {
        SocketFilter f = new SocketFilter();
        // 0: A = what
        f.add(SocketFilter.LD_W_ABS, 0, 0, EVENT);
        int toFork = f.add(SocketFilter.JEQ_K, 0, 0, SocketFilter.network(PROC_EVENT_FORK));
        int toExec = f.add(SocketFilter.JEQ_K, 0, 0, SocketFilter.network(PROC_EVENT_EXEC));
        int[] toLeader = {
            f.add(SocketFilter.JEQ_K, 0, 0, SocketFilter.network(PROC_EVENT_EXIT)),
            f.add(SocketFilter.JEQ_K, 0, 0, SocketFilter.network(PROC_EVENT_COMM)),
            f.add(SocketFilter.JEQ_K, 0, 0, SocketFilter.network(PROC_EVENT_UID)),
            f.add(SocketFilter.JEQ_K, 0, 0, SocketFilter.network(PROC_EVENT_GID)),
        };
        int dropOthers = f.add(SocketFilter.RET_K, 0, 0, 0);
        // fork: accept when child_pid == child_tgid
        int fork = f.add(SocketFilter.LD_W_ABS, 0, 0, DATA + 8);
        f.add(SocketFilter.TAX, 0, 0, 0);
        f.add(SocketFilter.LD_W_ABS, 0, 0, DATA + 12);
        int forkTest = f.add(SocketFilter.JEQ_X, 0, 0, 0);
        // leader: accept when pid == tgid
        int leader = f.add(SocketFilter.LD_W_ABS, 0, 0, DATA);
        f.add(SocketFilter.TAX, 0, 0, 0);
        f.add(SocketFilter.LD_W_ABS, 0, 0, DATA + 4);
        int leaderTest = f.add(SocketFilter.JEQ_X, 0, 0, 0);
        int accept = f.add(SocketFilter.RET_K, 0, 0, 0xFFFF);
        int drop = f.add(SocketFilter.RET_K, 0, 0, 0);
        f.setJumps(toFork, fork - toFork - 1, 0);
        f.setJumps(toExec, accept - toExec - 1, 0);
        for (int at : toLeader) {
            f.setJumps(at, leader - at - 1, 0);
        }
        f.setJumps(forkTest, accept - forkTest - 1, drop - forkTest - 1);
        f.setJumps(leaderTest, accept - leaderTest - 1, drop - leaderTest - 1);
        assert dropOthers < fork;
        return f;
    }
}
