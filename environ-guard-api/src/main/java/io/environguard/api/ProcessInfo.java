package io.environguard.api;

import java.util.List;

/**
 * What is known of one process at the time of an access. A process that vanished before it could be
 * inspected still yields a {@code ProcessInfo} with what was known and {@code complete == false}.
 *
 * <p>Numbers are {@code -1} and strings {@code null} when unknown. {@code pid} plus {@code startTime}
 * identifies a process across pid reuse. The command line is redacted and capped by
 * {@link CommandLines#redact} on construction, whoever builds the record.
 *
 * <pre>{@code
 * ProcessInfo cat = ProcessInfo.builder(4242).exe("/usr/bin/cat").comm("cat").uid(1000).build();
 * }</pre>
 *
 * @param pid         process id (thread group id), as seen in the host's pid namespace unless a note says otherwise
 * @param tid         the thread that acted, or {@code -1}
 * @param ppid        parent process id
 * @param uid         real user id
 * @param gid         real group id
 * @param comm        the kernel's short name ({@code /proc/P/comm}); may contain any character
 * @param exe         the resolved executable path ({@code /proc/P/exe})
 * @param cmdline     redacted, capped command line; empty when unknown
 * @param containerId container id derived from the cgroup path, or {@code null} on the host
 * @param startTime   start time in clock ticks since boot ({@code /proc/P/stat} field 22), or {@code -1}
 * @param complete    {@code false} when some fields could not be read (the process vanished, or access was denied)
 * @param ancestors   the process's ancestry, parent first, at most {@value #MAX_ANCESTORS} levels, ending at the
 *                    host's or its container's init; empty when the source keeps no lineage
 */
