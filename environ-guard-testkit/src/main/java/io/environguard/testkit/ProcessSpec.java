package io.environguard.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What to spawn in a {@link SimulatedProcFs}: everything about a process except its pid and start time
 * (which the simulated kernel allocates unless asked for particular ones).
 *
 * <pre>{@code
 * ProcessSpec spec = ProcessSpec.builder()
 *         .comm("a) S 1 (")                       // survives the stat parser only if it reads from the last ')'
 *         .exe("/usr/bin/python3").cmdline("python3", "-c", "pass")
 *         .uid(1000).gid(1000)
 *         .cgroup(ProcFormats.cgroupV2("/system.slice/docker-" + "ab".repeat(32) + ".scope"))
 *         .environ("HOME=/home/u\0".getBytes(UTF_8))
 *         .build();
 * }</pre>
 *
 * @param ppid      parent pid ({@code 0} for init and kthreadd)
 * @param comm      the kernel's short name, raw bytes (no NUL; the kernel keeps 15, tests may use more)
 * @param exe       the {@code exe} link target, or {@code null} for a kernel thread (no link)
 * @param cmdline   arguments ({@code /proc/P/cmdline}); empty for kernel threads
 * @param uid       real user id
 * @param gid       real group id
 * @param cgroup    the whole {@code /proc/P/cgroup} file
 * @param environ   the whole {@code /proc/P/environ} file
 * @param nsPid     ids in nested pid namespaces, innermost last (the host pid is prepended when written)
 * @param state     the {@code stat} state letter
 * @param envStart  {@code stat} field 50
 * @param envEnd    {@code stat} field 51
 * @param pid       the pid to use, or {@code 0} to let the simulated kernel allocate one
 * @param startTime the start time to use (ticks), or {@code -1} to take the simulated clock's next tick
 */
