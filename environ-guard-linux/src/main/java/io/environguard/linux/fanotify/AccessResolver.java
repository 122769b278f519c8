package io.environguard.linux.fanotify;

import io.environguard.api.AccessKind;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.fanotify.ProcInstance.PidNamespace;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PidfdInfo;
import io.environguard.linux.nativeio.Pidfds;
import io.environguard.linux.proc.PidNamespaceMapper;
import io.environguard.linux.proc.ProcPath;
import io.environguard.linux.proc.ProcPaths;
import io.environguard.linux.proc.ProcReads;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.linux.process.NativeProcReads;
import io.environguard.linux.process.ProcessFacts;
import io.environguard.linux.process.ProcessFeed;
import io.environguard.linux.process.ProcessLookup;
import io.environguard.linux.process.ProcessProbe;
import io.environguard.linux.process.ProcessRecord;
import io.environguard.linux.process.ProcessTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a {@link RawAccess.Open} into an {@link EnvironAccess}: which procfs instance, which alias, which
 * process is the target (its thread group, for every thread alias), and who the reader is. Runs on the
 * resolver thread, never on the kernel-read thread; not thread-safe.
 *
 * <p>Reader and target come from the {@link ProcessTable}, which captured each process when it appeared (fork,
 * exec, the scan at start): a reader that exited long before its event is resolved is still named by exe,
 * name, parent, uid, start time, container and ancestors. Before it looks, the resolver lets the table's feed
 * apply the process events queued so far ({@link ProcessFeed#catchUp}, bounded): the kernel queued the
 * reader's fork and exec messages before the reader could open anything. The reader's pidfd picks the right
 * generation of a reused pid (alive: the running one; exited: the one that had started by the event). Only a
 * process the table does not hold is read from {@code /proc} now ({@link ProcessFeed#capture}), and never its
 * {@code cmdline}: nothing here reads memory a reader controls, so no reader can delay its alert or another's.
 *
 * <p>The target is the process (tgid) for {@code /proc/P/environ}, {@code /proc/P/task/T/environ},
 * {@code /proc/T/environ} (T a thread id: the alias becomes {@link AliasKind#THREAD}) and
 * {@code /proc/T/task/U/environ}. For an instance of another pid namespace, the number in the path is
 * mapped to this namespace's pid through {@code NSpid}; when that is impossible the pid stays the
 * namespace-local one and a note says so.
 */
final class AccessResolver {

    private final Supplier<ProcInstanceTracker.Snapshot> instances;
    private final ProcessInspector host;
    private final PidNamespaceMapper mapper;
    private final Pidfds pidfds = new Pidfds();
    private final boolean threadPidfds;
    private final ProcessFeed feed;
    private final ProcessTable table;
    private final long catchUpNanos;
    /**
     * How much longer than usual to wait for the feed when it is behind and the reader is one it may not have
     * reached (twice the usual wait for a turn, and ten times the usual work: 20 and 100 ms by default).
     */
    private static final long SECOND_CHANCE_FACTOR = 2;
    /** How long before an event's read an exit may be and still be taken for the reader's own (see reader()). */
    private static final long JUST_EXITED_NANOS = 10_000_000L;
    /** The table's command-line wait and notes, shared with the other sources. */
    private final ProcessLookup lookup;

    /**
     * @param instances    the current procfs instances
     * @param hostProc     this process's {@code /proc}
     * @param threadPidfds whether {@code pidfd_open(tid, PIDFD_THREAD)} plus {@code PIDFD_GET_INFO} may be tried to
     *                     map a thread id to its process without opening a {@code /proc} file
     * @param beforeOpen   told of every file of the host's {@code /proc} about to be opened (the source marks it so
     *                     that the open makes no event: see {@link IgnoreMarks})
     * @param feed         the process table and what keeps it current
     * @param catchUpNanos how long to let the feed apply pending process events before resolving
     * @param commandLineTimeoutMillis the table's command-line deadline, for notes
     * @param commandLineWaitNanos     how long to wait for a command-line read already under way (0: never); in
     *                                 total at most 20 ms per second, whoever the readers are
     */
    AccessResolver(Supplier<ProcInstanceTracker.Snapshot> instances, Path hostProc, boolean threadPidfds,
                   ProcessInspector.BeforeOpen beforeOpen, ProcessFeed feed, long catchUpNanos,
                   long commandLineTimeoutMillis, long commandLineWaitNanos) {
        this.instances = instances;
        this.host = new ProcessInspector(hostProc, NativeProcReads.INSTANCE, beforeOpen);
        this.mapper = new PidNamespaceMapper(hostProc);
        this.threadPidfds = threadPidfds;
        this.feed = feed;
        this.table = feed.table();
        this.catchUpNanos = catchUpNanos;
        this.lookup = new ProcessLookup(feed, commandLineTimeoutMillis, commandLineWaitNanos);
    }

    /** The access, or empty when the path is no per-process environ or mem file after all. */
    Optional<EnvironAccess> resolve(RawAccess.Open open) {
        ProcInstanceTracker.Snapshot snapshot = instances.get();
        List<String> notes = new ArrayList<>(2);
        String device = open.device() >= 0 ? FdInspector.deviceString(open.device()) : null;
        ProcInstance instance = device == null ? null : snapshot.byDevice().get(device);
        Optional<ProcPath> classified;
        if (instance != null) {
            classified = ProcPaths.classify(open.path(), instance.mountPoints(),
                    instance.hostInstance() ? instance.mountPoints() : List.of());
            if (classified.isEmpty()) {
                // A mount of this instance made after the last scan (a new bind mount of /proc, say): the
                // device already says which instance it is, and the path's tail where its mount point ends.
                Optional<String> mountPoint = mountPointOf(open.path());
                if (mountPoint.isPresent()) {
                    List<String> points = List.of(mountPoint.get());
                    classified = ProcPaths.classify(open.path(), points, instance.hostInstance() ? points : List.of());
                }
            }
        } else {
            ProcInstance hostInstance = snapshot.host();
            classified = ProcPaths.classify(open.path(), snapshot.allMountPoints(),
                    hostInstance == null ? List.of(ProcPaths.HOST_PROC) : hostInstance.mountPoints());
            notes.add("procfs instance " + (device == null ? "(unknown device)" : device)
                    + " was not in the mount tables when this access was resolved; its pids are taken as this"
                    + " pid namespace's");
        }
        if (classified.isEmpty()) {
            return Optional.empty();
        }
        ProcPath path = classified.get();
        boolean caughtUp = feed.catchUp(catchUpNanos, open.nanoTime());
        ProcessInfo reader = reader(open, notes, caughtUp);
        Target target = target(path, instance, reader, notes);
        return Optional.of(EnvironAccess.builder()
                .time(open.time())
                .source(FanotifyHostSource.NAME)
                .kind(AccessKind.OPEN)
                .file(path.file())
                .path(open.path())
                .alias(target.alias)
                .reader(reader)
                .target(target.info)
                .notes(notes)
                .build());
    }

    private ProcessInfo reader(RawAccess.Open open, List<String> notes, boolean caughtUp) {
        int pid = open.readerPid();
        if (pid <= 0) {
            notes.add("the kernel did not name the reader: it runs in a pid namespace this process cannot see");
            return ProcessInfo.unknown();
        }
        int pidfd = open.pidfd();
        PidfdInfo info = open.readerInfo();
        // Exited (a zombie too: its exit is in the table already, or queued) or still running.
        int alive = open.readerGone() ? 0 : pidfd >= 0 ? (pidfds.hasExited(pidfd) ? 0 : 1) : -1;
        long tick = feed.ticks(open.nanoTime());
        ProcessRecord record = table.forAccess(pid, alive, tick);
        if (record == null && alive == 1) {
            // Running by its pidfd, exited by the table: the kernel sends the exit message a moment before the
            // process turns into a zombie (when its pidfd becomes readable). An exit after the event was read is
            // that same process's; a pid is not reused within such a moment.
            ProcessRecord exited = table.forAccess(pid, 0, tick);
            if (exited != null && !exited.isLive() && exited.exitNanos() - open.nanoTime() > -JUST_EXITED_NANOS) {
                record = exited;
            }
        }
        if (!caughtUp && (record == null || record.origin() == ProcessRecord.Origin.FORK)) {
            // The feed is behind (a storm of processes, a starved machine) and this reader is one it may not have
            // reached: not held at all, or held as it was forked, before an exec that may still be queued. Give it
            // a second, longer chance for this access alone.
            caughtUp = feed.catchUp(SECOND_CHANCE_FACTOR * catchUpNanos, open.nanoTime());
            record = table.forAccess(pid, alive, tick);
        }
        if (!caughtUp) {
            notes.add("the process table was still applying process events when this access was resolved (a"
                    + " burst, or a resynchronisation): details of a process that exec'd in the last moments may be"
                    + " those from before its exec");
        }
        if (record == null && alive != 0) {
            // Not held (it predates the guard and the scan missed it, or its events were lost): read it now.
            record = feed.capture(pid);
            if (record != null && pidfd >= 0 && !Pidfds.isAlive(pidfd) && record.startTime() > tick + 1) {
                record = null; // exited meanwhile, and its pid already holds another process
            }
        }
        if (record == null) {
            notes.add("the reader is not in the process table (it existed before the guard and exited before the"
                    + " table's first scan reached it, or its process events were lost): only what was read with"
                    + " the event is known" + cgroupNote(info));
            return fromEvent(open, info);
        }
        record = withCommandLine(record);
        ProcessInfo.Builder b = table.toProcessInfo(record, ProcessInfo.UNKNOWN).toBuilder();
        if (info != null && alive != 0 && info.uid() >= 0) {
            b.uid(info.uid()).gid(info.gid()); // as at the open, should it have changed its ids since its exec
        }
        boolean complete = record.imageKnown() && (record.exe() != null || record.kernelThread());
        if (!record.imageKnown()) {
            if (open.readerExe() != null) {
                b.exe(open.readerExe()).comm(null);
                notes.add("the reader exec'd and exited before the process table could record what it ran; its"
                        + " executable was read with the event");
            } else {
                notes.add("the reader exec'd and exited before the process table could record what it ran: its"
                        + " executable and name are unknown");
            }
        } else if (record.exe() == null && !record.kernelThread() && open.readerExe() != null) {
            b.exe(open.readerExe());
            complete = true;
        }
        complete &= commandLineNote("reader", record, notes);
        return b.complete(complete && record.uid() >= 0).build();
    }

    private ProcessRecord withCommandLine(ProcessRecord record) {
        return lookup.withCommandLine(record);
    }

    private boolean commandLineNote(String who, ProcessRecord record, List<String> notes) {
        return lookup.commandLineNote(who, record, notes);
    }

    /** What the event itself told of the reader: its pid, exe and what its pidfd said; never complete. */
    private static ProcessInfo fromEvent(RawAccess.Open open, PidfdInfo info) {
        ProcessInfo.Builder b = ProcessInfo.builder(open.readerPid()).exe(open.readerExe()).complete(false);
        if (info != null) {
            b.ppid(info.ppid()).uid(info.uid()).gid(info.gid());
        }
        return b.build();
    }

    /** The cgroup id names the reader's container or service when nothing else about it is left. */
    private static String cgroupNote(PidfdInfo info) {
        return info == null || info.cgroupId() < 0 ? ""
                : "; its cgroup v2 id (the inode of its cgroup directory) was " + info.cgroupId();
    }

    private Target target(ProcPath path, ProcInstance instance, ProcessInfo reader, List<String> notes) {
        if (path.alias() == AliasKind.SELF) {
            // The kernel resolves /proc/self before reporting, so this is rare: the reader is the target.
            int tid = path.taskId();
            return new Target(AliasKind.SELF, reader.isKnown() ? reader.toBuilder().tid(tid).build() : ProcessInfo.unknown());
        }
        int tidInPath = path.hasTask() ? path.taskId() : path.pid();
        if (instance != null && instance.pidNamespace() == PidNamespace.OTHER) {
            return foreignTarget(path, instance, tidInPath, reader, notes);
        }
        if (instance != null && !instance.hostInstance()) {
            notes.add("through " + instance.describe() + ", a procfs instance of this pid namespace");
        }
        // A number the table holds as a running process is a process, not a thread (they share one id space).
        int tgid = table.live(tidInPath) != null ? tidInPath : tgidOf(tidInPath);
        if (tgid <= 0 && path.hasTask()) {
            tgid = table.live(path.pid()) != null ? path.pid() : tgidOf(path.pid());
        }
        ProcessRecord record = tgid > 0 ? table.newest(tgid) : null;
        if (record == null && tgid > 0) {
            record = feed.capture(tgid);
        }
        if (tgid <= 0 || record == null) {
            notes.add("the target exited before it was resolved; " + tidInPath + " may have been a thread id");
            return new Target(path.alias(), ProcessInfo.builder(path.hasTask() ? path.pid() : tidInPath)
                    .tid(path.hasTask() ? tidInPath : ProcessInfo.UNKNOWN).complete(false).build());
        }
        AliasKind alias = path.alias();
        if (alias == AliasKind.PROCESS && tgid != tidInPath) {
            alias = AliasKind.THREAD;
        }
        int tid = tgid != tidInPath || path.hasTask() ? tidInPath : ProcessInfo.UNKNOWN;
        return new Target(alias, targetInfo(record, tid, notes));
    }

    private ProcessInfo targetInfo(ProcessRecord record, int tid, List<String> notes) {
        record = withCommandLine(record);
        ProcessInfo info = table.toProcessInfo(record, tid);
        boolean complete = record.imageKnown() && (record.exe() != null || record.kernelThread())
                && commandLineNote("target", record, notes);
        return complete == info.complete() ? info : info.toBuilder().complete(complete).build();
    }

    private Target foreignTarget(ProcPath path, ProcInstance instance, int localTid, ProcessInfo reader,
                                 List<String> notes) {
        Path root = Path.of(instance.accessPath());
        int localTgid = new ProcessInspector(root).tgidOf(localTid);
        if (localTgid <= 0) {
            localTgid = path.pid();
        }
        OptionalInt hostTgid = mapper.toHostPid(root, localTgid);
        if (hostTgid.isPresent()) {
            int hostTid = ProcessInfo.UNKNOWN;
            if (localTid != localTgid) {
                hostTid = mapper.toHostTid(root, localTid, hostTgid.getAsInt()).orElse(ProcessInfo.UNKNOWN);
            }
            notes.add("pid " + localTgid + " in the pid namespace of " + instance.describe() + " is pid "
                    + hostTgid.getAsInt() + " here");
            ProcessRecord record = table.newest(hostTgid.getAsInt());
            if (record == null) {
                record = feed.capture(hostTgid.getAsInt());
            }
            if (record != null) {
                return new Target(AliasKind.OTHER_PROC_MOUNT, targetInfo(record, hostTid, notes));
            }
            notes.add("the target exited before it was resolved");
            return new Target(AliasKind.OTHER_PROC_MOUNT, ProcessInfo.builder(hostTgid.getAsInt()).tid(hostTid)
                    .complete(false).build());
        }
        ProcessInfo info = localProcess(root, localTgid, localTid != localTgid ? localTid : ProcessInfo.UNKNOWN);
        notes.add("pid " + localTgid + " is local to the pid namespace of " + instance.describe()
                + "; no pid in this namespace could be found (it exited, or this namespace cannot see it)");
        if (reader.isKnown() && reader.pid() == info.pid()) {
            // Equal numbers from two namespaces prove nothing; do not let them pass for a self-read.
            notes.add("the target's namespace-local pid equals the reader's pid here by coincidence; the target"
                    + " pid is left unknown");
            info = new ProcessInfo(ProcessInfo.UNKNOWN, info.tid(), info.ppid(), info.uid(), info.gid(), info.comm(),
                    info.exe(), info.cmdline(), info.containerId(), info.startTime(), false);
        }
        return new Target(AliasKind.OTHER_PROC_MOUNT, info);
    }

    /**
     * What another namespace's {@code /proc} shows of its process {@code pid} (a pid with no counterpart here),
     * read without its command line: its memory is not ours to wait on.
     */
    private static ProcessInfo localProcess(Path root, int pid, int tid) {
        ProcessProbe.Capture c = ProcessProbe.portable(root, ProcReads.FILES).capture(pid, false);
        if (c == null) {
            return ProcessInfo.builder(pid).tid(tid).complete(false).build();
        }
        ProcessFacts f = c.facts();
        return ProcessInfo.builder(pid).tid(tid).ppid(f.ppid()).uid(f.uid()).gid(f.gid()).comm(f.comm()).exe(f.exe())
                .containerId(f.containerId()).startTime(f.startTime()).complete(false).build();
    }

    /**
     * Where the mount point ends in a path the kernel printed for a per-process file: before
     * {@code /<pid>/environ}, {@code /<pid>/task/<tid>/environ} or their {@code self} forms (and {@code mem}).
     * Used only when the mount point is not in the tables yet.
     */
    static Optional<String> mountPointOf(String path) {
        Matcher m = TAIL.matcher(path);
        if (!m.matches()) {
            return Optional.empty();
        }
        String mountPoint = m.group(1);
        return Optional.of(mountPoint.isEmpty() ? "/" : mountPoint);
    }

    private static final Pattern TAIL = Pattern.compile(
            "(/.*?|)/(?:[1-9][0-9]*|self|thread-self)(?:/task/[1-9][0-9]*)?/(?:environ|mem)(?: \\(deleted\\))?");

    /**
     * The process of thread {@code tid}: through a thread pidfd (no /proc open) where the kernel allows, else
     * {@code /proc/<tid>/status}; -1 when it is gone.
     */
    private int tgidOf(int tid) {
        if (threadPidfds) {
            int fd = Pidfds.open(tid, true);
            if (fd >= 0) {
                try {
                    Optional<PidfdInfo> info = pidfds.info(fd);
                    if (info.isPresent() && info.get().tgid() > 0) {
                        return info.get().tgid();
                    }
                } finally {
                    LinuxLibC.close(fd);
                }
            } else if (fd == -Errno.ESRCH) {
                return -1;
            }
        }
        return host.tgidOf(tid);
    }

    private record Target(AliasKind alias, ProcessInfo info) {
    }
}