public record ProcessInfo(int pid, int tid, int ppid, int uid, int gid, String comm, String exe,
                          List<String> cmdline, String containerId, long startTime, boolean complete,
                          List<Ancestor> ancestors) {

    /** Marks an unknown number. */
    public static final int UNKNOWN = -1;
    /** The most ancestors a {@code ProcessInfo} carries. */
    public static final int MAX_ANCESTORS = 8;

    private static final ProcessInfo UNKNOWN_PROCESS =
            new ProcessInfo(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, null, null, List.of(), null, UNKNOWN, false);

    /**
     * Redacts and caps the command line and keeps at most {@value #MAX_ANCESTORS} ancestors.
     *
     * @param pid         process id, or {@code -1}
     * @param tid         the thread that acted, or {@code -1}
     * @param ppid        parent process id, or {@code -1}
     * @param uid         real user id, or {@code -1}
     * @param gid         real group id, or {@code -1}
     * @param comm        the kernel's short name, or {@code null}
     * @param exe         the resolved executable path, or {@code null}
     * @param cmdline     the command line, or {@code null} when unknown
     * @param containerId container id, or {@code null} on the host
     * @param startTime   start time in clock ticks since boot, or {@code -1}
     * @param complete    {@code false} when some fields could not be read
     * @param ancestors   parent first; {@code null} for none
     */
    public ProcessInfo {
        cmdline = CommandLines.redact(cmdline);
        if (ancestors == null || ancestors.isEmpty()) {
            ancestors = List.of();
        } else {
            ancestors = List.copyOf(ancestors.size() > MAX_ANCESTORS ? ancestors.subList(0, MAX_ANCESTORS) : ancestors);
        }
    }

    /**
     * A process without lineage (the form before lineage was added).
     *
     * @param pid         process id, or {@code -1}
     * @param tid         the thread that acted, or {@code -1}
     * @param ppid        parent process id, or {@code -1}
     * @param uid         real user id, or {@code -1}
     * @param gid         real group id, or {@code -1}
     * @param comm        the kernel's short name, or {@code null}
     * @param exe         the resolved executable path, or {@code null}
     * @param cmdline     the command line, or {@code null} when unknown
     * @param containerId container id, or {@code null} on the host
     * @param startTime   start time in clock ticks since boot, or {@code -1}
     * @param complete    {@code false} when some fields could not be read
     */
    public ProcessInfo(int pid, int tid, int ppid, int uid, int gid, String comm, String exe,
                       List<String> cmdline, String containerId, long startTime, boolean complete) {
        this(pid, tid, ppid, uid, gid, comm, exe, cmdline, containerId, startTime, complete, List.of());
    }

    /**
     * @return the process nobody could identify (e.g. the kernel hid the reader from an unprivileged listener):
     *         every number {@code -1}, every string {@code null}, not complete
     */
    public static ProcessInfo unknown() {
        return UNKNOWN_PROCESS;
    }

    /**
     * Starts a builder for process {@code pid}; unset fields stay unknown and {@code complete} stays true.
     *
     * @param pid the process id, in the host's pid namespace
     * @return a new builder
     */
    public static Builder builder(int pid) {
        return new Builder(pid);
    }

    /** @return whether the process id is known (positive) */
    public boolean isKnown() {
        return pid > 0;
    }

    /**
     * @param other another process; may be {@code null}
     * @return whether {@code other} is the same known process: same pid and, where both are known, the same start
     *         time
     */
    public boolean sameProcessAs(ProcessInfo other) {
        if (!isKnown() || other == null || pid != other.pid) {
            return false;
        }
        return startTime < 0 || other.startTime < 0 || startTime == other.startTime;
    }

    /** @return a copy with {@code complete == false}, or this record when it already is */
    public ProcessInfo incomplete() {
        return complete ? new ProcessInfo(pid, tid, ppid, uid, gid, comm, exe, cmdline, containerId, startTime, false,
                ancestors) : this;
    }

    /**
     * @return the parent as the lineage knows it (pid, start time, name, executable), or {@code null} without
     *         lineage
     */
    public Ancestor parent() {
        return ancestors.isEmpty() ? null : ancestors.get(0);
    }

    /** @return a new builder holding this record's values */
    public Builder toBuilder() {
        return new Builder(pid).tid(tid).ppid(ppid).uid(uid).gid(gid).comm(comm).exe(exe).cmdline(cmdline)
                .containerId(containerId).startTime(startTime).complete(complete).ancestors(ancestors);
    }

    /** Builds {@link ProcessInfo}s without a constructor of eleven arguments. */
    public static final class Builder {
        private final int pid;
        private int tid = UNKNOWN;
        private int ppid = UNKNOWN;
        private int uid = UNKNOWN;
        private int gid = UNKNOWN;
        private String comm;
        private String exe;
        private List<String> cmdline = List.of();
        private String containerId;
        private long startTime = UNKNOWN;
        private boolean complete = true;
        private List<Ancestor> ancestors = List.of();

        private Builder(int pid) {
            this.pid = pid;
        }

        /**
         * @param tid the thread that acted, or {@code -1}
         * @return this builder
         */
        public Builder tid(int tid) { this.tid = tid; return this; }

        /**
         * @param ppid parent process id, or {@code -1}
         * @return this builder
         */
        public Builder ppid(int ppid) { this.ppid = ppid; return this; }

        /**
         * @param uid real user id, or {@code -1}
         * @return this builder
         */
        public Builder uid(int uid) { this.uid = uid; return this; }

        /**
         * @param gid real group id, or {@code -1}
         * @return this builder
         */
        public Builder gid(int gid) { this.gid = gid; return this; }

        /**
         * @param comm the kernel's short name, or {@code null}
         * @return this builder
         */
        public Builder comm(String comm) { this.comm = comm; return this; }

        /**
         * @param exe the resolved executable path, or {@code null}
         * @return this builder
         */
        public Builder exe(String exe) { this.exe = exe; return this; }

        /**
         * @param cmdline the command line, argv[0] first, unredacted (the record redacts it); {@code null} for unknown
         * @return this builder
         */
        public Builder cmdline(List<String> cmdline) { this.cmdline = cmdline == null ? List.of() : cmdline; return this; }

        /**
         * @param containerId container id, or {@code null} on the host
         * @return this builder
         */
        public Builder containerId(String containerId) { this.containerId = containerId; return this; }

        /**
         * @param startTime start time in clock ticks since boot, or {@code -1}
         * @return this builder
         */
        public Builder startTime(long startTime) { this.startTime = startTime; return this; }

        /**
         * @param complete {@code false} when some fields could not be read
         * @return this builder
         */
        public Builder complete(boolean complete) { this.complete = complete; return this; }

        /**
         * @param ancestors parent first; more than {@value ProcessInfo#MAX_ANCESTORS} are cut; {@code null} for none
         * @return this builder
         */
        public Builder ancestors(List<Ancestor> ancestors) { this.ancestors = ancestors == null ? List.of() : ancestors; return this; }

        /** @return the process */
        public ProcessInfo build() {
            return new ProcessInfo(pid, tid, ppid, uid, gid, comm, exe, cmdline, containerId, startTime, complete,
                    ancestors);
        }
    }
}
