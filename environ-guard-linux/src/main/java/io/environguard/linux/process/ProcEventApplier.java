package io.environguard.linux.process;

import io.environguard.linux.process.ProcessRecord.CommandLineState;
import io.environguard.linux.process.ProcessRecord.Origin;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Applies process events and {@code /proc} scans to a {@link ProcessTable}: the feed's logic, apart from the
 * socket it reads, so that a scripted sequence of events drives it exactly as the kernel does.
 *
 * <ul>
 *   <li><b>fork</b>: the child inherits its parent's record (exe, name, command line, uids, cgroup, namespaces)
 *       with a start time derived from the message's timestamp ({@link BootClock}).</li>
 *   <li><b>exec</b>: name and executable from the exec log ({@link ExecImages}) and the namespaces (two
 *       readlinks, made only when a pidfd shows the process not yet reaped); without an image, the process is read again through the {@link ProcessProbe} (exe, name,
 *       exact start time, uids, cgroup, namespaces). Its command line is queued for the
 *       {@link CommandLineReader}. If it is already gone, its image is marked unknown rather than left as its
 *       parent's.</li>
 *   <li><b>exit</b> of a process's main thread: it becomes a tombstone.</li>
 *   <li><b>comm</b>, <b>uid</b>, <b>gid</b>: updated in place; a rename also re-reads the command line
 *       (programs that rename themselves usually rewrite their arguments too).</li>
 *   <li><b>scan</b>: every process in {@code /proc} is read; those the table holds are refreshed, new ones
 *       added, running ones the scan no longer finds made tombstones (after a check that they are really
 *       gone), and a pid that now holds another process makes the old one a tombstone.</li>
 * </ul>
 * A message about a generation older than the one the table holds (an exit or exec stamped before the holder
 * started) is ignored. Confined to the feed's lock: one thread applies at a time.
 */
final class ProcEventApplier {

    private final ProcessTable table;
    private final ProcessProbe probe;
    private final BootClock clock;
    private final int commandLineBytes;
    private final java.util.function.LongSupplier nanoTime;
    private CommandLineReader commandLines;
    private ExecImages images;

    private final AtomicLong forks = new AtomicLong();
    private final AtomicLong execs = new AtomicLong();
    private final AtomicLong exits = new AtomicLong();
    private final AtomicLong execsMissed = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();
    private final AtomicLong imagesUsed = new AtomicLong();
    private final AtomicLong derivedConfirmed = new AtomicLong();
    private final AtomicLong derivedCorrected = new AtomicLong();

    ProcEventApplier(ProcessTable table, ProcessProbe probe, BootClock clock, int commandLineBytes) {
        this(table, probe, clock, commandLineBytes, System::nanoTime);
    }

    /** As above, with the clock a scan tells "now" by ({@code System.nanoTime} scale; tests pass their own). */
    ProcEventApplier(ProcessTable table, ProcessProbe probe, BootClock clock, int commandLineBytes,
                     java.util.function.LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.table = table;
        this.probe = probe;
        this.clock = clock;
        this.commandLineBytes = commandLineBytes;
    }

    /** Where command lines are read; without one, records keep {@code NOT_READ}. */
    void commandLines(CommandLineReader reader) {
        this.commandLines = reader;
    }

    /** Where exec'd images are recorded by the kernel; without one, each exec is read from {@code /proc}. */
    void execImages(ExecImages log) {
        this.images = log;
    }

    /** Execs named from the exec log. */
    long imagesUsed() {
        return imagesUsed.get();
    }

    /** The results sink the command-line reader reports to: into the table, for the exact image it was read for. */
    CommandLineReader.Results commandLineResults() {
        return new CommandLineReader.Results() {
            @Override
            public void read(int pid, long start, int execCount, List<String> args) {
                table.update(pid, start, r -> r.execs() != execCount ? null
                        : r.toBuilder().commandLine(args, commandLineBytes, CommandLineState.READ).build());
            }

            @Override
            public void failed(int pid, long start, int execCount, CommandLineState why) {
                // A failed refresh keeps what was read before, with the state saying the last read failed.
                table.update(pid, start, r -> r.execs() != execCount ? null
                        : r.toBuilder().commandLineState(why).build());
            }
        };
    }

    long forks() {
        return forks.get();
    }

    long execs() {
        return execs.get();
    }

    long exits() {
        return exits.get();
    }

    /** Execs whose process was gone before it could be read: their image is unknown. */
    long execsMissed() {
        return execsMissed.get();
    }

