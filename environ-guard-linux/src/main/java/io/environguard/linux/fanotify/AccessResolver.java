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
import io.environguard.linux.process.ContainerIds;
import io.environguard.linux.process.NativeProcReads;
import io.environguard.linux.proc.ProcPath;
import io.environguard.linux.proc.ProcPaths;
import io.environguard.linux.proc.ProcessInspector;
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
 * <p>The reader comes from the event's pidfd where the kernel gave one: {@code PIDFD_GET_INFO} for ppid,
 * uid and gid, {@code /proc} for the rest, and the pidfd again afterwards to prove that what
 * {@code /proc/<pid>} showed was still that process. A reader that is gone yields what was known (its pid,
 * the {@code exe} read when the event was decoded) with {@code complete == false}.
 *
 * <p>The target is the process (tgid) for {@code /proc/P/environ}, {@code /proc/P/task/T/environ},
 * {@code /proc/T/environ} (T a thread id: the alias becomes {@link AliasKind#THREAD}) and
 * {@code /proc/T/task/U/environ}. For an instance of another pid namespace, the number in the path is
 * mapped to this namespace's pid through {@code NSpid}; when that is impossible the pid stays the
 * namespace-local one and a note says so. A target of this namespace is pinned by a pidfd while it is
 * inspected, like the reader.
 *
 * <p>Every {@code /proc} file this class opens is itself an event for the kernel-read thread, so it opens
 * as few as it can: with pidfds, three per process ({@code stat}, {@code cmdline}, {@code cgroup}; see
 * {@link ProcessInspector#inspectPinned}).
 */
final class AccessResolver {

    private final Supplier<ProcInstanceTracker.Snapshot> instances;
    private final ProcessInspector host;
    private final PidNamespaceMapper mapper;
    private final Pidfds pidfds = new Pidfds();
    private final boolean threadPidfds;
    private final ContainerIds containers;
    private final RecentProcesses recent;
    private final FdInspector links = new FdInspector();

    /**
     * @param instances    the current procfs instances
     * @param hostProc     this process's {@code /proc}
     * @param threadPidfds whether {@code pidfd_open(tid, PIDFD_THREAD)} plus {@code PIDFD_GET_INFO} may be tried to
     *                     map a thread id to its process without opening a {@code /proc} file, and a target be
     *                     pinned by a pidfd while it is inspected
     */
    AccessResolver(Supplier<ProcInstanceTracker.Snapshot> instances, Path hostProc, boolean threadPidfds) {
        this(instances, hostProc, threadPidfds, ProcessInspector.BeforeOpen.NONE, new ContainerIds(false),
                new RecentProcesses(0));
    }

    /**
     * As above; {@code beforeOpen} is told of every file of the host's {@code /proc} about to be opened (the
     * source marks it so that the open makes no event: see {@link IgnoreMarks}), and {@code containers}
     * remembers the container of each cgroup met, {@code recent} the processes inspected lately (pinned by
     * pidfds: used only where the kernel gives pidfds).
     */
    AccessResolver(Supplier<ProcInstanceTracker.Snapshot> instances, Path hostProc, boolean threadPidfds,
                   ProcessInspector.BeforeOpen beforeOpen, ContainerIds containers, RecentProcesses recent) {
        this.instances = instances;
        this.host = new ProcessInspector(hostProc, NativeProcReads.INSTANCE, beforeOpen);
        this.mapper = new PidNamespaceMapper(hostProc);
        this.threadPidfds = threadPidfds;
        this.containers = containers;
        this.recent = recent;
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
        ProcessInfo reader = reader(open, notes);
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

    private ProcessInfo reader(RawAccess.Open open, List<String> notes) {
        int pid = open.readerPid();
        if (pid <= 0) {
            notes.add("the kernel did not name the reader: it runs in a pid namespace this process cannot see");
            return ProcessInfo.unknown();
        }
        int pidfd = open.pidfd();
        PidfdInfo info = open.readerInfo();
        if (info == null && pidfd >= 0) {
            info = pidfds.info(pidfd).orElse(null);
        }
        if (open.readerGone()) {
            notes.add("the reader exited before its event was read: only its pid is known");
            return fromEvent(open, info);
        }
        if (pidfd >= 0 && !Pidfds.isAlive(pidfd)) {
            notes.add("the reader exited before it could be inspected: details are those read with the event"
                    + cgroupNote(info));
            return fromEvent(open, info);
        }
        long now = System.nanoTime();
        ProcessInfo proc = pidfd >= 0 ? recent.get(pid, open.readerExe(), now) : null;
        boolean cached = proc != null;
        if (!cached) {
            // With a pidfd, the check below proves the identity: the inspection may skip its own re-read of stat,
            // and the exe link read with the event is not read again.
            proc = pidfd >= 0 ? host.inspectPinned(pid, ProcessInfo.UNKNOWN, known(info, true)) : host.inspect(pid);
            if (pidfd >= 0 && !Pidfds.isAlive(pidfd)) {
                // Reaped during the inspection: /proc/<pid> may already show a process that reused the pid.
                notes.add("the reader exited while it was inspected: details are those read with the event"
                        + cgroupNote(info));
                return fromEvent(open, info);
            }
            if (pidfd >= 0) {
                remember(pidfd, info, proc);
            }
        }
        ProcessInfo.Builder merged = proc.toBuilder();
        if (info != null) {
            merged.ppid(info.ppid()).uid(info.uid()).gid(info.gid());
        }
        String exe = open.readerExe();
        if (exe != null) {
            // Read as the event was decoded, closer to the open than anything read since.
            merged.exe(exe);
        } else if (proc.exe() == null) {
            // A process that opened a file has an executable; without one it has exited (a zombie).
            notes.add("the reader exited before its executable could be read");
            merged.complete(false);
        }
        ProcessInfo reader = merged.build();
        if (!cached && pidfd >= 0) {
            recent.put(pid, pidfd, reader, now);
        }
        return reader;
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
            return new Target(AliasKind.SELF, reader.isKnown() ? host.inspect(reader.pid(), tid) : ProcessInfo.unknown());
        }
        int tidInPath = path.hasTask() ? path.taskId() : path.pid();
        if (instance != null && instance.pidNamespace() == PidNamespace.OTHER) {
            return foreignTarget(path, instance, tidInPath, reader, notes);
        }
        if (instance != null && !instance.hostInstance()) {
            notes.add("through " + instance.describe() + ", a procfs instance of this pid namespace");
        }
        Lookup lookup = tgidOf(tidInPath);
        if (lookup.tgid() <= 0 && path.hasTask()) {
            lookup = tgidOf(path.pid());
        }
        try {
            int tgid = lookup.tgid();
            if (tgid <= 0) {
                notes.add("the target exited before it was resolved; " + tidInPath + " may have been a thread id");
                return new Target(path.alias(), ProcessInfo.builder(path.hasTask() ? path.pid() : tidInPath)
                        .tid(path.hasTask() ? tidInPath : ProcessInfo.UNKNOWN).complete(false).build());
            }
            AliasKind alias = path.alias();
            if (alias == AliasKind.PROCESS && tgid != tidInPath) {
                alias = AliasKind.THREAD;
            }
            int tid = tgid != tidInPath || path.hasTask() ? tidInPath : ProcessInfo.UNKNOWN;
            return new Target(alias, inspectTarget(tgid, tid, lookup));
        } finally {
            if (lookup.pidfd() >= 0) {
                LinuxLibC.close(lookup.pidfd());
            }
        }
    }

    /**
     * The target's details. Where the kernel gives pidfds, the target is pinned by one for the inspection
     * (uid and gid from {@code PIDFD_GET_INFO}, identity from the pidfd's liveness afterwards), which opens
     * four fewer {@code /proc} files than an unpinned inspection. The pidfd of the thread-id lookup serves
     * when it names the process itself, the usual case.
     */
    private ProcessInfo inspectTarget(int tgid, int tid, Lookup lookup) {
        if (threadPidfds) {
            boolean own = lookup.pidfd() < 0;
            int fd = own ? Pidfds.open(tgid, false) : lookup.pidfd();
            if (fd >= 0) {
                try {
                    PidfdInfo info = own ? pidfds.info(fd).orElse(null) : lookup.info();
                    long now = System.nanoTime();
                    if (recent.has(tgid)) {
                        ProcessInfo cached = recent.get(tgid, exeOf(tgid), now);
                        if (cached != null) {
                            ProcessInfo.Builder b = cached.toBuilder().tid(tid);
                            if (info != null) {
                                b.ppid(info.ppid()).uid(info.uid()).gid(info.gid());
                            }
                            return b.build();
                        }
                    }
                    ProcessInfo target = host.inspectPinned(tgid, tid, known(info, false));
                    // Reaped during the inspection: /proc/<tgid> may have shown a process that reused the pid.
                    if (!Pidfds.isAlive(fd)) {
                        return target.toBuilder().complete(false).build();
                    }
                    remember(fd, info, target);
                    recent.put(tgid, fd, target.toBuilder().tid(ProcessInfo.UNKNOWN).build(), now);
                    return target;
                } finally {
                    if (own) {
                        LinuxLibC.close(fd);
                    }
                }
            }
        }
        return host.inspect(tgid, tid);
    }

    /** The {@code exe} link of host process {@code pid} (a readlink: no open, no event), or {@code null}. */
    private String exeOf(int pid) {
        int n = links.readLink(host.root() + "/" + pid + "/exe");
        return n > 0 ? links.linkString(n) : null;
    }

    /**
     * What the pidfd told (uid, gid, parent, and the container of its cgroup if met before); with
     * {@code exeFromEvent} the inspection leaves the exe link to the caller, who read it with the event.
     */
    private ProcessInspector.Known known(PidfdInfo info, boolean exeFromEvent) {
        if (info == null) {
            return new ProcessInspector.Known(-1, -1, -1, exeFromEvent, null, false, null);
        }
        boolean containerKnown = containers.knows(info.cgroupId());
        return new ProcessInspector.Known(info.uid(), info.gid(), info.ppid(), exeFromEvent, null, containerKnown,
                containerKnown ? containers.get(info.cgroupId()) : null);
    }

    /**
     * After an inspection that read the {@code cgroup} file of a live, pinned process: its container is that
     * of its cgroup, if the process is still in the cgroup it was in before the read (asked of the pidfd again;
     * this happens once per cgroup).
     */
    private void remember(int pidfd, PidfdInfo before, ProcessInfo inspected) {
        if (before == null || before.cgroupId() <= 0 || !containers.enabled() || containers.knows(before.cgroupId())
                || !inspected.complete()) {
            return;
        }
        Optional<PidfdInfo> after = pidfds.info(pidfd);
        if (after.isPresent() && after.get().cgroupId() == before.cgroupId()) {
            containers.put(before.cgroupId(), inspected.containerId());
        }
    }

    private Target foreignTarget(ProcPath path, ProcInstance instance, int localTid, ProcessInfo reader,
                                 List<String> notes) {
        Path root = Path.of(instance.accessPath());
        ProcessInspector local = new ProcessInspector(root);
        int localTgid = local.tgidOf(localTid);
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
            return new Target(AliasKind.OTHER_PROC_MOUNT, host.inspect(hostTgid.getAsInt(), hostTid));
        }
        ProcessInfo info = local.inspect(localTgid, localTid != localTgid ? localTid : ProcessInfo.UNKNOWN);
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
     * /proc. When the pidfd names the process itself ({@code tid} is the tgid) it is kept open in the answer,
     * for the caller to pin the inspection with and then close.
     */
    private Lookup tgidOf(int tid) {
        if (threadPidfds) {
            int fd = Pidfds.open(tid, true);
            if (fd >= 0) {
                Optional<PidfdInfo> info = pidfds.info(fd);
                if (info.isPresent() && info.get().tgid() == tid) {
                    return new Lookup(tid, fd, info.get());
                }
                LinuxLibC.close(fd);
                if (info.isPresent() && info.get().tgid() > 0) {
                    return new Lookup(info.get().tgid(), -1, null);
                }
            } else if (fd == -Errno.ESRCH) {
                return new Lookup(-1, -1, null);
            }
        }
        return new Lookup(host.tgidOf(tid), -1, null);
    }

    /** A thread id's process; {@code pidfd} (owned by the holder, or -1) pins it when {@code tgid} is the tid. */
    private record Lookup(int tgid, int pidfd, PidfdInfo info) {
    }

    private record Target(AliasKind alias, ProcessInfo info) {
    }
}
