package io.environguard.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes {@code /proc} files byte for byte in the kernel's formats ({@code fs/proc/array.c},
 * {@code fs/proc_namespace.c}, {@code kernel/cgroup/cgroup.c}): the other side of the parsers under test.
 * {@link SimulatedProcFs} writes its files with these; tests can also truncate or mutate their output.
 *
 * <pre>{@code
 * byte[] stat = ProcFormats.stat(42, "Web Content (pid 7)".getBytes(UTF_8), 'S', 1, 35021, 1, 0, 0);
 * byte[] info = ProcFormats.mountInfo(List.of(MountLine.proc(22, 1, "/run/my proc", "0:41")));
 * // "22 1 0:41 / /run/my\040proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
 * }</pre>
 */
public final class ProcFormats {

    private ProcFormats() {
    }

    /**
     * {@code /proc/P/stat}: 52 fields, the command name raw between parentheses (the kernel does not
     * escape it), a final newline.
     *
     * @param pid        field 1, also written as the process group and session
     * @param comm       field 2, raw bytes
     * @param state      field 3, the state letter
     * @param ppid       field 4
     * @param startTime  field 22, clock ticks since boot
     * @param numThreads field 20
     * @param envStart   field 50 (the kernel prints 0 when the reader may not see the address)
     * @param envEnd     field 51
     * @return the file's bytes
     */
    public static byte[] stat(int pid, byte[] comm, char state, int ppid, long startTime, int numThreads,
                              long envStart, long envEnd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(320);
        ascii(out, pid + " (");
        out.writeBytes(comm);
        // fields 3..21: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
        // cutime cstime priority nice num_threads itrealvalue
        ascii(out, ") " + state + " " + ppid + " " + pid + " " + pid + " 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 "
                + numThreads + " 0 ");
        // field 22 starttime, 23 vsize, 24 rss, 25 rsslim, 26..49, 50 env_start, 51 env_end, 52 exit_code
        ascii(out, startTime + " 9555968 812 18446744073709551615 94505165389824 94505165463637 140727357611280"
                + " 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94505165487312 94505165490016 94505174827008"
                + " 140727357619040 140727357619062 " + envStart + " " + envEnd + " 0\n");
        return out.toByteArray();
    }

