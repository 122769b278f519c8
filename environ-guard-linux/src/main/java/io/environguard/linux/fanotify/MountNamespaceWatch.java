package io.environguard.linux.fanotify;

import com.sun.jna.Memory;
import io.environguard.linux.fanotify.FanotifyEventDecoder.MalformedEventException;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.MountQueries;
import io.environguard.linux.nativeio.MountStat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which mount namespaces the host source watches for new mounts, and what it does when one appears.
 *
 * <p>With {@code FAN_REPORT_MNT} (Linux 6.15) a fanotify group of its own (mount events cannot share a group
 * with file events) holds one {@code FAN_MARK_MNTNS} mark per watched namespace, this process's own included.
 * A namespace is watched from the moment it is {@link #admit admitted}: announced by a caller (the process
 * table, when it meets a process in a mount namespace it had not met), or met by the periodic rescan. Admitting
 * marks the namespace first and reads its mount table second, so a mount made in between is seen by one or the
 * other. On {@code FAN_MNT_ATTACH} a {@code statmount} (by the namespace's 64-bit id) says whether the new mount
 * is a procfs; only then is that namespace's mount table read again. A mark holds no reference: the kernel drops
 * it when its namespace dies, and the namespace leaves this table at the next rescan (or at once when the table
 * is full), found gone by {@code listmount}.
 *
 * <p>Without {@code FAN_REPORT_MNT} (or with {@code mount-events=false}) an admitted namespace's procfs
 * instances are still marked at once, but its later mounts are found by the periodic rescan only, and this
 * process's own table is watched through {@code POLLPRI} on {@code /proc/self/mountinfo} ({@link MountWatcher}).
 *
 * <p>Confined to the mounts thread, except {@link #state()} (any thread) and construction and {@link #close()}
 * (the thread that starts and stops the source, before and after the mounts thread runs).
 */
final class MountNamespaceWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MountNamespaceWatch.class);
    private static final int EVENT_BUFFER_SIZE = 4096;
    private static final long STAT_MASK = MountStat.SB_BASIC | MountStat.FS_TYPE | MountStat.MNT_POINT;
    private static final Pattern NAMESPACE_LINK = Pattern.compile("mnt:\\[([0-9]+)\\]");
    /** Refusal reasons kept for coverage, by errno. */
    private static final int MAX_REFUSAL_KINDS = 8;

    /** How new mounts are learned of. */
    enum Mode {
        /** {@code FAN_MNT_ATTACH} on every watched mount namespace. */
        MOUNT_EVENTS,
        /** {@code POLLPRI} on this process's mount table and the periodic rescan for the others. */
        POLLING
    }

    /**
     * One namespace in the table.
     *
     * @param key    its 64-bit id ({@code NS_GET_MNTNS_ID}), or minus its inode where the kernel has no ids
     * @param inode  the inode of its nsfs file: {@code /proc/<pid>/ns/mnt} links to {@code mnt:[inode]}
     * @param pid    the last process known to live in it (through whose {@code /proc/<pid>/root} its mounts are reached)
     * @param marked whether a {@code FAN_MARK_MNTNS} mark is in place
     * @param own    whether it is this process's own namespace
     * @param foreignOwner whether a user namespace other than this process's owns it (a rootless container's)
     */
    record Watched(long key, long inode, int pid, boolean marked, boolean own, boolean foreignOwner) {
        String name() {
            return "mnt:[" + inode + "]";
        }

        Watched withPid(int newPid) {
            return new Watched(key, inode, newPid, marked, own, foreignOwner);
        }
    }

    /** Why some namespaces could not be marked: one errno, how often, and the last namespace it hit. */
    record Refusal(int errno, long count, String lastNamespace, int lastPid) {
    }

    /**
     * What {@code coverage()} reports; an immutable copy published after each change.
     *
     * @param mode           how new mounts are learned of
     * @param fallbackReason when {@link Mode#POLLING}: why
     * @param watched        namespaces watched by a mark now, this process's own included
     * @param foreignOwned   of those, namespaces owned by another user namespace (rootless containers)
     * @param admitted       namespaces admitted since start (announced or found by a rescan), own excluded
     * @param released       namespaces that died and left the table
     * @param beyondCap      namespaces turned away because the table was full, since start
     * @param unwatched      of those, the ones still alive and not watched now (they get a place when one frees)
     * @param attaches       {@code FAN_MNT_ATTACH} events read
     * @param procAttaches   of those, procfs mounts (each led to a scan of that namespace)
     * @param overflows      overflows of the mount-event queue (each led to a full rescan)
     * @param refusals       marks the kernel refused, by errno
     * @param namespaces     the table: every namespace admitted and not released, marked or not
     */
    record State(Mode mode, String fallbackReason, int watched, int foreignOwned, long admitted, long released,
                 long beyondCap, int unwatched, long attaches, long procAttaches, long overflows, List<Refusal> refusals,
                 List<Watched> namespaces) {
        State {
            refusals = List.copyOf(refusals);
            namespaces = List.copyOf(namespaces);
        }
    }

    private final ProcInstanceTracker tracker;
    private final Path procRoot;
    private final boolean otherNamespaces;
    private final int capacity;
    private final FanotifyGroup group;
    private final String fallbackReason;
    private final MountQueries queries = new MountQueries();
    private final FdInspector fds = new FdInspector();
    private final Memory buffer = new Memory(EVENT_BUFFER_SIZE);
    private final ByteBuffer view = buffer.getByteBuffer(0, EVENT_BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private final Map<Long, Watched> byKey = new LinkedHashMap<>();
    private final Map<Long, Long> keyByInode = new HashMap<>();
    /** Namespaces turned away for lack of room, oldest first; at most {@code capacity} of them are remembered. */
    private final Map<Long, Watched> unwatched = new LinkedHashMap<>();
    /** Namespaces a rescan met and that wait to be admitted (a process in it, the inode), oldest first. */
    private final ArrayDeque<long[]> backlog = new ArrayDeque<>();
    private final Set<Long> backlogged = new HashSet<>();
    /** This process's own namespace: its id, or minus its inode where the kernel has no ids. */
    private final long ownKey;
    private final Map<Integer, Refusal> refusals = new LinkedHashMap<>();
    private final long ownUserNamespace;
    private long admitted;
    private long released;
    private long beyondCap;
    private long attaches;
    private long procAttaches;
    private long overflows;
    private volatile State state;

    private MountNamespaceWatch(ProcInstanceTracker tracker, Path procRoot, boolean otherNamespaces, int capacity,
                                FanotifyGroup group, String fallbackReason) {
        this.tracker = tracker;
        this.procRoot = procRoot;
        this.otherNamespaces = otherNamespaces;
        this.capacity = capacity;
        this.group = group;
        this.fallbackReason = fallbackReason;
        this.ownUserNamespace = fds.stat(procRoot + "/self/ns/user") == 0 ? fds.inode() : -1;
        this.ownKey = keyOf(procRoot + "/self/ns/mnt");
        publish();
    }

    /**
     * Opens the mount-event group and marks this process's own mount namespace, or settles for
     * {@link Mode#POLLING} and says why. In both modes this process's own mount table is read once more
     * afterwards, for mounts made since the caller's first rescan.
     *
     * @param mountEvents     whether to try {@code FAN_REPORT_MNT} at all
     * @param otherNamespaces whether namespaces other than this process's own may be admitted
     * @param capacity        how many namespaces may be watched at once
     */
    static MountNamespaceWatch open(ProcInstanceTracker tracker, Path procRoot, boolean mountEvents,
                                    boolean otherNamespaces, int capacity) {
        MountNamespaceWatch watch = openGroup(tracker, procRoot, mountEvents, otherNamespaces, capacity);
        try {
            tracker.scanNamespace(0, null);
        } catch (IOException e) {
            LOG.warn("cannot read this process's mount table again: {}", e.getMessage());
        }
        return watch;
    }

    private static MountNamespaceWatch openGroup(ProcInstanceTracker tracker, Path procRoot, boolean mountEvents,
                                                 boolean otherNamespaces, int capacity) {
        if (!mountEvents) {
            return new MountNamespaceWatch(tracker, procRoot, otherNamespaces, capacity, null,
                    "mount events are turned off (" + FanotifySettings.MOUNT_EVENTS + "=false)");
        }
        FanotifyGroup group;
        try {
            group = FanotifyGroup.open(Fanotify.FAN_CLASS_NOTIF | Fanotify.FAN_REPORT_MNT | Fanotify.FAN_CLOEXEC
                    | Fanotify.FAN_NONBLOCK);
        } catch (Fanotify.InitException e) {
            return new MountNamespaceWatch(tracker, procRoot, otherNamespaces, capacity, null,
                    "fanotify_init(FAN_REPORT_MNT) failed with " + Errno.describe(e.errno())
                    + (e.errno() == Errno.EINVAL ? ": the kernel lacks mount events (Linux 6.15+)" : ""));
        }
        MountNamespaceWatch watch = new MountNamespaceWatch(tracker, procRoot, otherNamespaces, capacity, group, null);
        String problem = watch.watchOwn();
        if (problem == null) {
            return watch;
        }
        group.close();
        return new MountNamespaceWatch(tracker, procRoot, otherNamespaces, capacity, null, problem);
    }

    /** Marks this process's own namespace; {@code null}, or why it could not. */
    private String watchOwn() {
        String path = procRoot + "/self/ns/mnt";
        int nsFd = LinuxLibC.open(path, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        if (nsFd < 0) {
            return "cannot open " + path + " (" + Errno.describe(LinuxLibC.errno()) + ")";
        }
        try {
            long id = queries.namespaceId(nsFd);
            if (id <= 0) {
                return "the NS_GET_MNTNS_ID ioctl failed with " + Errno.describe((int) -id)
                        + ": the kernel lacks mount namespace ids (Linux 6.11+)";
            }
            int errno = group.markMountNamespace(nsFd);
            if (errno != 0) {
                return "FAN_MARK_MNTNS on this process's own mount namespace failed with " + Errno.describe(errno)
                        + ": " + MountNamespaceCoverage.explainMarkFailure(errno);
            }
            long inode = fds.stat(nsFd) == 0 ? fds.inode() : -1;
            put(new Watched(id, inode, (int) ProcessHandle.current().pid(), true, true, false));
            warmUp(nsFd, id);
            publish();
            return null;
        } finally {
            LinuxLibC.close(nsFd);
        }
    }

    /** The key of the namespace {@code nsPath} names (see {@link Watched#key()}), or 0 if it cannot be opened. */
    private long keyOf(String nsPath) {
        int nsFd = LinuxLibC.open(nsPath, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        if (nsFd < 0) {
            return 0;
        }
        try {
            long id = queries.namespaceId(nsFd);
            return id > 0 ? id : fds.stat(nsFd) == 0 ? -fds.inode() : 0;
        } finally {
            LinuxLibC.close(nsFd);
        }
    }

    /**
     * Runs once, on this process's own namespace, the calls a first announcement or attach event makes, so that
     * loading and linking their code does not fall on the first new namespace (measured: tens of milliseconds on a
     * loaded machine, the whole head start of a short-lived container).
     */
    private void warmUp(int nsFd, long id) {
        ownedElsewhere(nsFd);
        long root = queries.firstMount(id);
        if (root > 0 && queries.stat(root, id, STAT_MASK) == 0) {
            queries.lastStat().isProc();
        }
        namespaceOf((int) ProcessHandle.current().pid());
    }

    Mode mode() {
        return group != null ? Mode.MOUNT_EVENTS : Mode.POLLING;
    }

    /** The mount-event group's descriptor to poll, or -1 in {@link Mode#POLLING}. */
    int fd() {
        return group != null ? group.fd() : -1;
    }

    /** What is watched now; any thread. */
    State state() {
        return state;
    }

    /** Admits each announced namespace (inode to a process in it). */
    void admit(Map<Long, Integer> announcements) {
        for (Map.Entry<Long, Integer> a : announcements.entrySet()) {
            admit(a.getValue(), a.getKey(), false);
        }
        publish();
    }

    /**
     * Watches the mount namespace process {@code pid} lives in (announced as {@code inode}; the process's
     * current namespace counts if it has moved), then marks the procfs instances in it. A namespace already
     * watched only learns of {@code pid} as a way in. Beyond the table's capacity a namespace is not watched, but
     * its procfs instances are still marked.
     *
     * @param fromRescan whether a full rescan has just read its mount table: then it is read again only if the
     *                   namespace was marked now (a mount made between the two would be missed otherwise)
     */
    private void admit(int pid, long announcedInode, boolean fromRescan) {
        String path = procRoot + "/" + pid + "/ns/mnt";
        int nsFd = LinuxLibC.open(path, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        if (nsFd < 0) {
            LOG.debug("mount namespace mnt:[{}] of process {}: the process is gone ({})", announcedInode, pid,
                    Errno.name(LinuxLibC.errno()));
            return;
        }
        Watched added;
        boolean markedNow = false;
        try {
            long inode = fds.stat(nsFd) == 0 ? fds.inode() : announcedInode;
            long id = queries.namespaceId(nsFd);
            long key = id > 0 ? id : -inode;
            Watched known = byKey.get(key);
            if (known != null) {
                if (known.own()) {
                    return; // its mounts are followed through its own mountinfo
                }
                byKey.put(key, known.withPid(pid));
                if (known.marked() || fromRescan) {
                    return; // its mount events bring later procfs mounts; a rescan has just read its table
                }
                // Without mount events, an announcement is the prompt to look again: it may have been admitted
                // before a procfs was mounted in it (the process table announces a namespace when it first meets a
                // process there, which can be before that process mounts anything).
                added = byKey.get(key);
            } else {
                if (key == ownKey || !otherNamespaces) {
                    return; // this process's own is watched from the start; others not at all
                }
                Watched turnedAway = unwatched.get(key);
                if (turnedAway != null) {
                    unwatched.put(key, turnedAway.withPid(pid));
                    added = turnedAway;
                } else {
                    admitted++;
                    if (byKey.size() >= capacity) {
                        pruneDead();
                    }
                    added = watch(nsFd, key, inode, pid);
                    markedNow = added.marked();
                }
            }
        } finally {
            LinuxLibC.close(nsFd);
        }
        if (!fromRescan || markedNow) {
            scan(added, pid);
        }
    }

    /**
     * Marks the namespace open on {@code nsFd} and puts it in the table, or, with no room left, remembers it as
     * turned away (the oldest such memory goes first).
     */
    private Watched watch(int nsFd, long key, long inode, int pid) {
        boolean foreignOwner = ownedElsewhere(nsFd);
        if (byKey.size() >= capacity) {
            Watched w = new Watched(key, inode, pid, false, false, foreignOwner);
            beyondCap++;
            if (unwatched.size() >= capacity) {
                Iterator<Long> oldest = unwatched.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
            unwatched.put(key, w);
            LOG.debug("mount namespace {} not watched: {} namespaces are watched already", w.name(), capacity);
            return w;
        }
        boolean marked = false;
        if (group != null && key > 0) {
            int errno = group.markMountNamespace(nsFd);
            marked = errno == 0;
            if (!marked) {
                refused(errno, "mnt:[" + inode + "]", pid);
            }
        }
        Watched w = new Watched(key, inode, pid, marked, false, foreignOwner);
        put(w);
        return w;
    }

    /**
     * Gives the places that freed up to namespaces turned away before, oldest first, if they still live (through
     * the last process known in each; one whose process has gone is forgotten: a rescan that meets it again
     * admits it again).
     */
    private void promote() {
        for (Iterator<Watched> it = unwatched.values().iterator(); it.hasNext() && byKey.size() < capacity; ) {
            Watched w = it.next();
            it.remove();
            int nsFd = LinuxLibC.open(procRoot + "/" + w.pid() + "/ns/mnt", LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
            if (nsFd < 0) {
                continue;
            }
            try {
                long id = queries.namespaceId(nsFd);
                if ((id > 0 ? id : -w.inode()) == w.key() && (fds.stat(nsFd) == 0 && fds.inode() == w.inode())) {
                    watch(nsFd, w.key(), w.inode(), w.pid());
                } else {
                    continue;
                }
            } finally {
                LinuxLibC.close(nsFd);
            }
            scan(w, w.pid());
        }
    }

    /** Whether the namespace open on {@code nsFd} is owned by a user namespace other than this process's. */
    private boolean ownedElsewhere(int nsFd) {
        int userFd = queries.ownerUserNamespace(nsFd);
        if (userFd < 0) {
            return userFd == -Errno.EPERM; // outside ours: certainly not ours
        }
        try {
            return fds.stat(userFd) == 0 && fds.inode() != ownUserNamespace;
        } finally {
            LinuxLibC.close(userFd);
        }
    }

    /**
     * Reads every pending mount event; a procfs attached to a watched namespace gets that namespace's table read
     * (once per namespace per call), an overflow a full rescan.
     */
    void onMountEvents() {
        if (group == null) {
            return;
        }
        List<long[]> attached = new ArrayList<>();
        boolean[] overflow = {false};
        while (true) {
            int n = group.read(buffer);
            if (n == -Errno.EINTR) {
                continue;
            }
            if (n == -Errno.EAGAIN || n == 0) {
                break;
            }
            if (n < 0) {
                LOG.warn("reading mount events failed ({}); rescanning every mount table", Errno.describe(-n));
                overflow[0] = true;
                break;
            }
            try {
                MountEventDecoder.decode(view, n, (mask, pid, mountId) -> {
                    if ((mask & Fanotify.FAN_Q_OVERFLOW) != 0) {
                        overflow[0] = true;
                    } else if ((mask & Fanotify.FAN_MNT_ATTACH) != 0 && mountId != MountEventDecoder.NO_MOUNT) {
                        attached.add(new long[] {mountId, pid});
                    }
                });
            } catch (MalformedEventException e) {
                LOG.warn("unreadable mount event ({}); rescanning every mount table", e.getMessage());
                overflow[0] = true;
            }
        }
        Map<Long, Integer> toScan = new LinkedHashMap<>();
        for (long[] a : attached) {
            attaches++;
            Located where = locate(a[0], (int) a[1]);
            if (where == null) {
                continue; // detached again already, or its namespace is gone
            }
            if (where.stat == null) {
                LOG.debug("statmount cannot say what mount {} in {} is; reading that namespace's table", a[0],
                        where.namespace.name());
            } else if (!where.stat.isProc()) {
                continue;
            } else {
                procAttaches++;
                LOG.debug("procfs {} attached at {} in {}", where.stat.device(), where.stat.mountPoint(),
                        where.namespace.name());
            }
            toScan.putIfAbsent(where.namespace.key(), where.route);
        }
        for (Map.Entry<Long, Integer> s : toScan.entrySet()) {
            Watched w = byKey.get(s.getKey());
            if (w != null) {
                scan(w, s.getValue());
            }
        }
        if (overflow[0]) {
            overflows++;
        }
        if (overflow[0]) {
            rescanAll();
        }
        publish();
    }

    /** Where an attached mount is: its namespace, a process through which to reach it, and what it is. */
    private record Located(Watched namespace, int route, MountStat stat) {
    }

    /**
     * Finds the watched namespace that holds mount {@code mountId}: first the namespace of the process that made
     * the mount, then every other one. {@code null} when none holds it (any more).
     */
    private Located locate(long mountId, int pid) {
        Watched hint = pid > 0 ? namespaceOf(pid) : null;
        if (hint != null) {
            Located found = statIn(hint, mountId, pid, true);
            if (found != null) {
                return found;
            }
        }
        for (Watched w : byKey.values()) {
            if (w != hint && w.marked()) {
                Located found = statIn(w, mountId, w.pid(), false);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Asks {@code statmount} about the mount in {@code w}; {@code hinted}: {@code w} is the mounting process's. */
    private Located statIn(Watched w, long mountId, int route, boolean hinted) {
        int r = queries.stat(mountId, w.key(), STAT_MASK);
        if (r == -Errno.EOVERFLOW) {
            r = queries.stat(mountId, w.key(), MountStat.SB_BASIC);
        }
        if (r == 0) {
            return new Located(w, route, queries.lastStat());
        }
        if (r == -Errno.ENOENT) {
            return null;
        }
        // statmount cannot answer (an older kernel, a refused namespace): treat it as a possible procfs, but only
        // in the namespace of the process that mounted it, not in every namespace asked.
        return hinted ? new Located(w, route, null) : null;
    }

    /** The watched namespace process {@code pid} lives in, by the inode its {@code ns/mnt} link names. */
    private Watched namespaceOf(int pid) {
        long inode = linkedInode(procRoot + "/" + pid + "/ns/mnt");
        Long key = inode > 0 ? keyByInode.get(inode) : null;
        return key == null ? null : byKey.get(key);
    }

    private static long linkedInode(String link) {
        try {
            Matcher m = NAMESPACE_LINK.matcher(Files.readSymbolicLink(Path.of(link)).toString());
            return m.matches() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Reads the mount table of {@code w} and marks the procfs instances there: through the last process known to
     * live in it, or, if that fails (the process has gone, before or while its table was read), through
     * {@code other} (the process that made a mount there, often a short-lived {@code mount}). If neither works,
     * the next rescan finds another way in.
     */
    private void scan(Watched w, int other) {
        if (w.own()) {
            scanOwn();
            return;
        }
        int[] routes = other > 0 && other != w.pid() ? new int[] {w.pid(), other} : new int[] {w.pid()};
        for (int route : routes) {
            try {
                List<ProcInstance> placed = tracker.scanNamespace(route, w.name());
                if (placed.stream().noneMatch(i -> i.markErrno() == Errno.ENOENT || i.markErrno() == Errno.ESRCH)) {
                    if (route != w.pid() && byKey.get(w.key()) == w) {
                        byKey.put(w.key(), w.withPid(route)); // the way in that works now
                    }
                    return;
                }
                LOG.debug("process {} left {} while its procfs was being marked", route, w.name());
            } catch (IOException e) {
                LOG.debug("cannot read the mount table of {} through process {}: {}", w.name(), route, e.getMessage());
            }
        }
    }

    private void scanOwn() {
        try {
            tracker.scanNamespace(0, null);
        } catch (IOException e) {
            LOG.warn("cannot read this process's mount table: {}", e.getMessage());
        }
    }

    /** A full rescan, then what {@link #afterRescan} does. */
    void rescanAll() {
        try {
            tracker.rescan();
        } catch (IOException | RuntimeException e) {
            LOG.warn("rescan of proc mounts failed", e);
        }
        afterRescan();
    }

    /**
     * After a full rescan: releases the watched namespaces that died, and queues each namespace it met that is not
     * watched yet for {@link #admitBacklog} (so that announcements, which wait on nothing else, need not wait for a
     * host full of containers to be admitted first).
     */
    void afterRescan() {
        Map<String, Integer> seen = tracker.namespacesSeen();
        pruneDead();
        for (Map.Entry<String, Integer> ns : seen.entrySet()) {
            long inode = inodeOf(ns.getKey());
            if (inode > 0 && !keyByInode.containsKey(inode) && backlogged.add(inode)) {
                backlog.add(new long[] {ns.getValue(), inode});
            }
        }
        // Without a namespace id to ask listmount about, a namespace no process lives in any more is taken as gone.
        Set<String> live = seen.keySet();
        for (Iterator<Watched> it = byKey.values().iterator(); it.hasNext(); ) {
            Watched w = it.next();
            if (!w.own() && (group == null || w.key() < 0) && !live.contains(w.name())) {
                it.remove();
                keyByInode.remove(w.inode());
                released++;
            }
        }
        unwatched.values().removeIf(w -> !live.contains(w.name()));
        promote();
        publish();
    }

    /**
     * Admits up to {@code max} of the namespaces the rescans met and queued.
     *
     * @return whether more are queued
     */
    boolean admitBacklog(int max) {
        for (int i = 0; i < max && !backlog.isEmpty(); i++) {
            long[] next = backlog.poll();
            backlogged.remove(next[1]);
            if (!keyByInode.containsKey(next[1])) {
                admit((int) next[0], next[1], true);
            }
        }
        publish();
        return !backlog.isEmpty();
    }

    static long inodeOf(String namespaceLink) {
        Matcher m = NAMESPACE_LINK.matcher(namespaceLink);
        try {
            return m.matches() ? Long.parseLong(m.group(1)) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Drops the namespaces {@code listmount} says are gone (the kernel dropped their marks with them). */
    private void pruneDead() {
        if (group == null) {
            return;
        }
        unwatched.values().removeIf(w -> w.key() > 0 && queries.namespaceExists(w.key()) == 0);
        for (Iterator<Watched> it = byKey.values().iterator(); it.hasNext(); ) {
            Watched w = it.next();
            if (!w.own() && w.key() > 0 && queries.namespaceExists(w.key()) == 0) {
                it.remove();
                keyByInode.remove(w.inode());
                released++;
                LOG.debug("mount namespace {} is gone", w.name());
            }
        }
    }

    private void put(Watched w) {
        byKey.put(w.key(), w);
        keyByInode.put(w.inode(), w.key());
    }

    private void refused(int errno, String namespace, int pid) {
        Refusal before = refusals.get(errno);
        if (before == null && refusals.size() >= MAX_REFUSAL_KINDS) {
            return;
        }
        if (before == null) {
            LOG.warn("cannot watch mount namespace {} (process {}) for new mounts: {}: {}", namespace, pid,
                    Errno.describe(errno), MountNamespaceCoverage.explainMarkFailure(errno));
        }
        refusals.put(errno, new Refusal(errno, before == null ? 1 : before.count() + 1, namespace, pid));
    }

    private void publish() {
        int watched = 0;
        int foreign = 0;
        for (Watched w : byKey.values()) {
            if (w.marked()) {
                watched++;
                if (w.foreignOwner()) {
                    foreign++;
                }
            }
        }
        state = new State(mode(), fallbackReason, watched, foreign, admitted, released, beyondCap, unwatched.size(),
                attaches,
                procAttaches, overflows, new ArrayList<>(refusals.values()), new ArrayList<>(byKey.values()));
    }

    @Override
    public void close() {
        if (group != null) {
            group.close();
        }
    }
}