    /** Messages about a generation older than the one held, ignored. */
    long stale() {
        return stale.get();
    }

    /** Start times derived at fork that the exact value read later confirmed. */
    long derivedConfirmed() {
        return derivedConfirmed.get();
    }

    /** Start times derived at fork that the exact value read later corrected (a tick boundary fell between). */
    long derivedCorrected() {
        return derivedCorrected.get();
    }

    void apply(ProcEvent event) {
        if (event instanceof ProcEvent.Fork fork) {
            fork(fork);
        } else if (event instanceof ProcEvent.Exec exec) {
            exec(exec);
        } else if (event instanceof ProcEvent.Exit exit) {
            if (exit.pid() == exit.tgid()) {
                exits.incrementAndGet();
                if (table.markExited(exit.tgid(), clock.ticks(exit.timestampNanos()), exit.timestampNanos()) == null) {
                    stale.incrementAndGet();
                }
            }
        } else if (event instanceof ProcEvent.Comm comm) {
            comm(comm);
        } else if (event instanceof ProcEvent.Ids ids) {
            if (ids.pid() == ids.tgid()) {
                // The generation that ran then (a newer one with this pid may be known already).
                ProcessRecord r = table.forAccess(ids.tgid(), 0, clock.ticks(ids.timestampNanos()));
                if (r != null) {
                    table.update(r.pid(), r.startTime(), x -> ids.group()
                            ? x.toBuilder().gid(ids.realId()).build() : x.toBuilder().uid(ids.realId()).build());
                }
            }
        }
    }

    private void fork(ProcEvent.Fork e) {
        if (e.childPid() != e.childTgid()) {
            return; // a thread
        }
        forks.incrementAndGet();
        long start = clock.ticks(e.timestampNanos());
        ProcessRecord existing = table.find(e.childTgid(), start);
        ProcessRecord parent = table.forAccess(e.parentTgid(), 0, start);
        if (existing != null) {
            // Already read from /proc (a scan, or an exec applied late): keep that image, but the fork names the
            // parent that started it, where /proc may show an adoptive one by now.
            if (parent != null && (existing.ppid() != parent.pid() || !parent.startedAt(existing.parentStart()))) {
                table.update(existing.pid(), existing.startTime(),
                        r -> r.toBuilder().parent(parent.pid(), parent.startTime()).build());
            }
            return;
        }
        if (parent == null) {
            // A parent the table never held (it started and exec'd in a gap): read the child itself.
            capture(e.childTgid(), Origin.LATE, e.parentTgid());
            return;
        }
        // The child shares its parent's namespaces unless it was cloned into new ones; those are read at its exec
        // (a clone into new namespaces execs the container's first program), with anything unshare() changed.
        ProcessRecord.Builder child = parent.forkedChild(e.childTgid(), start, true);
        CommandLineState inherited = parent.commandLineState() == CommandLineState.READ
                ? CommandLineState.INHERITED : parent.commandLineState();
        child.commandLineState(inherited);
        ProcessRecord stored = table.insert(child.build());
        if (parent.commandLineState() == CommandLineState.PENDING && stored.isLive()) {
            // The parent's own read is still out: read the child's, which holds the same arguments.
            submitCommandLine(stored, probe.openPidfd(stored.pid()));
        }
    }

