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
 * thread-safe; about seven small reads per call, four for a caller that pins the process with a pidfd
 * ({@link #inspectPinned}).
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
    private final BeforeOpen beforeOpen;

    /**
     * Told of every file an inspector is about to open (not of readlinks, which open nothing). The fanotify
     * source uses it to keep its own reads from becoming events of its own.
     */
    @FunctionalInterface
    public interface BeforeOpen {
        /** No-op. */
        BeforeOpen NONE = (pid, ppid, file) -> { };

        /**
         * {@code file} of process (or thread) {@code pid}, whose parent is {@code ppid} if the caller said so
         * ({@link Known#ppid}; else -1), is about to be opened.
         *
         * @param pid  the process or thread whose file it is
         * @param ppid its parent, or -1 if the caller did not say
         * @param file the file about to be opened
         */
        void beforeOpen(int pid, int ppid, Path file);
    }

    /** @param procRoot where procfs is read from: {@code Path.of("/proc")}, or a simulated tree in tests */
    public ProcessInspector(Path procRoot) {
        this(procRoot, ProcReads.FILES, BeforeOpen.NONE);
    }

    ProcessInspector(Path procRoot, ProcReads reads) {
        this(procRoot, reads, BeforeOpen.NONE);
    }

    /**
     * An inspector that reads through {@code reads} and tells {@code beforeOpen} of each file it is about to
     * open.
     *
     * @param procRoot   where procfs is read from
     * @param reads      how its files and links are read
     * @param beforeOpen told of each file about to be opened; {@link BeforeOpen#NONE} for nobody
     */
    public ProcessInspector(Path procRoot, ProcReads reads, BeforeOpen beforeOpen) {
        this.procRoot = Objects.requireNonNull(procRoot, "procRoot");
        this.reads = Objects.requireNonNull(reads, "reads");
        this.beforeOpen = Objects.requireNonNull(beforeOpen, "beforeOpen");
    }

    /** @return the root procfs is read from */
    public Path root() {
        return procRoot;
    }

    /**
     * Inspects process {@code pid} (a thread group id). Never throws: a process that vanishes mid-lookup
     * yields a {@code ProcessInfo} with the pid, whatever was read, and {@code complete == false}.
     *
     * @param pid a process id
     * @return never {@code null}
     */
    public ProcessInfo inspect(int pid) {
        return inspect(pid, ProcessInfo.UNKNOWN);
    }

    /**
     * As {@link #inspect(int)}, recording {@code tid} (the acting thread) in the result.
     *
     * @param pid a process id
     * @param tid the acting thread, or {@link ProcessInfo#UNKNOWN}
     * @return never {@code null}
     */
    public ProcessInfo inspect(int pid, int tid) {
        return inspect(pid, tid, false, Known.NOTHING);
    }

    /**
     * As {@link #inspect(int, int)}, for a caller that pins the process itself: it holds a pidfd of {@code pid}
     * and checks, after this call, that the process has not been reaped ({@code Pidfds.isAlive}). While that
     * holds, {@code /proc/<pid>} showed this process and no other, so {@code stat} is not read a second time;
     * the name is taken from {@code stat} (the kernel prints the same bytes there as in {@code comm}); and
     * {@code status} is read only if the caller does not know the real uid and gid ({@code PIDFD_GET_INFO}
     * gives both). That makes three file opens ({@code stat}, {@code cmdline}, {@code cgroup}) and a readlink
     * where {@link #inspect} makes six and a readlink; under a fanotify mark on procfs every open is also an
     * event that the guard's own reader thread has to read.
     *
     * <pre>{@code
     * int pidfd = Pidfds.open(pid, false);
     * PidfdInfo known = pidfds.info(pidfd).orElse(null);
     * ProcessInfo info = inspector.inspectPinned(pid, ProcessInfo.UNKNOWN,
     *         known == null ? -1 : known.uid(), known == null ? -1 : known.gid());
     * if (!Pidfds.isAlive(pidfd)) { ... reaped meanwhile: info may mix two processes ... }
     * }</pre>
     *
     * @param pid a process id, pinned by the caller's pidfd
     * @param tid the acting thread, or {@link ProcessInfo#UNKNOWN}
     * @param uid the real uid, if the caller knows it, or -1 to read it from {@code status}
     * @param gid the real gid, if the caller knows it, or -1 to read it from {@code status}
     * @return never {@code null}; {@code complete == false} when a file could not be read. Whether the process
     *         was still the same one throughout is the caller's to check, with its pidfd
     */
    public ProcessInfo inspectPinned(int pid, int tid, int uid, int gid) {
        return inspect(pid, tid, true, new Known(uid, gid, -1, false, null, false, null));
    }

    /**
     * As {@link #inspectPinned(int, int, int, int)}, for a caller that knows more: what it knows is taken as
     * it is and not read (a known {@code exe} saves a readlink, a known container id the {@code cgroup} file).
     *
     * @param pid   a process id, pinned by the caller's pidfd
     * @param tid   the acting thread, or {@link ProcessInfo#UNKNOWN}
     * @param known what the caller knows already
     * @return never {@code null}; {@code complete == false} when a file could not be read
     */
    public ProcessInfo inspectPinned(int pid, int tid, Known known) {
        return inspect(pid, tid, true, Objects.requireNonNull(known, "known"));
    }

    /**
     * What a caller that pins the process already knows of it.
     *
     * @param uid            the real uid, or -1 to read it from {@code status}
     * @param gid            the real gid, or -1 to read it from {@code status}
     * @param ppid           the parent's pid, or -1; only passed on to {@link BeforeOpen} (the parent in the
     *                       result is what {@code stat} says)
     * @param exeKnown       whether {@code exe} is known (else the {@code exe} link is read)
     * @param exe            the {@code exe} link when known; {@code null} when there is none or the caller
     *                       will set it on the result itself
     * @param containerKnown whether {@code containerId} is known (else {@code cgroup} is read)
     * @param containerId    the container id when known; {@code null} for a process on the host
     */
    public record Known(int uid, int gid, int ppid, boolean exeKnown, String exe, boolean containerKnown,
                        String containerId) {
        /** Nothing is known: every file is read. */
        public static final Known NOTHING = new Known(-1, -1, -1, false, null, false, null);
    }

    private ProcessInfo inspect(int pid, int tid, boolean pinned, Known known) {
        ProcessInfo.Builder info = ProcessInfo.builder(pid).tid(tid);
        if (pid <= 0) {
            return info.complete(false).build();
        }
        Path dir = procRoot.resolve(Integer.toString(pid));
        ProcStat stat;
        try {
            stat = ProcStatParser.parse(read(pid, known.ppid(), dir, "stat", MAX_SMALL_FILE_BYTES));
        } catch (IOException | ProcParseException e) {
            // Without stat there is no start time to tie the other files to this process: stop here.
            return info.complete(false).build();
        }
        info.ppid(stat.ppid()).startTime(stat.startTime()).comm(stat.comm());
        boolean complete = true;

        if (pinned && known.uid() >= 0 && known.gid() >= 0) {
            info.uid(known.uid()).gid(known.gid());
        } else {
            try {
                ProcStatus status = ProcStatusParser.parse(read(pid, known.ppid(), dir, "status", MAX_SMALL_FILE_BYTES));
                info.uid(status.uid()).gid(status.gid());
                complete &= status.uid() >= 0 && status.gid() >= 0;
            } catch (IOException | ProcParseException e) {
                complete = false;
            }
        }

        if (!pinned) {
            try {
                byte[] comm = read(pid, known.ppid(), dir, "comm", MAX_SMALL_FILE_BYTES);
                int length = comm.length > 0 && comm[comm.length - 1] == '\n' ? comm.length - 1 : comm.length;
                info.comm(new String(comm, 0, length, StandardCharsets.UTF_8));
            } catch (IOException e) {
                complete = false; // stat's comm stays: the same bytes, as far as they were read
            }
        }

        if (known.exeKnown()) {
            info.exe(known.exe());
        } else {
            try {
                info.exe(reads.readLink(dir.resolve("exe")));
            } catch (NoSuchFileException e) {
                // Kernel threads and zombies have no exe; a vanished process is caught by the stat re-read.
            } catch (IOException e) {
                complete = false;
            }
        }

        try {
            info.cmdline(CmdlineParser.parse(read(pid, known.ppid(), dir, "cmdline", MAX_CMDLINE_BYTES)));
        } catch (IOException e) {
            complete = false;
        }

        if (known.containerKnown()) {
            info.containerId(known.containerId());
        } else {
            try {
                info.containerId(CgroupParser.parse(read(pid, known.ppid(), dir, "cgroup", MAX_SMALL_FILE_BYTES)).containerId());
            } catch (IOException | ProcParseException e) {
                complete = false;
            }
        }

        if (!pinned) {
            complete &= sameProcess(pid, known.ppid(), dir, stat.startTime());
        }
        return info.complete(complete).build();
    }

    /** Whether {@code dir} still holds the process that started at {@code startTime}. */
    private boolean sameProcess(int pid, int ppid, Path dir, long startTime) {
        try {
            return ProcStatParser.parse(read(pid, ppid, dir, "stat", MAX_SMALL_FILE_BYTES)).startTime() == startTime;
        } catch (IOException | ProcParseException e) {
            return false;
        }
    }

    private byte[] read(int pid, int ppid, Path dir, String name, int maxBytes) throws IOException {
        Path file = dir.resolve(name);
        beforeOpen.beforeOpen(pid, ppid, file);
        return reads.read(file, maxBytes);
    }

    /**
     * @param tid a thread id
     * @return the thread group id of task {@code tid} (from {@code <root>/<tid>/status} Tgid), or {@code -1} if
     *         gone or unreadable
     */
    public int tgidOf(int tid) {
        if (tid <= 0) {
            return -1;
        }
        try {
            return ProcStatusParser.parse(read(tid, -1, procRoot.resolve(Integer.toString(tid)), "status",
                    MAX_SMALL_FILE_BYTES)).tgid();
        } catch (IOException | ProcParseException e) {
            return -1;
        }
    }

    /**
     * @param pid a process id
     * @return the resolved exe of {@code pid}'s parent, or {@code null} (no parent, gone, or unreadable)
     */
    public String parentExe(int pid) {
        if (pid <= 0) {
            return null;
        }
        try {
            int ppid = ProcStatParser.parse(read(pid, -1, procRoot.resolve(Integer.toString(pid)), "stat",
                    MAX_SMALL_FILE_BYTES)).ppid();
            return ppid <= 0 ? null : reads.readLink(procRoot.resolve(Integer.toString(ppid)).resolve("exe"));
        } catch (IOException | ProcParseException e) {
            return null;
        }
    }
}
