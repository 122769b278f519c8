package io.environguard.linux.proc;

import io.environguard.api.ProcessInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads what {@code /proc} knows of one process into a {@link ProcessInfo}: pid, ppid and start time
 * ({@code stat}), real uid and gid ({@code status}), {@code comm}, {@code exe} (readlink, a
 * {@code " (deleted)"} suffix kept as the kernel prints it), {@code cmdline} (first
 * {@value #MAX_CMDLINE_BYTES} bytes; redacted by {@link ProcessInfo}) and the container id ({@code cgroup}).
 *
 * <p>It never throws. A process can exit (and its pid be reused) at any moment, so {@code stat} is read
 * first and again last: if the second read fails or shows another start time, the answer is marked
 * {@code complete = false}, and so is any field that could not be read for another reason (e.g.
 * {@code exe} of another user's process without privilege). A missing {@code exe} of a live process is
 * normal (kernel threads, zombies) and leaves {@code exe} null with {@code complete} true. Stateless and
 * thread-safe; about seven small reads per call.
 *
 * <pre>{@code
 * ProcessInspector inspector = new ProcessInspector(Path.of("/proc"));
 * ProcessInfo reader = inspector.inspect(4242);
 * if (!reader.complete()) { ... the process vanished or was not fully readable ... }
 * }</pre>
 */
public final class ProcessInspector {

    /** How much of {@code cmdline} is read: {@link io.environguard.api.CommandLines} keeps less anyway. */
    public static final int MAX_CMDLINE_BYTES = 64 * 1024;
    /** Far above any real stat, status, comm or cgroup file; a bound, not an expectation. */
    private static final int MAX_SMALL_FILE_BYTES = 1024 * 1024;

    private final Path procRoot;
    private final ProcReads reads;

    /** @param procRoot where procfs is read from: {@code Path.of("/proc")}, or a simulated tree in tests */
    public ProcessInspector(Path procRoot) {
        this(procRoot, ProcReads.FILES);
    }

    ProcessInspector(Path procRoot, ProcReads reads) {
        this.procRoot = Objects.requireNonNull(procRoot, "procRoot");
        this.reads = Objects.requireNonNull(reads, "reads");
    }

    /** The root procfs is read from. */
    public Path root() {
        return procRoot;
    }

    /**
     * Inspects process {@code pid} (a thread group id). Never throws: a process that vanishes mid-lookup
     * yields a {@code ProcessInfo} with the pid, whatever was read, and {@code complete == false}.
     */
    public ProcessInfo inspect(int pid) {
        return inspect(pid, ProcessInfo.UNKNOWN);
    }

    /** As {@link #inspect(int)}, recording {@code tid} (the acting thread) in the result. */
    public ProcessInfo inspect(int pid, int tid) {
        ProcessInfo.Builder info = ProcessInfo.builder(pid).tid(tid);
        if (pid <= 0) {
            return info.complete(false).build();
        }
        Path dir = procRoot.resolve(Integer.toString(pid));
        ProcStat stat;
        try {
            stat = ProcStatParser.parse(reads.read(dir.resolve("stat"), MAX_SMALL_FILE_BYTES));
        } catch (IOException | ProcParseException e) {
            // Without stat there is no start time to tie the other files to this process: stop here.
            return info.complete(false).build();
        }
        info.ppid(stat.ppid()).startTime(stat.startTime()).comm(stat.comm());
        boolean complete = true;

        try {
            ProcStatus status = ProcStatusParser.parse(reads.read(dir.resolve("status"), MAX_SMALL_FILE_BYTES));
            info.uid(status.uid()).gid(status.gid());
            complete &= status.uid() >= 0 && status.gid() >= 0;
        } catch (IOException | ProcParseException e) {
            complete = false;
        }

        try {
            byte[] comm = reads.read(dir.resolve("comm"), MAX_SMALL_FILE_BYTES);
            int length = comm.length > 0 && comm[comm.length - 1] == '\n' ? comm.length - 1 : comm.length;
            info.comm(new String(comm, 0, length, StandardCharsets.UTF_8));
        } catch (IOException e) {
            complete = false; // stat's comm stays: the same bytes, as far as they were read
        }

        try {
            info.exe(reads.readLink(dir.resolve("exe")));
        } catch (NoSuchFileException e) {
            // Kernel threads and zombies have no exe; a vanished process is caught by the stat re-read.
        } catch (IOException e) {
            complete = false;
        }

        try {
            info.cmdline(CmdlineParser.parse(reads.read(dir.resolve("cmdline"), MAX_CMDLINE_BYTES)));
        } catch (IOException e) {
            complete = false;
        }

        try {
            info.containerId(CgroupParser.parse(reads.read(dir.resolve("cgroup"), MAX_SMALL_FILE_BYTES)).containerId());
        } catch (IOException | ProcParseException e) {
            complete = false;
        }

        complete &= sameProcess(dir, stat.startTime());
        return info.complete(complete).build();
    }

    /** Whether {@code dir} still holds the process that started at {@code startTime}. */
    private boolean sameProcess(Path dir, long startTime) {
        try {
            return ProcStatParser.parse(reads.read(dir.resolve("stat"), MAX_SMALL_FILE_BYTES)).startTime() == startTime;
        } catch (IOException | ProcParseException e) {
            return false;
        }
    }

    /** Thread group id of task {@code tid} (from {@code <root>/<tid>/status} Tgid), or {@code -1} if gone or unreadable. */
    public int tgidOf(int tid) {
        if (tid <= 0) {
            return -1;
        }
        try {
            return ProcStatusParser.parse(reads.read(procRoot.resolve(Integer.toString(tid)).resolve("status"),
                    MAX_SMALL_FILE_BYTES)).tgid();
        } catch (IOException | ProcParseException e) {
            return -1;
        }
    }

    /** Resolved exe of {@code pid}'s parent, or {@code null} (no parent, gone, or unreadable). */
    public String parentExe(int pid) {
        if (pid <= 0) {
            return null;
        }
        try {
            int ppid = ProcStatParser.parse(reads.read(procRoot.resolve(Integer.toString(pid)).resolve("stat"),
                    MAX_SMALL_FILE_BYTES)).ppid();
            return ppid <= 0 ? null : reads.readLink(procRoot.resolve(Integer.toString(ppid)).resolve("exe"));
        } catch (IOException | ProcParseException e) {
            return null;
        }
    }
}