    private void exec(ProcEvent.Exec e) {
        execs.incrementAndGet();
        int pid = e.tgid();
        long at = clock.ticks(e.timestampNanos());
        ProcessRecord held = table.newest(pid);
        if (held != null && held.startTime() > at) {
            stale.incrementAndGet(); // an exec of a process older than the one the table holds for this pid
            return;
        }
        ExecImages.Image image = images == null ? null : images.take(pid, e.timestampNanos());
        if (image == null && images != null) {
            images.refresh(); // written after the last look, before this message was sent
            image = images.take(pid, e.timestampNanos());
        }
        if (image != null && execFromImage(pid, held, image)) {
            return;
        }
        ProcessProbe.Capture c = probe.capture(pid, probe.usesPidfds());
        if (c == null || !c.facts().verified() && (held == null || !held.startedAt(c.facts().startTime()))) {
            if (c != null) {
                c.closePidfd();
            }
            // Gone before it could be read: what it exec'd is unknown; it is not its parent's image any more.
            execsMissed.incrementAndGet();
            if (held != null && held.isLive()) {
                table.update(pid, held.startTime(), r -> r.toBuilder().exe(null, -1, -1).comm(null)
                        .commandLine((byte[]) null, CommandLineState.UNREADABLE).origin(Origin.EXEC)
                        .execs(r.execs() + 1).imageKnown(false).build());
            }
            return;
        }
        ProcessFacts f = c.facts();
        if (f.startTime() > at) {
            // /proc shows a process that started after this exec: the pid was reused since. The exec'd image
            // is lost; the newer process is added as it is now.
            c.closePidfd();
            execsMissed.incrementAndGet();
            if (held != null && held.isLive() && held.startTime() <= at) {
                table.update(pid, held.startTime(), r -> r.toBuilder().exe(null, -1, -1).comm(null)
                        .commandLine((byte[]) null, CommandLineState.UNREADABLE).origin(Origin.EXEC)
                        .execs(r.execs() + 1).imageKnown(false).build());
            }
            capture(pid, Origin.LATE, -1);
            return;
        }
        ProcessRecord same = held != null && held.startedAt(f.startTime()) ? held : table.find(pid, f.startTime());
        long parentStart = same == null || same.ppid() < 0 ? parentStartNow(f) : -1; // no I/O inside an update
        ProcessRecord stored = same != null && same.isLive()
                ? table.update(pid, same.startTime(), r -> merge(f, r, Origin.EXEC, true, parentStart))
                : table.insert(merge(f, same, Origin.EXEC, true, parentStart));
        if (stored == null) {
            stored = table.find(pid, f.startTime());
        }
        if (stored != null && stored.commandLineState() == CommandLineState.PENDING) {
            submitCommandLine(stored, c.pidfd());
        } else {
            c.closePidfd();
        }
    }

    /**
     * Applies an exec whose image the kernel recorded: name and executable from the image, the rest (start,
     * parent, uids, namespaces, cgroup: an exec changes none of them) from the record made at fork.
     *
     * @return false when the table holds no running generation to apply it to and the process is gone
     */
    private boolean execFromImage(int pid, ProcessRecord held, ExecImages.Image image) {
        ProcessRecord target = held;
        if (target == null || !target.isLive()) {
            target = capture(pid, Origin.LATE, -1); // its fork was not seen: read the rest now
            if (target == null) {
                return false;
            }
        }
        imagesUsed.incrementAndGet();
        String comm = table.intern(image.comm());
        // The kernel lost the binary's mapping record (or it never came): the exe link of the process, if it still
        // runs, names what it exec'd; its device and inode stay unknown.
        boolean mapped = image.exe() != null;
        String exe = table.intern(mapped ? image.exe() : exeNowOf(pid, target.startTime()));
        long device = mapped ? image.device() : -1;
        long inode = mapped ? image.inode() : -1;
        // The pidfd first: one cheap call that tells whether the process is still there. Under a burst of short
        // processes most are reaped by the time their exec message is applied (the feed lets bursts gather), and
        // then the namespace readlinks below could only fail (two /proc path walks each) or, once the pid is
        // reused, read another process's; a reaped process's arguments are gone with it too. Held, the pidfd also
        // pins the pid for the readlinks and for the command-line read it is handed to.
        int pidfd = probe.openPidfd(pid);
        boolean reaped = pidfd < 0 && probe.usesPidfds();
        // Two readlinks: a clone or unshare() into new namespaces shows here. Reaped: the namespaces of its fork.
        long[] ns = reaped ? null : probe.namespaces(pid);
        CommandLineState commandLine = commandLines == null ? CommandLineState.NOT_READ
                : reaped ? CommandLineState.UNREADABLE : CommandLineState.PENDING;
        ProcessRecord stored = table.update(pid, target.startTime(), r -> withNamespaces(r.toBuilder(), ns).comm(comm)
                .exe(exe, device, inode).kernelThread(false).imageKnown(true).origin(Origin.EXEC)
                .execs(r.execs() + 1).commandLine((byte[]) null, commandLine).build());
        if (stored != null && stored.commandLineState() == CommandLineState.PENDING) {
            submitCommandLine(stored, pidfd);
        } else if (pidfd >= 0) {
            io.environguard.linux.nativeio.LinuxLibC.close(pidfd);
        }
        return true;
    }

    /**
     * The executable of generation {@code pid}@{@code startTime} from its exe link now, or {@code null} when it is
     * gone or its pid belongs to another process by now (read after the link, so a reuse before it is caught).
     */
    private String exeNowOf(int pid, long startTime) {
        String exe = probe.exeNow(pid);
        return exe != null && probe.startTimeOf(pid) == startTime ? exe : null;
    }

