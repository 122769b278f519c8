package io.environguard.linux.procfs;

import io.environguard.api.AccessKind;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.process.ProcessLookup;
import io.environguard.linux.proc.CmdlineParser;
import io.environguard.linux.proc.FdLink;
import io.environguard.linux.proc.FdLinks;
import io.environguard.linux.proc.FdTable;
import io.environguard.linux.proc.ProcIds;
import io.environguard.linux.proc.ProcParseException;
import io.environguard.linux.proc.ProcPath;
import io.environguard.linux.proc.ProcPaths;
import io.environguard.linux.proc.ProcStat;
import io.environguard.linux.proc.ProcStatParser;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.spi.AccessListener;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state and the work of the polling source: one {@link #scan} lists the processes, and examines those that
 * are new or may have changed: their command line (for environ paths) and their open descriptors (for environ
 * and mem files of other processes). Not thread-safe: the source serialises scans.
 *
 * <h2>What is re-read, and why</h2>
 * Procfs has no way to watch a descriptor table, and reading one costs a {@code readlink} per descriptor. So
 * a process is re-read only when it may have changed: when it is new (pid not seen, or seen with another start
 * time: pid reuse), or when one of its threads has run since it was last examined. "Has run" comes from
 * {@code /proc/P/schedstat} (time on the CPU, time waiting, time slices: any of them changes when a task is
 * scheduled): a process none of whose threads ran cannot have opened, closed or received a descriptor. Threads
 * are listed before and after their counters are read, so a thread created meanwhile is not missed; a
 * single-threaded process needs one small read per scan. The counters are read before the descriptors, so
 * whatever happens after the read changes them for the next scan. A process with many threads and few
 * descriptors is cheaper to re-read than to check: it is re-read every scan; so is a busy multi-threaded
 * process (found changed twice in a row), whose counters are read again only every eighth scan. Where the
 * kernel gives no counters (all zero, or no {@code schedstat}), every process is re-read every scan. As a
 * safety net against anything this reasoning misses (a descriptor installed into a stopped task by a
 * seccomp supervisor, say), every process is re-read once its {@link ProcfsSettings#fullScanInterval()}
 * has passed; each scan takes at most its share of these re-reads (processes times interval over full-scan
 * interval), so that they cost about the same every scan instead of making one scan as large as a first.
 *
 * <h2>Reports</h2>
 * A descriptor on another process's environ or mem is reported once, as {@link AccessKind#HELD_OPEN}, for as
 * long as the same descriptor shows the same path; a descriptor on the reader's own file is reported with
 * reader and target the same process (the policy ignores self-reads); a descriptor opened with {@code O_PATH}
 * ({@code fdinfo} flags), which pins a file and cannot read it, is not reported. A process's descriptors are
 * reported before its command line: a file held open is stronger evidence, and the policy alerts once per
 * reader, target and file, on whichever comes first. A command line is searched once per process and content
 * (again after an {@code execve} changed it) and each file it names is reported as
 * {@link AccessKind#COMMAND_LINE}. The guard's own process ({@code <root>/self}) is never examined.
 */
final class ProcfsScanner {

    static final String SOURCE = "procfs";
    /** Loss reports for scans cut short are batched: at most one per this many nanoseconds. */
    static final long CUT_SHORT_REPORT_SPACING_NANOS = 60_000_000_000L;
    /** A process with more threads than this (and than descriptors) is re-read rather than checked. */
    static final int MAX_TASKS_TO_CHECK = 64;
    /**
     * A multi-threaded process found changed this many times in a row is busy: it is re-read without reading
     * the counters of all its threads first, which would be wasted work, except every {@link #BUSY_RECHECK}th
     * time, to notice it went quiet. A single-threaded process costs one read to check: it is always checked.
     */
    static final int BUSY_AFTER = 2;
    static final int BUSY_RECHECK = 8;
    static final String CUT_SHORT = "scan_cut_short";
    /** The first scan may take this many times the budget. */
    static final int FIRST_SCAN_BUDGET_FACTOR = 4;
    static final String FD_LIMIT = "fd_limit";
    static final String SCAN_FAILED = "scan_failed";
    /** {@code O_PATH} as {@code fdinfo} prints it (octal 010000000 on every Linux architecture but alpha, sparc, parisc). */
    static final int O_PATH = 010000000;

    private final ProcfsSettings settings;
    private final Path root;
    private final Clock clock;
    private final ProcessInspector inspector;
    private final Targets targets;
    private final ProcFiles files = new ProcFiles();
    private final Map<Integer, Tracked> tracked = new HashMap<>();
    private final boolean realProcfs;
    private final long fullScanNanos;
    private final long intervalNanos;
    private final long budgetNanos;

    /** A scan cut short resumes after this pid; -1 when the last scan finished. */
    private int resumeAfter = -1;
    private long pendingNotExamined;
    private long lastCutShortReport;
    private boolean cutShortReported;
    /** Written by the scanning thread, read by {@code coverage()} on any thread. */
    private volatile ScanResult last;
    private ProcessLookup lookup;

    /** What the scanner remembers of one process between scans. */
    private static final class Tracked {
        final int pid;
        final long startTime;
        /** A thread id listed as a directory (simulated trees do that): never examined. */
        boolean threadAlias;
        /** Its tasks when it was last examined, ascending; {@code null} when unknown. */
        int[] tids;
        /** The scheduling counters read just before its descriptors; {@code null}: re-read it next scan. */
        long[] signature;
        int fdCount = -1;
        boolean cmdlineKnown;
        long cmdlineHash;
        /** Descriptors already reported, by number. */
        Map<Integer, HeldFd> held = Map.of();
        /** Descriptors on environ or mem files opened with O_PATH, by number, with their path. */
        Map<Integer, String> pathOnly = Map.of();
        boolean truncatedReported;
        long examinedAt;
        /** Consecutive visits that found it changed, or could not tell. */
        int busy;
        /** Its number of threads when last listed; 0 when never listed. */
        int taskCount;

        Tracked(int pid, long startTime) {
            this.pid = pid;
            this.startTime = startTime;
        }
    }

    /**
     * A reported descriptor.
     *
     * @param path        the path it showed (without a {@code " (deleted)"} suffix)
     * @param targetStart the target's start time when reported, or -1
     */
    private record HeldFd(String path, long targetStart) {
    }

    /** Counters of one scan. */
    private static final class Counters {
        int examined;
        int newProcesses;
        int unchanged;
        int vanished;
        int unreadable;
        long fdsRead;
        int accesses;
        int due;
        int dueQuota;
        int pathOnly;
    }

    ProcfsScanner(ProcfsSettings settings, Clock clock) {
        this.settings = settings;
        this.root = settings.procRoot();
        this.clock = clock;
        this.inspector = new ProcessInspector(root);
        this.targets = new Targets(root, inspector);
        this.realProcfs = Targets.isProcfs(root);
        this.fullScanNanos = settings.fullScanInterval().toNanos();
        this.intervalNanos = settings.interval().toNanos();
        this.budgetNanos = settings.scanBudget().toNanos();
    }

    ProcessInspector inspector() {
        return inspector;
    }

    /** The last scan's figures, or {@code null} before the first. */
    ScanResult last() {
        return last;
    }

    /** The guard's own pid in this tree ({@code <root>/self}), or -1 when the tree has none. */
    int selfPid() {
        String self = ProcFiles.readLink(root.resolve("self"));
        int pid = self == null ? -1 : ProcIds.parse(self);
        return pid > 0 ? pid : -1;
    }

    /**
     * One scan. Delivers accesses (and loss reports) to {@code listener} on this thread.
     *
     * @throws IOException when the process list itself cannot be read
     */
    ScanResult scan(AccessListener listener) throws IOException {
        long started = System.nanoTime();
        // the first scan reads everything, with a cold JIT: it gets more room than the steady state needs
        long deadline = started + (last == null ? FIRST_SCAN_BUDGET_FACTOR * budgetNanos : budgetNanos);
        int self = selfPid();
        int[] pids = ProcFiles.listIds(root);
        targets.newScan();
        tracked.keySet().removeIf(pid -> Arrays.binarySearch(pids, pid) < 0);

        Counters c = new Counters();
        int n = pids.length;
        // the full-scan safety net re-reads a share of the processes each scan, so that it costs the same
        // every scan instead of one large scan per interval
        c.dueQuota = fullScanNanos == 0 ? Integer.MAX_VALUE
                : (int) Math.min(n, Math.max(1, Math.ceil((double) n * intervalNanos / fullScanNanos)));
        int first = 0;
        if (resumeAfter >= 0) {
            int at = Arrays.binarySearch(pids, resumeAfter);
            first = (at >= 0 ? at + 1 : -at - 1) % Math.max(n, 1);
        }
        int notExamined = 0;
        for (int k = 0; k < n; k++) {
            int pid = pids[(first + k) % n];
            if (k > 0 && System.nanoTime() - deadline > 0) {
                notExamined = n - k;
                resumeAfter = pids[(first + k - 1) % n];
                break;
            }
            if (pid != self) {
                visit(pid, started, listener, c);
            }
        }
        if (notExamined == 0) {
            resumeAfter = -1;
        }
        reportCutShort(listener, notExamined, n, started);
        last = new ScanResult(n, c.examined, c.newProcesses, c.unchanged, c.vanished, c.unreadable, c.fdsRead,
                c.accesses, c.pathOnly, notExamined, c.due, System.nanoTime() - started);
        return last;
    }

    private void reportCutShort(AccessListener listener, int notExamined, int total, long now) {
        pendingNotExamined += notExamined;
        if (pendingNotExamined > 0 && (!cutShortReported || now - lastCutShortReport >= CUT_SHORT_REPORT_SPACING_NANOS)) {
            listener.onLoss(new LossReport(CUT_SHORT, pendingNotExamined, "a scan ran out of its budget of "
                    + settings.scanBudget().toMillis() + "ms with " + notExamined + " of " + total
                    + " processes not examined (counted: processes left over, summed since the last report); the next"
                    + " scan starts with them, so descriptors they opened and closed in between were missed; raise "
                    + ProcfsSettings.SCAN_BUDGET + " or " + ProcfsSettings.INTERVAL));
            pendingNotExamined = 0;
            lastCutShortReport = now;
            cutShortReported = true;
        }
    }

    private void visit(int pid, long now, AccessListener listener, Counters c) {
        Tracked t = tracked.get(pid);
        if (t != null) {
            boolean due = fullScanNanos == 0 || (c.due < c.dueQuota && now - t.examinedAt >= fullScanNanos);
            if (!due) {
                long[] signature = currentSignature(t);
                if (signature != null && Arrays.equals(signature, t.signature)) {
                    t.busy = 0;
                    c.unchanged++;
                    return;
                }
                t.busy++;
            } else if (t.signature != null) {
                c.due++;
            }
        }
        examine(pid, t, now, listener, c);
    }

    /** The counters now, or {@code null} when they cannot tell that nothing ran (unknown, or the tasks changed). */
    private long[] currentSignature(Tracked t) {
        if (t.signature == null || t.tids == null) {
            return null;
        }
        Path dir = root.resolve(Integer.toString(t.pid));
        if (isLeaderOnly(t.pid, t.tids)) {
            return signature(dir, t.pid, t.tids);
        }
        try {
            int[] tids = ProcFiles.listIds(dir.resolve("task"));
            return Arrays.equals(tids, t.tids) ? signature(dir, t.pid, tids) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isLeaderOnly(int pid, int[] tids) {
        return tids.length == 1 && tids[0] == pid;
    }

    /**
     * The scheduling counters of every task in {@code tids}, or {@code null} when any is missing, unreadable or
     * all zero (then the process is simply re-read every scan).
     */
    private long[] signature(Path dir, int pid, int[] tids) {
        try {
            if (isLeaderOnly(pid, tids)) {
                return files.schedstat(dir.resolve("schedstat"));
            }
            long[] out = new long[tids.length * 3];
            Path task = dir.resolve("task");
            for (int i = 0; i < tids.length; i++) {
                long[] one = files.schedstat(task.resolve(Integer.toString(tids[i])).resolve("schedstat"));
                if (one == null) {
                    return null;
                }
                System.arraycopy(one, 0, out, i * 3, 3);
            }
            return out;
        } catch (IOException e) {
            return null;
        }
    }

    private void examine(int pid, Tracked old, long now, AccessListener listener, Counters c) {
        Path dir = root.resolve(Integer.toString(pid));
        ProcStat stat;
        try {
            files.read(dir.resolve("stat"));
            stat = ProcStatParser.parse(files.copy());
        } catch (IOException | ProcParseException e) {
            // gone (or, for a stat that does not parse, unusable): what was known of it is dropped with it
            tracked.remove(pid);
            c.vanished++;
            return;
        }
        Tracked t = old;
        boolean isNew = t == null || t.startTime != stat.startTime();
        if (isNew) {
            t = new Tracked(pid, stat.startTime());
            // procfs lists processes only; a simulated tree also lists threads, as links: skip those
            int tgid = realProcfs ? pid : inspector.tgidOf(pid);
            t.threadAlias = tgid > 0 && tgid != pid;
            if (!t.threadAlias) {
                c.newProcesses++;
            }
        }
        t.examinedAt = now;
        tracked.put(pid, t);
        if (t.threadAlias) {
            t.tids = new int[] {pid};
            t.signature = signature(dir, pid, t.tids);
            return;
        }

        int[] tids = null;
        long[] signature = null;
        // counters are only worth reading if a later scan may skip this process thanks to them
        boolean sign = fullScanNanos > 0
                && (t.taskCount <= 1 || t.busy < BUSY_AFTER || t.busy % BUSY_RECHECK == 0);
        if (sign) {
            try {
                tids = ProcFiles.listIds(dir.resolve("task"));
                t.taskCount = tids.length;
                if (tids.length <= Math.max(MAX_TASKS_TO_CHECK, t.fdCount)) {
                    signature = signature(dir, pid, tids);
                    if (!Arrays.equals(tids, ProcFiles.listIds(dir.resolve("task")))) {
                        signature = null; // a thread came or went while the counters were read
                    }
                }
            } catch (NoSuchFileException e) {
                tracked.remove(pid);
                c.vanished++;
                return;
            } catch (IOException e) {
                tids = null;
            }
        }
        c.examined++;
        Reader reader = new Reader(pid, stat);
        checkDescriptors(dir, t, reader, tids, signature, listener, c);
        // after the descriptors: a file held open is stronger evidence than a command line, and the policy
        // alerts once per reader, target and file, on whichever access comes first
        if (settings.commandLines() && tracked.get(pid) == t) {
            checkCommandLine(dir, t, isNew, reader, listener, c);
        }
    }

    private void checkDescriptors(Path dir, Tracked t, Reader reader, int[] tids, long[] signature,
                                  AccessListener listener, Counters c) {
        int pid = t.pid;
        FdTable table;
        try {
            table = FdLinks.list(root, pid, settings.maxFdsPerProcess());
        } catch (NoSuchFileException e) {
            tracked.remove(pid);
            c.vanished++;
            return;
        } catch (IOException e) {
            // another user's process without CAP_SYS_PTRACE: its descriptors are out of sight
            c.unreadable++;
            t.tids = tids;
            t.signature = signature;
            return;
        }
        c.fdsRead += table.links().size() + table.vanished();
        Map<Integer, HeldFd> held = null;
        Map<Integer, String> pathOnly = null;
        Targets.View view = null;
        for (FdLink link : table.links()) {
            String target = link.target();
            if (!mayBeProcFile(target)) {
                continue;
            }
            if (view == null) {
                view = targets.viewOf(pid);
            }
            Optional<ProcPath> path = ProcPaths.classify(target, view.mountPoints(), view.hostPoints());
            if (path.isEmpty()) {
                continue;
            }
            String key = target.endsWith(Targets.DELETED)
                    ? target.substring(0, target.length() - Targets.DELETED.length()) : target;
            // O_PATH pins the file and cannot read it: environ-guard's own fanotify sources hold hundreds of
            // these. The same descriptor showing the same path is the same open file: its flags are not re-read.
            if (key.equals(t.pathOnly.get(link.fd())) || isPathOnly(dir, link.fd())) {
                if (pathOnly == null) {
                    pathOnly = new HashMap<>();
                }
                pathOnly.put(link.fd(), key);
                c.pathOnly++;
                continue;
            }
            if (held == null) {
                held = new HashMap<>();
            }
            Path fdLink = dir.resolve("fd").resolve(Integer.toString(link.fd()));
            Targets.Resolved r = targets.resolve(path.get(), target, pid, t.startTime, view, fdLink);
            HeldFd prev = t.held.get(link.fd());
            if (prev != null && prev.path().equals(key) && !(r.current() && r.startTime() != prev.targetStart())) {
                held.put(link.fd(), prev); // the same open file as at an earlier scan: reported then
                continue;
            }
            List<String> notes = new ArrayList<>(r.notes());
            notes.add("descriptor " + link.fd() + " of the reader was open on this file at a scan; when it was"
                    + " opened, and whether it was read, polling cannot tell");
            deliver(listener, c, access(AccessKind.HELD_OPEN, r, reader, notes));
            held.put(link.fd(), new HeldFd(key, r.startTime()));
        }
        t.held = held == null ? Map.of() : held;
        t.pathOnly = pathOnly == null ? Map.of() : pathOnly;
        if (table.truncated() && !t.truncatedReported) {
            t.truncatedReported = true;
            listener.onLoss(new LossReport(FD_LIMIT, 1, "process " + pid + " holds more than "
                    + settings.maxFdsPerProcess() + " descriptors; only the first " + settings.maxFdsPerProcess()
                    + " are checked (raise " + ProcfsSettings.MAX_FDS + ")"));
        }
        t.fdCount = table.links().size();
        t.tids = tids;
        t.signature = signature;
    }

    private void checkCommandLine(Path dir, Tracked t, boolean isNew, Reader reader, AccessListener listener,
                                  Counters c) {
        byte[] bytes;
        int length;
        try {
            bytes = files.read(dir.resolve("cmdline"));
            length = files.length();
        } catch (IOException e) {
            return; // gone or unreadable: the descriptor read that follows tells which
        }
        long hash = hash(bytes, length);
        if (!isNew && t.cmdlineKnown && hash == t.cmdlineHash) {
            return;
        }
        t.cmdlineKnown = true;
        t.cmdlineHash = hash;
        if (!CommandLineMentions.mayMention(bytes, length)) {
            return;
        }
        List<String> args = CmdlineParser.parse(Arrays.copyOf(bytes, length));
        Targets.View view = targets.viewOf(reader.pid);
        CommandLineMentions.Found found = CommandLineMentions.find(args, view.mountPoints(), view.hostPoints());
        boolean first = true;
        for (CommandLineMentions.Mention m : found.mentions()) {
            Targets.Resolved r;
            List<String> notes = new ArrayList<>(3);
            switch (m.shape()) {
                case EXACT:
                    r = targets.resolve(m.path(), m.text(), reader.pid, reader.startTime, view, null);
                    notes.addAll(r.notes());
                    break;
                case PATTERN:
                    r = new Targets.Resolved(m.file(), m.text(), m.alias(), -1, -1, -1, false, false, List.of());
                    notes.add("the path is a pattern or is built when the command runs (" + m.text()
                            + "): which processes it named is not known");
                    break;
                default:
                    r = new Targets.Resolved(ProcFile.ENVIRON, null, AliasKind.UNKNOWN, -1, -1, -1, false, false,
                            List.of());
                    notes.add("ps asked to print environments (" + m.text() + ": the BSD option e or the format"
                            + " environ) prints the environment of every process it lists and may read");
                    break;
            }
            notes.add("seen on the reader's command line: polling cannot tell whether the file was read");
            if (first && found.omitted() > 0) {
                notes.add(found.omitted() + " more paths on this command line were not reported");
            }
            first = false;
            deliver(listener, c, access(AccessKind.COMMAND_LINE, r, reader, notes));
        }
    }

    private EnvironAccess access(AccessKind kind, Targets.Resolved r, Reader reader, List<String> notes) {
        ProcessInfo readerInfo = reader.info(notes);
        ProcessInfo target;
        if (r.pid() == reader.pid && (r.alias() == AliasKind.SELF || r.startTime() == reader.startTime)) {
            target = reader.asTarget(r.tid());
        } else if (r.inspectable()) {
            // Through the table, the generation that started at the resolved start time: a target that exited
            // since (its pid perhaps reused) is described as the table last saw it, or by pid alone.
            target = lookup().describe("target", r.pid(), r.startTime(), r.tid(), -1, notes);
        } else if (r.pid() > 0) {
            target = ProcessInfo.builder(r.pid()).tid(r.tid()).complete(false).build();
        } else {
            target = ProcessInfo.unknown();
        }
        return EnvironAccess.builder()
                .time(clock.instant())
                .source(SOURCE)
                .kind(kind)
                .file(r.file())
                .path(r.path())
                .alias(r.alias())
                .reader(readerInfo)
                .target(target)
                .notes(notes)
                .build();
    }

    private static void deliver(AccessListener listener, Counters c, EnvironAccess access) {
        c.accesses++;
        listener.onAccess(access);
    }

    /** Whether descriptor {@code fd} was opened with {@code O_PATH} ({@code fdinfo} flags; false when unknown). */
    private boolean isPathOnly(Path dir, int fd) {
        int flags = files.fdFlags(dir.resolve("fdinfo").resolve(Integer.toString(fd)));
        return flags >= 0 && (flags & O_PATH) != 0;
    }

    /** A cheap test before classification: the link ends with {@code /environ} or {@code /mem} (perhaps " (deleted)"). */
    private static boolean mayBeProcFile(String target) {
        int end = target.length();
        if (target.endsWith(Targets.DELETED)) {
            end -= Targets.DELETED.length();
        }
        return target.startsWith("/environ", end - 8) || target.startsWith("/mem", end - 4);
    }

    private static long hash(byte[] bytes, int length) {
        long h = 1125899906842597L + length;
        for (int i = 0; i < length; i++) {
            h = 31 * h + bytes[i];
        }
        return h;
    }

    /** The process table readers and targets are described through (the source sets it before its first scan). */
    void lookup(ProcessLookup lookup) {
        this.lookup = lookup;
    }

    private ProcessLookup lookup() {
        if (lookup == null) {
            throw new IllegalStateException("no process table: the source sets one before it scans");
        }
        return lookup;
    }

    /** The process being examined: described once, through the table, when the first access needs it. */
    private final class Reader {
        final int pid;
        final long startTime;
        final String comm;
        private ProcessInfo info;
        private List<String> infoNotes;
        private Map<Integer, ProcessInfo> asTargets;

        Reader(int pid, ProcStat stat) {
            this.pid = pid;
            this.startTime = stat.startTime();
            this.comm = stat.comm();
        }

        ProcessInfo info(List<String> notes) {
            if (info == null) {
                infoNotes = new ArrayList<>(1);
                ProcessInfo i = lookup().describe("reader", pid, startTime, ProcessInfo.UNKNOWN, -1, infoNotes);
                // Gone before it could be read: its name was in the stat just read.
                info = i.comm() != null ? i : i.toBuilder().comm(comm).build();
            }
            notes.addAll(infoNotes);
            return info;
        }

        ProcessInfo info() {
            return info(new ArrayList<>(0));
        }

        /** The reader as the target of its own file, through thread {@code tid} (or none, -1). */
        ProcessInfo asTarget(int tid) {
            if (tid <= 0) {
                return info();
            }
            if (asTargets == null) {
                asTargets = new HashMap<>();
            }
            // a process pinning its own aliases holds several per thread: build each record once
            return asTargets.computeIfAbsent(tid, t -> info().toBuilder().tid(t).build());
        }
    }
}
