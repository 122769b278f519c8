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

    /**
     * A builder for one process generation; every other field starts unknown.
     *
     * @param pid       process id in the host's pid namespace
     * @param startTime start time in clock ticks since boot, or -1 if unknown
     * @return a builder for process {@code pid} that started at {@code startTime}
     */
    public static Builder builder(int pid, long startTime) {
        return new Builder(pid, startTime);
    }

    /** @return a builder holding this record's values */
    public Builder toBuilder() {
        return toBuilder(startTime, startDerived);
    }

    /**
     * A builder holding this record's values under another start time (the exact one replacing a derived one).
     *
     * @param start   the start time in clock ticks since boot
     * @param derived whether {@code start} was derived from a fork message rather than read from {@code /proc}
     * @return a builder for the same pid at {@code start}
     */
    public Builder toBuilder(long start, boolean derived) {
        return copyTo(pid, start, derived);
    }

    /**
     * A builder for a child this process forked: its image (exe, name, command line, uids, cgroup, namespaces)
     * under the child's pid and start time, with this process as its parent, running.
     *
     * @param childPid   the child's pid
     * @param childStart the child's start time in clock ticks since boot
     * @param derived    whether {@code childStart} was derived from the fork message's timestamp
     * @return a builder for the child, of origin {@link Origin#FORK}
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

    /** @return process id (thread group id) in the host's pid namespace */
    public int pid() {
        return pid;
    }

    /** @return start time in clock ticks since boot ({@code /proc/P/stat} field 22) */
    public long startTime() {
        return startTime;
    }

    /**
     * Whether the start time was first derived from the fork message's timestamp rather than read from
     * {@code /proc}: that value may be one tick off the kernel's, references taken then (a child's
     * {@link #parentStart()}) may hold it, and lookups allow one tick either way. A later read from {@code /proc}
     * corrects {@link #startTime()} but keeps this flag when the two differed.
     *
     * @return whether the start time was derived from a fork message
     */
    public boolean startDerived() {
        return startDerived;
    }

    /**
     * The parent that forked it (not a later adoptive parent: lineage follows who started whom).
     *
     * @return the parent's pid, or -1 if unknown
     */
    public int ppid() {
        return ppid;
    }

    /**
     * @return the parent's start time, which tells the parent apart from a later process with its pid; -1 if
     *         unknown
     */
    public long parentStart() {
        return parentStart;
    }

    /** @return real user id */
    public int uid() {
        return uid;
    }

    /** @return real group id */
    public int gid() {
        return gid;
    }

    /** @return the kernel's short name; may hold any byte but NUL */
    public String comm() {
        return comm;
    }

    /**
     * @return the resolved executable ({@code /proc/P/exe}), with a {@code " (deleted)"} suffix as the kernel
     *         prints it; {@code null} if unknown or for a kernel thread
     */
    public String exe() {
        return exe;
    }

    /** @return the executable's device ({@code major << 32 | minor}), telling a replaced binary apart; -1 if unknown */
    public long exeDevice() {
        return exeDevice;
    }

    /** @return the executable's inode number; -1 if unknown */
    public long exeInode() {
        return exeInode;
    }

    /** @return the command line as held (redacted, capped); empty when none is known */
    public List<String> commandLine() {
        return CommandLineBytes.decode(commandLine);
    }

    /** @return what is known of the command line */
    public CommandLineState commandLineState() {
        return commandLineState;
    }

    /** @return the cgroup v2 id ({@code PIDFD_GET_INFO}), or -1 */
    public long cgroupId() {
        return cgroupId;
    }

    /** @return the container id derived from the cgroup path; {@code null} on the host or when unknown */
    public String containerId() {
        return containerId;
    }

    /** @return the inode of its mount namespace ({@code /proc/P/ns/mnt}), or -1 */
    public long mountNamespace() {
        return mountNamespace;
    }

    /** @return the inode of its pid namespace ({@code /proc/P/ns/pid}), or -1 */
    public long pidNamespace() {
        return pidNamespace;
    }

    /** @return how the image was learnt */
    public Origin origin() {
        return origin;
    }

    /** @return how many execs the table has seen this process make (a command-line read belongs to one of them) */
    public int execs() {
        return execs;
    }

    /**
     * Whether exe, comm and the namespaces describe what the process runs. False after an exec whose image could
     * not be read (the process was gone before the table got to it): the fields are then unknown rather than
     * its parent's.
     *
     * @return whether the image fields describe what the process runs
     */
    public boolean imageKnown() {
        return imageKnown;
    }

    /** @return whether it is a kernel thread (no executable, no command line) */
    public boolean kernelThread() {
        return kernelThread;
    }

    /** @return whether the process still runs (as far as the table has been told) */
    public boolean isLive() {
        return exitNanos == 0;
    }

    /** @return when it exited ({@code System.nanoTime} scale), or 0 while it runs */
    public long exitNanos() {
        return exitNanos;
    }

    /**
     * Whether this record is the generation that started at {@code start}, allowing a tick either way when its
     * start time was derived.
     *
     * @param start a start time in clock ticks since boot; never matches when negative
     * @return whether this record is the process that started at {@code start}
     */
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

        /**
         * @param derived whether the start time was derived from a fork message rather than read from {@code /proc}
         * @return this builder
         */
        public Builder startDerived(boolean derived) { this.startDerived = derived; return this; }
        /**
         * @param ppid        the pid of the parent that forked it, or -1
         * @param parentStart the parent's start time in clock ticks since boot, or -1
         * @return this builder
         */
        public Builder parent(int ppid, long parentStart) { this.ppid = ppid; this.parentStart = parentStart; return this; }
        /**
         * @param uid the real user id, or -1
         * @return this builder
         */
        public Builder uid(int uid) { this.uid = uid; return this; }
        /**
         * @param gid the real group id, or -1
         * @return this builder
         */
        public Builder gid(int gid) { this.gid = gid; return this; }
        /**
         * @param comm the kernel's short name, or {@code null} if unknown
         * @return this builder
         */
        public Builder comm(String comm) { this.comm = comm; return this; }
        /**
         * @param exe    the resolved executable path, or {@code null} if unknown
         * @param device the executable's device ({@code major << 32 | minor}), or -1
         * @param inode  the executable's inode number, or -1
         * @return this builder
         */
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
        /**
         * Redacts, caps to {@code maxBytes} and keeps {@code args} as the command line.
         *
         * @param args     the arguments as read; {@code null} or empty for none
         * @param maxBytes the most UTF-8 bytes kept; a cut argument ends with {@code "…"}
         * @param state    what is known of the command line
         * @return this builder
         */
        public Builder commandLine(List<String> args, int maxBytes, CommandLineState state) {
            return commandLine(CommandLineBytes.encode(args, maxBytes), state);
        }
        /**
         * @param state what is known of the command line; the arguments held are kept
         * @return this builder
         */
        public Builder commandLineState(CommandLineState state) { this.commandLineState = state; return this; }
        /**
         * @param cgroupId    the cgroup v2 id, or -1
         * @param containerId the container id derived from the cgroup path, or {@code null} on the host
         * @return this builder
         */
        public Builder cgroup(long cgroupId, String containerId) { this.cgroupId = cgroupId; this.containerId = containerId; return this; }
        /**
         * @param mountNamespace the inode of its mount namespace, or -1
         * @param pidNamespace   the inode of its pid namespace, or -1
         * @return this builder
         */
        public Builder namespaces(long mountNamespace, long pidNamespace) {
            this.mountNamespace = mountNamespace;
            this.pidNamespace = pidNamespace;
            return this;
        }
        /**
         * @param origin how the image was learnt
         * @return this builder
         */
        public Builder origin(Origin origin) { this.origin = origin; return this; }
        /**
         * @param execs how many execs the table has seen this process make
         * @return this builder
         */
        public Builder execs(int execs) { this.execs = execs; return this; }
        /**
         * @param known whether exe, comm and the namespaces describe what the process runs
         * @return this builder
         */
        public Builder imageKnown(boolean known) { this.imageKnown = known; return this; }
        /**
         * @param kernelThread whether it is a kernel thread (no executable, no command line)
         * @return this builder
         */
        public Builder kernelThread(boolean kernelThread) { this.kernelThread = kernelThread; return this; }
        /**
         * Marks the process exited at {@code nanos}.
         *
         * @param nanos when it exited ({@code System.nanoTime} scale); 0 means it runs
         * @return this builder
         */
        public Builder exitNanos(long nanos) { this.exitNanos = nanos; return this; }

        /** @return the record, immutable */
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