    private static ProcessRecord.Builder withNamespaces(ProcessRecord.Builder b, long[] ns) {
        return ns != null && ns[0] >= 0 ? b.namespaces(ns[0], ns[1]) : b;
    }

    private void comm(ProcEvent.Comm e) {
        if (e.pid() != e.tgid()) {
            return; // a thread renamed itself; the process's name is its main thread's
        }
        ProcessRecord r = table.forAccess(e.tgid(), 0, clock.ticks(e.timestampNanos()));
        if (r == null) {
            return;
        }
        String comm = table.intern(e.comm());
        ProcessRecord stored = table.update(r.pid(), r.startTime(), x -> x.toBuilder().comm(comm).build());
        if (stored != null && stored.isLive() && !stored.kernelThread()) {
            submitCommandLine(stored, probe.openPidfd(stored.pid()));
        }
    }

    /**
     * Reads {@code pid} now and puts it in the table (a process the table did not hold, or held stale).
     *
     * @param knownParent the parent's pid when a fork message named it, else -1 (the parent is then the one
     *                    {@code /proc} shows now)
     * @return the record, or {@code null} when the process is gone
     */
    ProcessRecord capture(int pid, Origin origin, int knownParent) {
        ProcessProbe.Capture c = probe.capture(pid, probe.usesPidfds());
        if (c == null) {
            return null;
        }
        ProcessFacts f = c.facts();
        ProcessRecord same = table.find(pid, f.startTime());
        ProcessRecord record = merge(f, same, origin, false, same == null || same.ppid() < 0 ? parentStartNow(f) : -1);
        if (same == null && knownParent > 0 && knownParent != f.ppid()) {
            // The fork message named the parent; /proc shows an adoptive one (the parent has exited).
            ProcessRecord parent = table.forAccess(knownParent, 0, f.startTime());
            record = record.toBuilder().parent(knownParent, parent == null ? -1 : parent.startTime()).build();
        }
        ProcessRecord stored = table.insert(record);
        if (stored.isLive() && stored.commandLineState() == CommandLineState.PENDING) {
            submitCommandLine(stored, c.pidfd());
        } else {
            c.closePidfd();
        }
        return stored;
    }

    /**
     * Reads every process in {@code /proc} into the table and retires those it no longer finds.
     *
     * @return how many processes were read
     */
    int scan() {
        return look(true);
    }

    /**
     * Brings the table up to date from {@code /proc} at the cost of a listing and one {@code stat} read per process
     * it already holds: a pid it does not hold as running, or that holds another process now (pid reuse: another
     * start time), is read in full; a running process no longer listed is made a tombstone. What a held process
     * changed in place (an exec, a rename) is not read here: a source re-reads a running process when it resolves
     * it ({@link ProcessFeed#capture}).
     *
     * @return how many processes were read in full
     */
    int poll() {
        return look(false);
    }

    /** A scan ({@code full}: every process read) or a poll (only those the table does not hold as they are). */
    private int look(boolean full) {
        long startedAt = clock.ticks(nanoTime.getAsLong());
        List<Integer> pids = probe.pids();
        Map<Integer, ProcessFacts> seen = new HashMap<>(full ? pids.size() * 2 : 16);
        Set<Integer> kept = new HashSet<>(full ? 16 : pids.size() * 2);
        for (int pid : pids) {
            ProcessRecord held = full ? null : table.live(pid);
            if (held != null) {
                long now = probe.startTimeOf(pid);
                if (now < 0 || held.startedAt(now)) {
                    kept.add(pid); // the same process (or gone since the listing: the next look retires it)
                    continue;
                }
                table.markGone(pid, held.startTime()); // the pid was reused between two looks
            }
            ProcessProbe.Capture c = probe.capture(pid, false);
            if (c != null) {
                seen.put(pid, c.facts());
            }
        }
        // Parents first where the scan shows them, so that each child finds its parent's start time.
        Set<Integer> done = new HashSet<>(seen.size() * 2);
        for (ProcessFacts f : seen.values()) {
            insertScanned(f, seen, done, 0);
        }
        for (int pid : table.livePids()) {
            if (seen.containsKey(pid) || kept.contains(pid)) {
                continue;
            }
            ProcessRecord r = table.live(pid);
            if (r == null || r.startTime() > startedAt) {
                continue; // forked after the listing began: not missing
            }
            long now = probe.startTimeOf(pid);
            if (now < 0 || !r.startedAt(now)) {
                table.markGone(pid, r.startTime());
                if (now >= 0) {
                    capture(pid, Origin.SCAN, -1); // the pid holds another process now
                }
            }
        }
        return seen.size();
    }

