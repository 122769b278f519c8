package io.environguard.linux.fanotify;

import io.environguard.linux.fanotify.ProcInstance.PidNamespace;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.ProcIds;
import io.environguard.linux.proc.ProcMount;
import io.environguard.linux.proc.ProcMounts;
import io.environguard.linux.proc.ProcParseException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds every procfs instance (superblock) this process can reach and places one fanotify filesystem mark
 * on each: those in this process's mount table, and those of other mount namespaces (containers), reached
 * through {@code /proc/<pid>/root/<mount point>} of one process per namespace. Each scan publishes an
 * immutable {@link Snapshot} that the resolver reads without locks. Besides the full {@link #rescan}, one mount
 * namespace can be scanned alone ({@link #scanNamespace}), as soon as it is announced or one of its mounts
 * appears; such a scan only adds.
 *
 * <p>A mark is placed through a descriptor of the mount's root directory whose device is checked first, so
 * a mount point that something else was mounted over is never marked by mistake. (Not an {@code O_PATH}
 * descriptor: {@code fanotify_mark} refuses those with {@code EBADF}.) Marks need no removal: the kernel drops
 * a filesystem mark with its superblock.
 *
 * <p>A device number names one superblock only while it lives: the kernel hands a procfs's anonymous device
 * number to the next one mounted after it is gone (lowest free number first), so a container started after
 * another stopped usually gets the number the first one had. An instance met again is therefore taken as the one
 * already marked only if the way to it still leads to a directory on that device (device numbers are unique
 * among live superblocks); otherwise it is marked afresh and its details (namespace, pid namespace, way in)
 * replaced.
 */
final class ProcInstanceTracker {

    private static final Logger LOG = LoggerFactory.getLogger(ProcInstanceTracker.class);

    /**
     * What is known at one moment.
     *
     * @param byDevice every instance found, marked or not, by {@code major:minor}
     * @param time     when the scan ended ({@code System.nanoTime})
     */
    record Snapshot(Map<String, ProcInstance> byDevice, long time) {
        Snapshot {
            byDevice = Collections.unmodifiableMap(new LinkedHashMap<>(byDevice));
        }

        /** Every mount point of every instance, for paths of an instance not (yet) in the table. */
        List<String> allMountPoints() {
            Set<String> all = new LinkedHashSet<>();
            byDevice.values().forEach(i -> all.addAll(i.mountPoints()));
            return List.copyOf(all);
        }

        /** The instance of this process's own {@code /proc}, if found. */
        ProcInstance host() {
            for (ProcInstance i : byDevice.values()) {
                if (i.hostInstance()) {
                    return i;
                }
            }
            return null;
        }
    }

    private final FanotifyGroup group;
    private final Path procRoot;
    private final ProcMounts mounts;
    private final String selfPid;
    private final boolean otherNamespaces;
    private final FdInspector fds = new FdInspector();
    /** Instances seen by the previous scan: an instance missing from one scan is kept for one more. */
    private Map<String, ProcInstance> previous = Map.of();
    private volatile Snapshot snapshot = new Snapshot(Map.of(), 0);
    /** The other mount namespaces the last full rescan met, each with one of its processes. */
    private volatile Map<String, Integer> namespacesSeen = Map.of();

    ProcInstanceTracker(FanotifyGroup group, Path procRoot, boolean otherNamespaces) {
        this.group = group;
        this.procRoot = procRoot;
        this.mounts = new ProcMounts(procRoot);
        this.selfPid = Long.toString(ProcessHandle.current().pid());
        this.otherNamespaces = otherNamespaces;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    /**
     * The mount namespaces other than this process's that the last full {@link #rescan} met, with or without a
     * procfs ({@code mnt:[4026532175]} to one process in it); empty when other namespaces are not watched.
     */
    Map<String, Integer> namespacesSeen() {
        return namespacesSeen;
    }

    /**
     * Scans the mount tables and marks every instance not yet marked.
     *
     * @throws IOException if this process's own mount table cannot be read
     */
    synchronized Snapshot rescan() throws IOException {
        Map<String, Found> found = new LinkedHashMap<>();
        List<ProcMount> own;
        try {
            own = mounts.list();
        } catch (ProcParseException e) {
            throw new IOException("cannot parse " + procRoot + "/self/mountinfo: " + e.getMessage(), e);
        }
        String hostDevice = null;
        for (ProcMount m : own) {
            if (m.mountPoint().equals(procRoot.toString())) {
                hostDevice = m.device();
            }
            found.computeIfAbsent(m.device(), d -> new Found(m.mountPoint(), null)).mountPoints.add(m.mountPoint());
        }
        if (otherNamespaces) {
            scanOtherNamespaces(found);
        }

        Map<String, ProcInstance> current = new LinkedHashMap<>();
        for (Map.Entry<String, Found> e : found.entrySet()) {
            String device = e.getKey();
            Found f = e.getValue();
            ProcInstance known = previous.get(device);
            if (known != null && known.marked() && stillThere(known)) {
                current.put(device, known.withMountPoints(List.copyOf(f.mountPoints)));
            } else {
                current.put(device, mark(device, f, device.equals(hostDevice), known));
            }
        }
        Map<String, ProcInstance> next = new LinkedHashMap<>(current);
        for (Map.Entry<String, ProcInstance> e : previous.entrySet()) {
            // Gone from the tables: keep it one more scan, for events still queued from it.
            next.putIfAbsent(e.getKey(), e.getValue());
        }
        previous = current;
        Snapshot s = new Snapshot(next, System.nanoTime());
        snapshot = s;
        return s;
    }

    /**
     * Reads the mount table of one mount namespace and marks each procfs instance in it not marked yet. Nothing
     * is dropped: an instance gone from the table leaves at the next full {@link #rescan}.
     *
     * @param pid       a process in that namespace, or 0 for this process's own
     * @param namespace its name as {@code /proc/<pid>/ns/mnt} links to it ({@code mnt:[4026532175]}); ignored for 0
     * @return the instances of that namespace this scan marked or failed to mark (not those already marked)
     * @throws IOException if the table cannot be read (the process exited, or it is not ours to read)
     */
    synchronized List<ProcInstance> scanNamespace(int pid, String namespace) throws IOException {
        List<ProcMount> table;
        try {
            table = pid <= 0 ? mounts.list() : mounts.list(pid);
        } catch (ProcParseException e) {
            throw new IOException("cannot parse the mount table of " + (pid <= 0 ? "this process" : "process " + pid)
                    + ": " + e.getMessage(), e);
        }
        Map<String, Found> found = new LinkedHashMap<>();
        String hostDevice = null;
        for (ProcMount m : table) {
            String access;
            if (pid <= 0) {
                access = m.mountPoint();
                if (m.mountPoint().equals(procRoot.toString())) {
                    hostDevice = m.device();
                }
            } else {
                access = procRoot + "/" + pid + "/root" + (m.mountPoint().equals("/") ? "" : m.mountPoint());
            }
            String ns = pid <= 0 ? null : namespace;
            found.computeIfAbsent(m.device(), d -> new Found(access, ns)).mountPoints.add(m.mountPoint());
        }
        Map<String, ProcInstance> known = snapshot.byDevice();
        Map<String, ProcInstance> changed = new LinkedHashMap<>();
        List<ProcInstance> placed = new ArrayList<>();
        for (Map.Entry<String, Found> e : found.entrySet()) {
            String device = e.getKey();
            ProcInstance before = known.get(device);
            if (before != null && before.marked() && stillThere(before)) {
                ProcInstance after = before.withMountPoints(List.copyOf(e.getValue().mountPoints));
                if (!after.equals(before)) {
                    changed.put(device, after);
                }
            } else {
                ProcInstance instance = mark(device, e.getValue(), device.equals(hostDevice), before);
                changed.put(device, instance);
                placed.add(instance);
            }
        }
        if (!changed.isEmpty()) {
            Map<String, ProcInstance> nextPrevious = new LinkedHashMap<>(previous);
            nextPrevious.putAll(changed);
            previous = nextPrevious;
            Map<String, ProcInstance> next = new LinkedHashMap<>(known);
            next.putAll(changed);
            snapshot = new Snapshot(next, System.nanoTime());
        }
        return placed;
    }

    /**
     * Whether the superblock {@code known} was marked on is still there: its way in still leads to a directory on
     * its device. A {@code statx} (it opens nothing); it fails when the process it went through has exited, and
     * then the instance is simply marked again (marking is idempotent) through a way that works.
     */
    private boolean stillThere(ProcInstance known) {
        return fds.stat(known.accessPath()) == 0 && FdInspector.deviceString(fds.device()).equals(known.device());
    }

    private ProcInstance mark(String device, Found f, boolean hostInstance, ProcInstance failedBefore) {
        List<String> points = List.copyOf(f.mountPoints);
        int errno = markThrough(f.accessPath, device);
        PidNamespace pidNs = pidNamespaceOf(f.accessPath);
        ProcInstance instance = new ProcInstance(device, points, f.accessPath, f.mountNamespace, pidNs, hostInstance, errno);
        if (errno == 0) {
            LOG.debug("marked {}", instance.describe());
        } else if (failedBefore == null || failedBefore.markErrno() != errno) {
            LOG.warn("cannot mark {}: {}", instance.describe(), Errno.describe(errno));
        }
        return instance;
    }

    /** Opens the directory {@code path}, checks it is on {@code device}, and marks its superblock. */
    private int markThrough(String path, String device) {
        int fd = LinuxLibC.open(path, LinuxLibC.O_RDONLY | LinuxLibC.O_DIRECTORY | LinuxLibC.O_CLOEXEC, 0);
        if (fd < 0) {
            return LinuxLibC.errno();
        }
        try {
            long actual = fds.deviceOf(fd);
            if (actual < 0) {
                return (int) -actual;
            }
            if (!FdInspector.deviceString(actual).equals(device)) {
                // Something is mounted over this mount point: marking would watch the wrong filesystem.
                return Errno.EXDEV;
            }
            return group.markFilesystemOpen(fd);
        } finally {
            LinuxLibC.close(fd);
        }
    }

    /** {@code <instance>/self} names this process only in an instance of its own pid namespace. */
    private PidNamespace pidNamespaceOf(String accessPath) {
        int n = fds.readLink(accessPath + "/self");
        return n > 0 && fds.linkString(n).equals(selfPid) ? PidNamespace.OURS : PidNamespace.OTHER;
    }

    /** Adds the proc mounts of every other mount namespace, reached through one of its processes. */
    private void scanOtherNamespaces(Map<String, Found> found) {
        String ownNamespace = readLink(procRoot.resolve("self/ns/mnt"));
        Map<String, Integer> namespaces = new LinkedHashMap<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(procRoot)) {
            for (Path dir : dirs) {
                int pid = ProcIds.parse(dir.getFileName().toString());
                if (pid <= 0) {
                    continue;
                }
                String ns = readLink(dir.resolve("ns/mnt"));
                if (ns != null && !ns.equals(ownNamespace)) {
                    namespaces.putIfAbsent(ns, pid);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", procRoot, e.toString());
            return;
        }
        namespacesSeen = Collections.unmodifiableMap(new LinkedHashMap<>(namespaces));
        for (Map.Entry<String, Integer> ns : namespaces.entrySet()) {
            int pid = ns.getValue();
            List<ProcMount> theirs;
            try {
                theirs = mounts.list(pid);
            } catch (IOException | ProcParseException e) {
                continue; // the process exited, or is not ours to read; another will stand for it next scan
            }
            for (ProcMount m : theirs) {
                String access = procRoot + "/" + pid + "/root" + (m.mountPoint().equals("/") ? "" : m.mountPoint());
                found.computeIfAbsent(m.device(), d -> new Found(access, ns.getKey())).mountPoints.add(m.mountPoint());
            }
        }
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** Mount points of one device found in this scan, and the first way to reach it. */
    private static final class Found {
        final String accessPath;
        final String mountNamespace;
        final Set<String> mountPoints = new LinkedHashSet<>();

        Found(String accessPath, String mountNamespace) {
            this.accessPath = accessPath;
            this.mountNamespace = mountNamespace;
        }
    }
}
