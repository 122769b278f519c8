package io.environguard.linux.procfs;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;
import io.environguard.linux.proc.PidNamespaceMapper;
import io.environguard.linux.proc.ProcMount;
import io.environguard.linux.proc.ProcMounts;
import io.environguard.linux.proc.ProcParseException;
import io.environguard.linux.proc.ProcPath;
import io.environguard.linux.proc.ProcStatParser;
import io.environguard.linux.proc.ProcStatus;
import io.environguard.linux.proc.ProcStatusParser;
import io.environguard.linux.proc.ProcessInspector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Works out whose file a path names, for the polling source: which procfs instance (through the mount table
 * of the reader's mount namespace), which process (the thread group of a thread alias), whether that process
 * is still the one the path meant, and for an instance of another pid namespace, which pid it has here.
 *
 * <p>Paths come from {@code readlink} of a reader's descriptor, or from its command line. The kernel prints a
 * descriptor's path relative to the reader's mount namespace when it is not reachable from ours, which is
 * why a reader in a container is classified against its own {@code mountinfo}: its {@code /proc/5/environ}
 * may be pid 5 of its container, not the host's pid 5. Instances are told apart by superblock device;
 * an instance with the device of the one the guard reads has the guard's pids.
 *
 * <p>The kernel keeps printing {@code /proc/N/environ} for a descriptor whose process exited, even after
 * {@code N} was reused. On a real procfs, the open file's inode is compared with the inode of the path now:
 * different means the descriptor's process is gone. On a simulated tree (links are plain text) this cannot be
 * checked: a path names the process that has the pid now.
 *
 * <p>Used by the scanning thread only; mount tables are read at most once per scan, and only once something
 * looks like an environ or mem file.
 */
final class Targets {

    /** What older kernels append to a descriptor's path once the file's process was reaped. */
    static final String DELETED = " (deleted)";

    /**
     * Whose file a path names.
     *
     * @param file      environ or mem
     * @param path      as printed or written
     * @param alias     which alias the path uses
     * @param pid       the target process (here), or the pid as written when it could not be mapped, or -1
     *                  when the path names no particular process
     * @param tid       the thread named by the path, or -1
     * @param startTime the target's start time, or -1 when unknown (gone, unmapped, or a pattern)
     * @param gone      whether the target is known to have exited
     * @param current   whether the descriptor was proven (by inode) to refer to the process that has {@code pid} now
     * @param notes     what a person should know (never secrets)
     */
    record Resolved(ProcFile file, String path, AliasKind alias, int pid, int tid, long startTime, boolean gone,
                    boolean current, List<String> notes) {

        /** Whether the target is a known process whose details can be inspected. */
        boolean inspectable() {
            return pid > 0 && !gone && startTime >= 0;
        }
    }

    /**
     * The procfs mounts seen by one reader.
     *
     * @param mountPoints  every proc mount point in the reader's mount namespace
     * @param hostPoints   those showing the instance the guard reads (same superblock)
     * @param accessPrefix for a reader in another mount namespace, {@code <root>/<pid>/root}, through which its
     *                     paths can be reached; {@code null} for a reader in the guard's namespace
     * @param notes        facts about the view (e.g. its mount table could not be read)
     */
    record View(List<String> mountPoints, List<String> hostPoints, Path accessPrefix, List<String> notes) {
    }

    private final Path root;
    private final ProcessInspector inspector;
    private final boolean realProcfs;
    private final PidNamespaceMapper mapper;

    /** This scan's view of the guard's own namespace; {@code null} until needed. */
    private View own;
    private String ownMountNs;
    private String hostDevice;
    private boolean ownLoaded;

    Targets(Path root, ProcessInspector inspector) {
        this.root = Objects.requireNonNull(root, "root");
        this.inspector = Objects.requireNonNull(inspector, "inspector");
        this.realProcfs = isProcfs(root);
        this.mapper = new PidNamespaceMapper(root);
    }

    /** Whether {@code root} is a real procfs (links resolve in the kernel), not a simulated tree of text links. */
    static boolean isProcfs(Path root) {
        try {
            return "proc".equals(Files.getFileStore(root).type());
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Forgets the per-scan view: mount tables may have changed since the last scan. */
    void newScan() {
        own = null;
        ownLoaded = false;
    }

    /** The mounts seen by {@code readerPid}: the guard's own view unless the reader is in another mount namespace. */
    View viewOf(int readerPid) {
        View mine = ownView();
        String theirs = ProcFiles.readLink(root.resolve(Integer.toString(readerPid)).resolve("ns").resolve("mnt"));
        if (theirs == null || ownMountNs == null || theirs.equals(ownMountNs)) {
            return mine;
        }
        try {
            List<ProcMount> mounts = new ProcMounts(root).list(readerPid);
            return view(mounts, root.resolve(Integer.toString(readerPid)).resolve("root"), List.of());
        } catch (IOException | ProcParseException e) {
            return new View(mine.mountPoints(), mine.hostPoints(), null, List.of("the reader runs in another mount "
                    + "namespace whose mount table could not be read; its paths were taken as this namespace's"));
        }
    }

    private View ownView() {
        if (!ownLoaded) {
            ownLoaded = true;
            ownMountNs = ProcFiles.readLink(root.resolve("self").resolve("ns").resolve("mnt"));
            List<ProcMount> mounts;
            try {
                mounts = new ProcMounts(root).list();
            } catch (IOException | ProcParseException e) {
                mounts = List.of();
            }
            own = view(mounts, null, List.of());
        }
        return own;
    }

    private View view(List<ProcMount> mounts, Path accessPrefix, List<String> notes) {
        if (hostDevice == null) {
            hostDevice = hostDevice(mounts);
        }
        // a mount point mounted over again (unshare --mount-proc mounts a new procfs on top of /proc) shows the
        // last mount of it in table order: only that one counts
        Map<String, String> deviceAt = new LinkedHashMap<>();
        for (ProcMount m : mounts) {
            deviceAt.put(m.mountPoint(), m.device());
        }
        List<String> points = new ArrayList<>(deviceAt.keySet());
        List<String> host = new ArrayList<>();
        deviceAt.forEach((point, device) -> {
            if (device.equals(hostDevice)) {
                host.add(point);
            }
        });
        if (points.isEmpty()) {
            // no readable mount table (a simulated tree without one): only the conventional /proc
            points.add("/proc");
            host.add("/proc");
        }
        return new View(List.copyOf(points), List.copyOf(host), accessPrefix, notes);
    }

    /** The superblock of the instance the guard reads: the mount at the root's own path, else the one at /proc. */
    private String hostDevice(List<ProcMount> mounts) {
        String rootPath;
        try {
            rootPath = root.toRealPath().toString();
        } catch (IOException e) {
            rootPath = root.toAbsolutePath().normalize().toString();
        }
        String atRoot = null;
        String atProc = null;
        for (ProcMount m : mounts) { // the last mount at a point is the one on top
            if (m.mountPoint().equals(rootPath)) {
                atRoot = m.device();
            }
            if (m.mountPoint().equals("/proc")) {
                atProc = m.device();
            }
        }
        return atRoot != null ? atRoot : atProc == null ? "" : atProc;
    }

    /**
     * Resolves a classified path.
     *
     * @param fdLink    for a descriptor: {@code <root>/<reader>/fd/<n>}, to compare its inode with the path's now;
     *                  {@code null} for a command line
     */
    Resolved resolve(ProcPath p, String path, int readerPid, long readerStart, View view, Path fdLink) {
        List<String> notes = new ArrayList<>(view.notes());
        if (p.alias() == AliasKind.SELF) {
            // "/proc/self/environ" on a command line is the reader's own; the kernel resolves it before printing a descriptor
            return new Resolved(p.file(), path, AliasKind.SELF, readerPid, p.taskId(), readerStart, false, false, notes);
        }
        if (p.alias() == AliasKind.OTHER_PROC_MOUNT) {
            return otherInstance(p, path, view, notes);
        }
        int named = p.hasTask() ? p.taskId() : p.pid();
        if (p.pid() == readerPid && !path.endsWith(DELETED)) {
            // the reader's own file (a task directory exists only under its own process): no lookup needed;
            // processes that pin their own aliases (a targeted fanotify guard) hold hundreds of these
            return new Resolved(p.file(), path, p.alias(), readerPid, p.hasTask() ? named : -1, readerStart, false,
                    true, notes);
        }
        if (path.endsWith(DELETED)) {
            // older kernels mark a descriptor whose process was reaped this way; the pid may be reused by now
            notes.add("the process " + named + " had exited; the descriptor still refers to its file");
            return new Resolved(p.file(), path, p.alias(), p.hasTask() ? p.pid() : named,
                    p.hasTask() ? named : -1, -1, true, false, notes);
        }
        int tgid = inspector.tgidOf(named);
        if (tgid <= 0 && p.hasTask()) {
            tgid = inspector.tgidOf(p.pid());
        }
        long start = tgid > 0 ? startTime(root.resolve(Integer.toString(tgid))) : -1;
        if (tgid <= 0 || start < 0) {
            notes.add(fdLink != null ? "the process " + named + " had exited when the scan looked; the descriptor still refers to its file"
                    : "no process " + named + " existed when the scan looked");
            return new Resolved(p.file(), path, p.alias(), p.hasTask() ? p.pid() : named,
                    p.hasTask() ? named : -1, -1, true, false, notes);
        }
        AliasKind alias = p.alias() == AliasKind.PROCESS && tgid != named ? AliasKind.THREAD : p.alias();
        int tid = tgid != named || p.hasTask() ? named : -1;
        boolean current = false;
        if (fdLink != null && realProcfs && view.accessPrefix() == null) {
            Boolean same = sameFile(fdLink, root.resolve(path.substring(p.mountPoint().length() + 1)));
            if (same != null && !same) {
                notes.add("the descriptor refers to a process " + named + " that has exited; pid " + named
                        + " now belongs to another process");
                return new Resolved(p.file(), path, alias, p.hasTask() ? p.pid() : named, tid, -1, true, false, notes);
            }
            current = same != null;
        }
        return new Resolved(p.file(), path, alias, tgid, tid, start, false, current, notes);
    }

    /** A path under a procfs instance other than the guard's: map its pid to ours where possible. */
    private Resolved otherInstance(ProcPath p, String path, View view, List<String> notes) {
        String mount = p.mountPoint();
        Path instance;
        try {
            instance = view.accessPrefix() == null ? Path.of(mount)
                    : view.accessPrefix().resolve(mount.equals("/") ? "." : mount.substring(1));
        } catch (InvalidPathException e) {
            instance = null; // a mount point this JVM's file-name encoding cannot express: not mapped
        }
        int localNamed = p.hasTask() ? p.taskId() : p.pid();
        int localTgid = instance == null ? -1 : tgidIn(instance, localNamed);
        if (localTgid <= 0) {
            localTgid = p.pid();
        }
        long localStart = instance == null ? -1 : startTime(instance.resolve(Integer.toString(localTgid)));
        int host = localStart < 0 ? -1 : mapper.toHostPid(instance, localTgid).orElse(-1);
        if (host > 0) {
            notes.add("pid " + localTgid + " of the procfs mounted at " + mount + " is pid " + host + " here");
            return new Resolved(p.file(), path, AliasKind.OTHER_PROC_MOUNT, host, -1, localStart, false, false, notes);
        }
        notes.add("pid " + localTgid + " is local to the pid namespace of the procfs mounted at " + mount
                + "; no pid here could be found for it (it exited, or it is not visible from here)");
        return new Resolved(p.file(), path, AliasKind.OTHER_PROC_MOUNT, localTgid, -1, -1, false, false, notes);
    }

    private static int tgidIn(Path instance, int tid) {
        ProcStatus s = status(instance.resolve(Integer.toString(tid)));
        return s == null ? -1 : s.tgid();
    }

    private static ProcStatus status(Path dir) {
        try {
            return ProcStatusParser.parse(Files.readAllBytes(dir.resolve("status")));
        } catch (IOException | ProcParseException | SecurityException e) {
            return null;
        }
    }

    /** The start time in {@code dir/stat}, or -1. */
    static long startTime(Path dir) {
        try {
            return ProcStatParser.parse(Files.readAllBytes(dir.resolve("stat"))).startTime();
        } catch (IOException | ProcParseException | SecurityException e) {
            return -1;
        }
    }

    /** Whether both paths lead to the same open inode; {@code null} when either cannot be looked at. */
    private static Boolean sameFile(Path fdLink, Path now) {
        try {
            Object a = Files.readAttributes(fdLink, BasicFileAttributes.class).fileKey();
            Object b = Files.readAttributes(now, BasicFileAttributes.class).fileKey();
            return a == null || b == null ? null : a.equals(b);
        } catch (java.nio.file.NoSuchFileException e) {
            // the path no longer exists: its process is gone, whatever the descriptor refers to
            return Files.exists(fdLink) ? Boolean.FALSE : null;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