    private void insertScanned(ProcessFacts f, Map<Integer, ProcessFacts> seen, Set<Integer> done, int depth) {
        if (!done.add(f.pid())) {
            return;
        }
        ProcessFacts parent = seen.get(f.ppid());
        if (parent != null && depth < 64) {
            insertScanned(parent, seen, done, depth + 1);
        }
        ProcessRecord same = table.find(f.pid(), f.startTime());
        ProcessRecord stored = table.insert(merge(f, same, Origin.SCAN, false, parent == null ? -1 : parent.startTime()));
        if (stored.isLive() && stored.commandLineState() == CommandLineState.PENDING) {
            submitCommandLine(stored, -1);
        }
    }

    /**
     * The start time of {@code f}'s parent as {@code /proc} shows it now. Not the table's: when the table lags,
     * it may still hold an older process under the parent's pid.
     */
    private long parentStartNow(ProcessFacts f) {
        return f.ppid() > 0 ? probe.startTimeOf(f.ppid()) : -1;
    }

    /**
     * {@code f} as a record, merged into {@code same} (the generation already held, or {@code null}).
     *
     * @param exec        whether {@code f} was read after an exec (a new image: a new command line)
     * @param parentStart for a record whose parent is not known yet: its parent's start time, or -1 when unknown
     */
    private ProcessRecord merge(ProcessFacts f, ProcessRecord same, Origin origin, boolean exec, long parentStart) {
        ProcessRecord.Builder b;
        boolean newImage = exec;
        if (same == null) {
            b = ProcessRecord.builder(f.pid(), f.startTime()).parent(f.ppid(), parentStart);
            newImage = true;
        } else {
            // The parent that forked it stays (a scan shows the adoptive one after the parent's exit); an exact
            // start replaces a derived one, keeping the tolerance if they differed (children may hold the old one).
            boolean differed = same.startTime() != f.startTime();
            if (same.origin() == Origin.FORK) {
                (differed ? derivedCorrected : derivedConfirmed).incrementAndGet();
            }
            b = same.toBuilder(f.startTime(), same.startDerived() && differed);
            if (same.ppid() < 0) {
                b.parent(f.ppid(), parentStart);
            }
            if (!exec && !sameImage(same, f)) {
                newImage = true; // an exec the table missed (a gap in the events)
            }
        }
        if (f.uid() >= 0) {
            b.uid(f.uid()).gid(f.gid());
        }
        String comm = table.intern(f.comm());
        b.comm(comm);
        if (f.exe() != null || f.kernelThread() || newImage) {
            b.exe(table.intern(f.exe()), f.exeDevice(), f.exeInode());
        }
        b.cgroup(f.cgroupId(), table.intern(f.containerId()));
        if (f.mountNamespace() >= 0 || f.pidNamespace() >= 0) {
            b.namespaces(f.mountNamespace(), f.pidNamespace());
        }
        b.kernelThread(f.kernelThread()).imageKnown(true).origin(origin);
        if (f.kernelThread()) {
            b.commandLine((byte[]) null, CommandLineState.READ);
        } else if (newImage || same.commandLineState() == CommandLineState.NOT_READ
                || same.commandLineState() == CommandLineState.UNREADABLE) {
            b.commandLine((byte[]) null, commandLines == null ? CommandLineState.NOT_READ : CommandLineState.PENDING);
            if (same != null && newImage) {
                b.execs(same.execs() + 1);
            }
        }
        return b.build();
    }

    private static boolean sameImage(ProcessRecord r, ProcessFacts f) {
        if (!r.imageKnown()) {
            return false;
        }
        if (r.exeInode() >= 0 && f.exeInode() >= 0) {
            return r.exeInode() == f.exeInode() && r.exeDevice() == f.exeDevice();
        }
        return f.exe() == null || f.exe().equals(r.exe());
    }

    private void submitCommandLine(ProcessRecord r, int pidfd) {
        CommandLineReader reader = commandLines;
        if (reader == null) {
            if (pidfd >= 0) {
                io.environguard.linux.nativeio.LinuxLibC.close(pidfd);
            }
            return;
        }
        if (!reader.submit(r.pid(), r.startTime(), r.execs(), pidfd)) {
            table.update(r.pid(), r.startTime(), x -> x.execs() == r.execs()
                    && x.commandLineState() == CommandLineState.PENDING
                    ? x.toBuilder().commandLineState(CommandLineState.NOT_READ).build() : null);
        }
    }
}