public record ProcessSpec(int ppid, byte[] comm, String exe, List<String> cmdline, int uid, int gid, byte[] cgroup,
                          byte[] environ, List<Integer> nsPid, char state, long envStart, long envEnd, int pid,
                          long startTime) {

    /**
     * Checks the fields and keeps copies of the arrays and lists.
     *
     * @param ppid      parent pid
     * @param comm      the kernel's short name, raw bytes, no NUL
     * @param exe       the {@code exe} link target, or {@code null} for a kernel thread
     * @param cmdline   arguments, none holding a NUL
     * @param uid       real user id
     * @param gid       real group id
     * @param cgroup    the whole {@code /proc/P/cgroup} file
     * @param environ   the whole {@code /proc/P/environ} file
     * @param nsPid     ids in nested pid namespaces, innermost last; empty on the host
     * @param state     the {@code stat} state letter
     * @param envStart  {@code stat} field 50
     * @param envEnd    {@code stat} field 51
     * @param pid       the pid to use, or {@code 0}
     * @param startTime the start time to use (ticks), or {@code -1}
     * @throws IllegalArgumentException when {@code comm} or an argument holds a NUL
     * @throws NullPointerException     when an array or list is {@code null}
     */
    public ProcessSpec {
        comm = Objects.requireNonNull(comm, "comm").clone();
        for (byte b : comm) {
            if (b == 0) {
                throw new IllegalArgumentException("comm cannot contain NUL");
            }
        }
        cmdline = List.copyOf(cmdline);
        for (String arg : cmdline) {
            if (arg.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("arguments cannot contain NUL");
            }
        }
        cgroup = Objects.requireNonNull(cgroup, "cgroup").clone();
        environ = Objects.requireNonNull(environ, "environ").clone();
        nsPid = List.copyOf(nsPid);
    }

    /**
     * @return a builder with the defaults of a plain user process: {@code sleep 600} ({@code /usr/bin/sleep}), parent
     *         1, uid and gid 1000, state {@code S}, a session cgroup on the host, a small harmless environ
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a new builder holding this spec's values */
    public Builder toBuilder() {
        return new Builder().ppid(ppid).comm(comm).exe(exe).cmdline(cmdline).uid(uid).gid(gid).cgroup(cgroup)
                .environ(environ).nsPid(nsPid).state(state).envRange(envStart, envEnd).pid(pid).startTime(startTime);
    }

    /** @return a copy of the name bytes */
    @Override
    public byte[] comm() {
        return comm.clone();
    }

    /** @return a copy of the cgroup file */
    @Override
    public byte[] cgroup() {
        return cgroup.clone();
    }

    /** @return a copy of the environ file */
    @Override
    public byte[] environ() {
        return environ.clone();
    }

    /** @return the name decoded as UTF-8 (bad bytes become U+FFFD), as a Java reader would see it */
    public String commString() {
        return new String(comm, StandardCharsets.UTF_8);
    }

    /** @return whether this is a kernel thread: no exe, no command line */
    public boolean kernelThread() {
        return exe == null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProcessSpec s && ppid == s.ppid && Arrays.equals(comm, s.comm) && Objects.equals(exe, s.exe)
                && cmdline.equals(s.cmdline) && uid == s.uid && gid == s.gid && Arrays.equals(cgroup, s.cgroup)
                && Arrays.equals(environ, s.environ) && nsPid.equals(s.nsPid) && state == s.state
                && envStart == s.envStart && envEnd == s.envEnd && pid == s.pid && startTime == s.startTime;
    }

    @Override
    public int hashCode() {
        return Objects.hash(ppid, Arrays.hashCode(comm), exe, cmdline, uid, gid, pid, startTime);
    }

    /** Shows the name with escapes, never the environ bytes. */
    @Override
    public String toString() {
        return "ProcessSpec[ppid=" + ppid + ", comm=" + escaped(comm) + ", exe=" + exe + ", cmdline=" + cmdline
                + ", uid=" + uid + ", gid=" + gid + ", cgroup=" + escaped(cgroup) + ", environ=" + environ.length
                + " bytes, nsPid=" + nsPid + ", state=" + state + ", pid=" + pid + ", startTime=" + startTime + "]";
    }

    static String escaped(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        return sb.append('"').toString();
    }

    /** Builds {@link ProcessSpec}s. */
    public static final class Builder {
        private int ppid = 1;
        private byte[] comm = "sleep".getBytes(StandardCharsets.UTF_8);
        private String exe = "/usr/bin/sleep";
        private List<String> cmdline = List.of("sleep", "600");
        private int uid = 1000;
        private int gid = 1000;
        private byte[] cgroup = ProcFormats.cgroupV2("/user.slice/user-1000.slice/session-1.scope");
        private byte[] environ = "HOME=/home/user\0LANG=C.UTF-8\0".getBytes(StandardCharsets.UTF_8);
        private List<Integer> nsPid = List.of();
        private char state = 'S';
        private long envStart = 140727357619062L;
        private long envEnd = 140727357622255L;
        private int pid;
        private long startTime = -1;

        private Builder() {
        }

        /**
         * @param ppid parent pid ({@code 0} for init and kthreadd)
         * @return this builder
         */
        public Builder ppid(int ppid) { this.ppid = ppid; return this; }

        /**
         * @param comm the kernel's short name, raw bytes (copied)
         * @return this builder
         */
        public Builder comm(byte[] comm) { this.comm = comm.clone(); return this; }

        /**
         * @param comm the kernel's short name, encoded as UTF-8
         * @return this builder
         */
        public Builder comm(String comm) { return comm(comm.getBytes(StandardCharsets.UTF_8)); }

        /**
         * @param exe the exe link target; {@code null} makes a kernel thread (call {@link #kernelThread()} for the
         *            rest)
         * @return this builder
         */
        public Builder exe(String exe) { this.exe = exe; return this; }

        /**
         * @param cmdline arguments, argv[0] first
         * @return this builder
         */
        public Builder cmdline(List<String> cmdline) { this.cmdline = List.copyOf(cmdline); return this; }

        /**
         * @param args arguments, argv[0] first
         * @return this builder
         */
        public Builder cmdline(String... args) { return cmdline(List.of(args)); }

        /**
         * @param uid real user id
         * @return this builder
         */
        public Builder uid(int uid) { this.uid = uid; return this; }

        /**
         * @param gid real group id
         * @return this builder
         */
        public Builder gid(int gid) { this.gid = gid; return this; }

        /**
         * @param cgroupFile the whole {@code /proc/P/cgroup} file, e.g. from {@link ProcFormats#cgroupV2(String)}
         * @return this builder
         */
        public Builder cgroup(byte[] cgroupFile) { this.cgroup = cgroupFile.clone(); return this; }

        /**
         * @param environ the whole {@code /proc/P/environ} file: {@code K=v} entries, each ending with NUL
         * @return this builder
         */
        public Builder environ(byte[] environ) { this.environ = environ.clone(); return this; }

        /**
         * An environ of exactly {@code size} bytes of harmless {@code K=v} entries.
         *
         * @param size bytes, 0 or more
         * @return this builder
         */
        public Builder environSize(int size) { this.environ = filler(size); return this; }

        /**
         * @param nsPid ids in nested pid namespaces, innermost last; empty on the host
         * @return this builder
         */
        public Builder nsPid(List<Integer> nsPid) { this.nsPid = List.copyOf(nsPid); return this; }

        /**
         * @param state the {@code stat} state letter ({@code S}, {@code R}, {@code Z}...)
         * @return this builder
         */
        public Builder state(char state) { this.state = state; return this; }

        /**
         * @param start {@code stat} field 50, the environment's start address
         * @param end   {@code stat} field 51, its end address
         * @return this builder
         */
        public Builder envRange(long start, long end) { this.envStart = start; this.envEnd = end; return this; }

        /**
         * @param pid the pid to use, or {@code 0} to let the simulated kernel allocate one
         * @return this builder
         */
        public Builder pid(int pid) { this.pid = pid; return this; }

        /**
         * @param startTime the start time to use (ticks), or {@code -1} for the simulated clock's next tick
         * @return this builder
         */
        public Builder startTime(long startTime) { this.startTime = startTime; return this; }

        /**
         * Makes a kernel thread: parent 2 (kthreadd), no exe, no command line, uid 0, empty environ, the root cgroup.
         *
         * @return this builder
         */
        public Builder kernelThread() {
            return ppid(2).exe(null).cmdline(List.of()).uid(0).gid(0).environ(new byte[0]).envRange(0, 0)
                    .cgroup(ProcFormats.cgroupV2("/"));
        }

        /**
         * @return the spec
         * @throws IllegalArgumentException when the name or an argument holds a NUL
         */
        public ProcessSpec build() {
            return new ProcessSpec(ppid, comm, exe, cmdline, uid, gid, cgroup, environ, nsPid, state, envStart, envEnd,
                    pid, startTime);
        }

        private static byte[] filler(int size) {
            byte[] out = new byte[size];
            for (int i = 0; i < size; i++) {
                // "K=vvvv...\0" entries of 64 bytes; the last byte is always the terminating NUL
                int inEntry = i % 64;
                out[i] = (byte) (i == size - 1 || inEntry == 63 ? 0 : inEntry == 0 ? 'K' : inEntry == 1 ? '=' : 'v');
            }
            return out;
        }
    }
}