    /**
     * {@code /proc/P/status} (the head of it, up to {@code Threads}), with the kernel's escaping of the
     * name: newline as {@code \n}, backslash as {@code \\}, every other byte raw.
     *
     * @param comm    the name, raw bytes, escaped here
     * @param state   the state letter
     * @param tgid    the thread group id ({@code Tgid:})
     * @param tid     the task this file describes ({@code Pid:}); equal to {@code tgid} for the process
     * @param ppid    the parent's pid ({@code PPid:})
     * @param uid     the user id, written four times (real, effective, saved, filesystem)
     * @param gid     the group id, likewise
     * @param nsPid   the task's ids from the outermost pid namespace inwards; the first is {@code tid}
     * @param threads the thread count ({@code Threads:})
     * @return the file's bytes
     */
    public static byte[] status(byte[] comm, char state, int tgid, int tid, int ppid, int uid, int gid,
                                List<Integer> nsPid, int threads) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(700);
        ascii(out, "Name:\t");
        out.writeBytes(escapeStatusName(comm));
        ascii(out, "\nUmask:\t0022\nState:\t" + state + " (" + stateName(state) + ")\nTgid:\t" + tgid
                + "\nNgid:\t0\nPid:\t" + tid + "\nPPid:\t" + ppid + "\nTracerPid:\t0\nUid:\t" + uid + "\t" + uid + "\t"
                + uid + "\t" + uid + "\nGid:\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid
                + "\nFDSize:\t64\nGroups:\t \nNStgid:\t" + tgid + "\nNSpid:\t" + join(nsPid)
                + "\nNSpgid:\t" + tgid + "\nNSsid:\t" + tgid + "\nKthread:\t0\nVmPeak:\t    9332 kB\n"
                + "VmSize:\t    9332 kB\nVmRSS:\t    3248 kB\nThreads:\t" + threads
                + "\nSigQ:\t0/96365\nCpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t3\n"
                + "nonvoluntary_ctxt_switches:\t0\n");
        return out.toByteArray();
    }

    /**
     * {@code Name:} escaping in {@code status} ({@code proc_task_name(..., escape=true)}).
     *
     * @param comm the name, raw bytes
     * @return the escaped bytes
     */
    public static byte[] escapeStatusName(byte[] comm) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(comm.length + 4);
        for (byte b : comm) {
            if (b == '\n') {
                out.write('\\');
                out.write('n');
            } else if (b == '\\') {
                out.write('\\');
                out.write('\\');
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    /**
     * @param comm the name, raw bytes
     * @return {@code /proc/P/comm}: the name and a newline
     */
    public static byte[] comm(byte[] comm) {
        byte[] out = new byte[comm.length + 1];
        System.arraycopy(comm, 0, out, 0, comm.length);
        out[comm.length] = '\n';
        return out;
    }

    /**
     * @param args the arguments, argv[0] first
     * @return {@code /proc/P/cmdline}: each argument in UTF-8 followed by a NUL; nothing at all for no arguments
     */
    public static byte[] cmdline(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String arg : args) {
            out.writeBytes(arg.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /**
     * {@code /proc/P/schedstat} ({@code proc_pid_schedstat}): time on the CPU and time waiting for it, in
     * nanoseconds, and the number of time slices run.
     *
     * @param runNanos   time on the CPU, in nanoseconds
     * @param waitNanos  time waiting on a run queue, in nanoseconds
     * @param timeslices time slices run
     * @return the file's bytes
     */
    public static byte[] schedstat(long runNanos, long waitNanos, long timeslices) {
        return (runNanos + " " + waitNanos + " " + timeslices + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * @param mounts the mount table, in order
     * @return {@code /proc/P/mountinfo}: one line per mount
     */
    public static byte[] mountInfo(List<MountLine> mounts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(mounts.size() * 100);
        for (MountLine m : mounts) {
            out.writeBytes(mountInfoLine(m));
        }
        return out.toByteArray();
    }

    /**
     * @param m a mount
     * @return its {@code mountinfo} line, ending with a newline, paths and source escaped as the kernel's
     *         {@code seq_file} {@code mangle} does
     */
    public static byte[] mountInfoLine(MountLine m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(120);
        ascii(out, m.mountId() + " " + m.parentId() + " " + m.device() + " ");
        out.writeBytes(escapeMountField(m.root()));
        out.write(' ');
        out.writeBytes(escapeMountField(m.mountPoint()));
        ascii(out, " " + m.options() + (m.optionalFields().isEmpty() ? "" : " " + String.join(" ", m.optionalFields()))
                + " - ");
        out.writeBytes(escapeMountField(m.fsType()));
        out.write(' ');
        out.writeBytes(escapeMountField(m.source()));
        ascii(out, " " + m.superOptions() + "\n");
        return out.toByteArray();
    }

    /**
     * @param field a path, type or source
     * @return its UTF-8 bytes with space, tab, newline and backslash as {@code \040}, {@code \011}, {@code \012},
     *         {@code \134}
     */
    public static byte[] escapeMountField(String field) {
        byte[] raw = field.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + 8);
        for (byte b : raw) {
            if (b == ' ' || b == '\t' || b == '\n' || b == '\\') {
                out.write('\\');
                out.write('0' + ((b >> 6) & 7));
                out.write('0' + ((b >> 3) & 7));
                out.write('0' + (b & 7));
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    /**
     * @param path the cgroup's path, e.g. {@code /system.slice/sshd.service}
     * @return {@code /proc/P/cgroup} of a cgroup v2 (unified) system: {@code 0::<path>} and a newline
     */
    public static byte[] cgroupV2(String path) {
        return ("0::" + path + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String stateName(char state) {
        switch (state) {
            case 'R': return "running";
            case 'S': return "sleeping";
            case 'D': return "disk sleep";
            case 'T': return "stopped";
            case 't': return "tracing stop";
            case 'Z': return "zombie";
            case 'X': return "dead";
            case 'I': return "idle";
            default: return "unknown";
        }
    }

    private static String join(List<Integer> values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                sb.append('\t');
            }
            sb.append(values.get(i));
        }
        return sb.toString();
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }
}
