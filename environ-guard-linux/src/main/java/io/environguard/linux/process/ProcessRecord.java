package io.environguard.linux.process;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One generation of one process, as the {@link ProcessTable} knows it: who it was when it appeared (fork, exec
 * or a {@code /proc} scan) and until it exited, kept as a tombstone for a while after. Immutable: every change
 * makes a new record, so a reader on another thread always sees one consistent state.
 *
 * <p>A process is identified by {@linkplain #pid() pid} and {@linkplain #startTime() start time} together:
 * pids are reused, start times of one pid never repeat. Numbers are {@code -1} and strings {@code null} when
 * unknown.
 *
 * <pre>{@code
 * ProcessRecord cat = table.live(4242);
 * if (cat != null && cat.exe() != null) { ... /usr/bin/cat, device and inode in exeDevice()/exeInode() ... }
 * }</pre>
 */
public final class ProcessRecord {

    /** How the record's image (exe, comm, namespaces...) was learnt. */
    public enum Origin {
        /** Read from {@code /proc} at the start or at a resynchronisation. */
        SCAN,
        /** Copied from the parent at fork; the child has not exec'd since (or its exec is not processed yet). */
        FORK,
        /** Read from {@code /proc} just after the process exec'd. */
        EXEC,
        /** Read from {@code /proc} when a source asked for a process the table did not hold. */
        LATE
    }

    /** What is known of the command line. */
    public enum CommandLineState {
        /** A read is queued or in progress. */
        PENDING,
        /** Read from {@code /proc/P/cmdline}. */
        READ,
        /** Copied from the parent at fork (the same memory, so the same arguments until the child execs). */
        INHERITED,
        /** The read took longer than its deadline and was abandoned (the process may stall its own memory). */
        TIMED_OUT,
        /** The process was gone, or its memory unreadable, when the read came. */
        UNREADABLE,
        /** Not read: the readers were stuck or their queue full. */
        NOT_READ
    }

    private final int pid;
    private final long startTime;
    private final boolean startDerived;
    private final int ppid;
    private final long parentStart;
    private final int uid;
    private final int gid;
    private final String comm;
    private final String exe;
    private final long exeDevice;
    private final long exeInode;
    private final byte[] commandLine;
    private final CommandLineState commandLineState;
    private final long cgroupId;
    private final String containerId;
    private final long mountNamespace;
    private final long pidNamespace;
    private final Origin origin;
    private final int execs;
    private final boolean imageKnown;
    private final boolean kernelThread;
    private final long exitNanos;

    private ProcessRecord(Builder b) {
        this.pid = b.pid;
        this.startTime = b.startTime;
        this.startDerived = b.startDerived;
        this.ppid = b.ppid;
        this.parentStart = b.parentStart;
        this.uid = b.uid;
        this.gid = b.gid;
        this.comm = b.comm;
        this.exe = b.exe;
        this.exeDevice = b.exeDevice;
        this.exeInode = b.exeInode;
        this.commandLine = b.commandLine;
        this.commandLineState = b.commandLineState;
        this.cgroupId = b.cgroupId;
        this.containerId = b.containerId;
        this.mountNamespace = b.mountNamespace;
        this.pidNamespace = b.pidNamespace;
        this.origin = b.origin;
        this.execs = b.execs;
        this.imageKnown = b.imageKnown;
        this.kernelThread = b.kernelThread;
        this.exitNanos = b.exitNanos;
    }

    /** A builder for process {@code pid} that started at {@code startTime} (clock ticks since boot). */
    public static Builder builder(int pid, long startTime) {
        return new Builder(pid, startTime);
    }

    /** A builder holding this record's values. */
    public Builder toBuilder() {
        return toBuilder(startTime, startDerived);
    }

    /** A builder holding this record's values under another start time (the exact one replacing a derived one). */
    public Builder toBuilder(long start, boolean derived) {
        return copyTo(pid, start, derived);
    }

    /**
     * A builder for a child this process forked: its image (exe, name, command line, uids, cgroup, namespaces)
     * under the child's pid and start time, with this process as its parent, running.
     */
    public Builder forkedChild(int childPid, long childStart, boolean derived) {
        return copyTo(childPid, childStart, derived).parent(pid, startTime).exitNanos(0).origin(Origin.FORK);
    }

    private Builder copyTo(int newPid, long start, boolean derived) {
        Builder b = new Builder(newPid, start);
        b.startDerived = derived;
        b.ppid = ppid;
        b.parentStart = parentStart;
        b.uid = uid;
        b.gid = gid;
        b.comm = comm;
        b.exe = exe;
        b.exeDevice = exeDevice;
        b.exeInode = exeInode;
        b.commandLine = commandLine;
        b.commandLineState = commandLineState;
        b.cgroupId = cgroupId;
        b.containerId = containerId;
        b.mountNamespace = mountNamespace;
        b.pidNamespace = pidNamespace;
        b.origin = origin;
        b.execs = execs;
        b.imageKnown = imageKnown;
        b.kernelThread = kernelThread;
        b.exitNanos = exitNanos;
        return b;
    }

    /** Process id (thread group id) in the host's pid namespace. */
    public int pid() {
        return pid;
    }

    /** Start time in clock ticks since boot ({@code /proc/P/stat} field 22). */
    public long startTime() {
        return startTime;
    }

    /**
     * Whether the start time was first derived from the fork message's timestamp rather than read from
     * {@code /proc}: that value may be one tick off the kernel's, references taken then (a child's
     * {@link #parentStart()}) may hold it, and lookups allow one tick either way. A later read from {@code /proc}
     * corrects {@link #startTime()} but keeps this flag when the two differed.
     */
    public boolean startDerived() {
        return startDerived;
    }

    /**
     * The parent that forked it (not a later adoptive parent: lineage follows who started whom), or -1.
     */
    public int ppid() {
        return ppid;
    }

    /** The parent's start time, which tells the parent apart from a later process with its pid; -1 if unknown. */
    public long parentStart() {
        return parentStart;
    }

    /** Real user id. */
    public int uid() {
        return uid;
    }

    /** Real group id. */
    public int gid() {
        return gid;
    }

    /** The kernel's short name; may hold any byte but NUL. */
    public String comm() {
        return comm;
    }

    /** The resolved executable ({@code /proc/P/exe}), with a {@code " (deleted)"} suffix as the kernel prints it. */
    public String exe() {
        return exe;
    }

    /** The executable's device ({@code major << 32 | minor}), telling a replaced binary apart; -1 if unknown. */
    public long exeDevice() {
        return exeDevice;
    }

    /** The executable's inode number; -1 if unknown. */
    public long exeInode() {
        return exeInode;
    }

    /** The command line as held (redacted, capped); empty when none is known. */
    public List<String> commandLine() {
        return CommandLineBytes.decode(commandLine);
    }

    /** What is known of the command line. */
    public CommandLineState commandLineState() {
        return commandLineState;
    }

    /** The cgroup v2 id ({@code PIDFD_GET_INFO}), or -1. */
    public long cgroupId() {
        return cgroupId;
    }

    /** The container id derived from the cgroup path; {@code null} on the host or when unknown. */
    public String containerId() {
        return containerId;
    }

    /** The inode of its mount namespace ({@code /proc/P/ns/mnt}), or -1. */
    public long mountNamespace() {
        return mountNamespace;
    }

    /** The inode of its pid namespace ({@code /proc/P/ns/pid}), or -1. */
    public long pidNamespace() {
        return pidNamespace;
    }

    /** How the image was learnt. */
    public Origin origin() {
        return origin;
    }

    /** How many execs the table has seen this process make (a command-line read belongs to one of them). */
    public int execs() {
        return execs;
    }

    /**
     * Whether exe, comm and the namespaces describe what the process runs. False after an exec whose image could
     * not be read (the process was gone before the table got to it): the fields are then unknown rather than
     * its parent's.
     */
    public boolean imageKnown() {
        return imageKnown;
    }

    /** Whether it is a kernel thread (no executable, no command line). */
    public boolean kernelThread() {
        return kernelThread;
    }

    /** Whether the process still runs (as far as the table has been told). */
    public boolean isLive() {
        return exitNanos == 0;
    }

    /** When it exited ({@code System.nanoTime} scale), or 0 while it runs. */
    public long exitNanos() {
        return exitNanos;
    }

    /** Whether this record is the generation that started at {@code start}, allowing a tick when derived. */
    public boolean startedAt(long start) {
        if (start < 0 || startTime < 0) {
            return false;
        }
        return start == startTime || (startDerived && Math.abs(start - startTime) <= 1);
    }

    @Override
    public String toString() {
        return "ProcessRecord[" + pid + "@" + startTime + (startDerived ? "~" : "") + " ppid=" + ppid + "@" + parentStart
                + " uid=" + uid + " comm=" + comm + " exe=" + exe + " cmdline=" + commandLineState
                + " origin=" + origin + (imageKnown ? "" : " image-unknown") + (isLive() ? "" : " exited") + "]";
    }

    /** Builds {@link ProcessRecord}s; unset fields stay unknown. */
    public static final class Builder {
        private final int pid;
        private final long startTime;
        private boolean startDerived;
        private int ppid = -1;
        private long parentStart = -1;
        private int uid = -1;
        private int gid = -1;
        private String comm;
        private String exe;
        private long exeDevice = -1;
        private long exeInode = -1;
        private byte[] commandLine;
        private CommandLineState commandLineState = CommandLineState.NOT_READ;
        private long cgroupId = -1;
        private String containerId;
        private long mountNamespace = -1;
        private long pidNamespace = -1;
        private Origin origin = Origin.SCAN;
        private int execs;
        private boolean imageKnown = true;
        private boolean kernelThread;
        private long exitNanos;

        private Builder(int pid, long startTime) {
            this.pid = pid;
            this.startTime = startTime;
        }

        public Builder startDerived(boolean derived) { this.startDerived = derived; return this; }
        public Builder parent(int ppid, long parentStart) { this.ppid = ppid; this.parentStart = parentStart; return this; }
        public Builder uid(int uid) { this.uid = uid; return this; }
        public Builder gid(int gid) { this.gid = gid; return this; }
        public Builder comm(String comm) { this.comm = comm; return this; }
        public Builder exe(String exe, long device, long inode) {
            this.exe = exe;
            this.exeDevice = device;
            this.exeInode = inode;
            return this;
        }
        /** The command line as {@link CommandLineBytes} encoded it, and what is known of it. */
        Builder commandLine(byte[] encoded, CommandLineState state) {
            this.commandLine = encoded;
            this.commandLineState = state;
            return this;
        }
        /** Redacts, caps to {@code maxBytes} and keeps {@code args} as the command line. */
        public Builder commandLine(List<String> args, int maxBytes, CommandLineState state) {
            return commandLine(CommandLineBytes.encode(args, maxBytes), state);
        }
        public Builder commandLineState(CommandLineState state) { this.commandLineState = state; return this; }
        public Builder cgroup(long cgroupId, String containerId) { this.cgroupId = cgroupId; this.containerId = containerId; return this; }
        public Builder namespaces(long mountNamespace, long pidNamespace) {
            this.mountNamespace = mountNamespace;
            this.pidNamespace = pidNamespace;
            return this;
        }
        public Builder origin(Origin origin) { this.origin = origin; return this; }
        public Builder execs(int execs) { this.execs = execs; return this; }
        public Builder imageKnown(boolean known) { this.imageKnown = known; return this; }
        public Builder kernelThread(boolean kernelThread) { this.kernelThread = kernelThread; return this; }
        /** Marks the process exited at {@code nanos} ({@code System.nanoTime} scale; 0 means it runs). */
        public Builder exitNanos(long nanos) { this.exitNanos = nanos; return this; }

        public ProcessRecord build() {
            return new ProcessRecord(this);
        }
    }

    /**
     * Command lines kept compactly: redacted ({@link io.environguard.api.CommandLines#redact}), then UTF-8
     * arguments separated by NUL, cut at {@code maxBytes} (a cut argument ends with {@code "…"}).
     */
    static final class CommandLineBytes {

        private static final byte[] ELLIPSIS = "…".getBytes(StandardCharsets.UTF_8);

        private CommandLineBytes() {
        }

        static byte[] encode(List<String> args, int maxBytes) {
            if (args == null || args.isEmpty()) {
                return null;
            }
            List<String> redacted = io.environguard.api.CommandLines.redact(args);
            byte[] out = new byte[Math.max(0, maxBytes)];
            int n = 0;
            for (int i = 0; i < redacted.size(); i++) {
                byte[] arg = redacted.get(i).getBytes(StandardCharsets.UTF_8);
                int need = arg.length + (i > 0 ? 1 : 0);
                if (n + need > out.length) {
                    int room = out.length - n - (i > 0 ? 1 : 0) - ELLIPSIS.length;
                    if (room > 0) {
                        if (i > 0) {
                            out[n++] = 0;
                        }
                        int cut = utf8Boundary(arg, room);
                        System.arraycopy(arg, 0, out, n, cut);
                        n += cut;
                        System.arraycopy(ELLIPSIS, 0, out, n, ELLIPSIS.length);
                        n += ELLIPSIS.length;
                    }
                    break;
                }
                if (i > 0) {
                    out[n++] = 0;
                }
                System.arraycopy(arg, 0, out, n, arg.length);
                n += arg.length;
            }
            return n == 0 ? null : java.util.Arrays.copyOf(out, n);
        }

        /** The longest prefix of at most {@code max} bytes that does not split a UTF-8 sequence. */
        private static int utf8Boundary(byte[] bytes, int max) {
            int cut = Math.min(max, bytes.length);
            while (cut > 0 && cut < bytes.length && (bytes[cut] & 0xC0) == 0x80) {
                cut--;
            }
            return cut;
        }

        static List<String> decode(byte[] encoded) {
            if (encoded == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>(4);
            int from = 0;
            for (int i = 0; i <= encoded.length; i++) {
                if (i == encoded.length || encoded[i] == 0) {
                    out.add(new String(encoded, from, i - from, StandardCharsets.UTF_8));
                    from = i + 1;
                }
            }
            return Collections.unmodifiableList(out);
        }
    }
}
