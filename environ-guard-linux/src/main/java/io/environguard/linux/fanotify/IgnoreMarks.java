package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PidfdInfo;
import io.environguard.linux.nativeio.Pidfds;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evictable ignore marks ({@code FAN_MARK_IGNORED_MASK | FAN_MARK_EVICTABLE}, Linux 5.19) on {@code /proc}
 * files that are neither {@code environ} nor {@code mem}: once a file has such a mark, the kernel stops
 * queueing its opens for this group, so neither the opener nor the kernel-read thread pays for them again.
 * Two kinds of file get one:
 * <ul>
 *   <li>every file the resolver is about to read ({@code stat}, {@code cmdline}, ...): without the mark,
 *       each of the guard's own reads would be an event that wakes its own kernel-read thread;</li>
 *   <li>a file whose open the kernel-read thread has just seen and found uninteresting: the next open of
 *       the same file (by {@code ps}, {@code top}, a monitoring agent) makes no event at all.</li>
 * </ul>
 * An environ or mem file never gets one, so nothing the guard is for is ever suppressed. The marks do not
 * pin inodes and go with them; the group's count is bounded anyway: after {@code budget} marks the inode
 * marks are flushed (the filesystem marks stay) and the lazy marking starts over. Marks are charged to the
 * user's {@code fs.fanotify.max_user_marks}; when the kernel refuses more ({@code ENOSPC}) they are flushed,
 * and if it still refuses, marking stops and {@link #degradation()} says why.
 *
 * <p>{@code within} limits the marks to files of one process and its descendants, seen through the host's
 * {@code /proc} ({@code /proc/<pid>/...} on its device); 0 means every file. It exists for test harnesses on
 * shared machines, which must not mark what they did not start; whether a process descends from
 * {@code within} is asked of {@code PIDFD_GET_INFO} and remembered for a second.
 *
 * <p>Thread-safe: the kernel-read and resolver threads both mark.
 */
final class IgnoreMarks {

    private static final Logger LOG = LoggerFactory.getLogger(IgnoreMarks.class);
    private static final long LINEAGE_TTL_NANOS = 1_000_000_000L;
    private static final int LINEAGE_CACHE_MAX = 4096;
    private static final int MAX_DEPTH = 64;
    private static final byte[] HOST_PROC = "/proc/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final FanotifyGroup group;
    private final long budget;
    private final int within;
    private final long hostDevice;
    private final AtomicLong placed = new AtomicLong();
    private final AtomicLong flushes = new AtomicLong();
    private long sinceFlush;
    private volatile int generation;
    private volatile String degradation;

    private final Pidfds pidfds = new Pidfds();
    private final Map<Integer, Boolean> lineage = new HashMap<>();
    private long lineageSince;

    /**
     * @param group  the group whose opens are ignored
     * @param budget how many marks may be placed between two flushes; 0 places none
     * @param within 0, or the pid whose descendants' files alone may be marked
     * @param hostDevice the device of the host's {@code /proc} (as {@code FdInspector} packs it): with
     *                   {@code within}, only files on it are marked
     */
    IgnoreMarks(FanotifyGroup group, long budget, int within, long hostDevice) {
        this.group = group;
        this.budget = budget;
        this.within = within;
        this.hostDevice = hostDevice;
        if (budget <= 0) {
            degradation = "ignore marks are off (" + FanotifySettings.IGNORE_MARKS + "=0): every /proc open on the"
                    + " host is an event for the guard, its own reads of reader and target details included";
        }
    }

    /** Whether marks are placed at all (they stop for good if the kernel refuses them). */
    boolean active() {
        return degradation == null;
    }

    /** Whether {@link #afterEvent} needs the file's path (to tell whose file it is). */
    boolean needsPath() {
        return within != 0;
    }

    /** Changes whenever the marks are flushed: a cache of what is marked is stale from then on. */
    int generation() {
        return generation;
    }

    /** Marks placed since the source started. */
    long placed() {
        return placed.get();
    }

    /** Flushes since the source started. */
    long flushes() {
        return flushes.get();
    }

    /** Why marks are not placed, for the coverage; empty while they are. */
    Optional<String> degradation() {
        return Optional.ofNullable(degradation);
    }

    /**
     * Ignores further opens of the file open on {@code fd}, which the kernel-read thread has found to be
     * neither environ nor mem.
     *
     * @param device the file's device, or -1 when unknown
     * @param link   the file's path as read from {@code /proc/self/fd}, or {@code null} when it was not read
     *               (then {@link #needsPath()} was false)
     * @param length the path's length in bytes
     */
    void afterEvent(int fd, long device, ByteBuffer link, int length) {
        if (!active()) {
            return;
        }
        if (within != 0) {
            int pid = link == null || device != hostDevice ? -1 : pidOfHostProcPath(link, length);
            if (pid <= 0 || !inScope(pid, -1)) {
                return;
            }
        }
        placed(group.ignoreOpens(fd));
    }

    /**
     * Ignores opens of {@code file}, a file of process {@code pid} that is neither environ nor mem, before the
     * resolver opens it.
     *
     * @param ppid {@code pid}'s parent if known, else -1: spares a lookup of a new process's lineage
     */
    void beforeRead(int pid, int ppid, String file) {
        if (active() && (within == 0 || inScope(pid, ppid))) {
            placed(group.ignoreOpens(file));
        }
    }

    private void placed(int errno) {
        if (errno == 0) {
            placed.incrementAndGet();
            boolean full;
            synchronized (this) {
                full = ++sinceFlush >= budget;
            }
            if (full) {
                flush();
            }
        } else if (errno == Errno.ENOSPC) {
            // fs.fanotify.max_user_marks: this user's marks, all groups together. Make room once; if the
            // kernel still refuses, leave the rest of the user's marks to the groups that need them.
            if (sinceFlush() == 0) {
                stop("the kernel refused more marks (ENOSPC: fs.fanotify.max_user_marks reached by this user's"
                        + " fanotify groups); opens of files that are not environ or mem are events again");
            } else {
                flush();
            }
        } else if (errno == Errno.EINVAL || errno == Errno.EOPNOTSUPP) {
            stop("the kernel refused evictable ignore marks (" + Errno.describe(errno) + "; they need Linux 5.19):"
                    + " every /proc open on the host is an event for the guard, its own reads included");
        }
        // ENOENT, ESRCH, EACCES: the file or its process went away, or cannot be marked; nothing to do.
    }

    private synchronized long sinceFlush() {
        return sinceFlush;
    }

    private void flush() {
        synchronized (this) {
            sinceFlush = 0;
            generation++;
        }
        int errno = group.flushInodeMarks();
        flushes.incrementAndGet();
        if (errno != 0) {
            stop("flushing ignore marks failed (" + Errno.describe(errno) + ")");
        }
    }

    private void stop(String why) {
        if (degradation == null) {
            degradation = why;
            LOG.warn("fanotify source: {}", why);
        }
    }

    /**
     * The pid in a path of the host's {@code /proc} mounted at {@code /proc}: {@code /proc/<pid>/...}; -1 for
     * any other path (a file of no process, another mount point, {@code self}, which the kernel never prints).
     */
    static int pidOfHostProcPath(ByteBuffer link, int length) {
        if (length <= HOST_PROC.length) {
            return -1;
        }
        for (int i = 0; i < HOST_PROC.length; i++) {
            if (link.get(i) != HOST_PROC[i]) {
                return -1;
            }
        }
        long pid = 0;
        int i = HOST_PROC.length;
        for (; i < length && i < HOST_PROC.length + 10; i++) {
            byte b = link.get(i);
            if (b < '0' || b > '9') {
                break;
            }
            pid = pid * 10 + (b - '0');
        }
        boolean digits = i > HOST_PROC.length && link.get(HOST_PROC.length) != '0';
        return digits && pid <= Integer.MAX_VALUE && i < length && link.get(i) == '/' ? (int) pid : -1;
    }

    /**
     * Whether {@code pid} (a process or thread id) is {@link #within} or descends from it. Every process met on
     * the way up is remembered with the same answer, so a new child of a known process costs one step.
     */
    private synchronized boolean inScope(int pid, int ppid) {
        long now = System.nanoTime();
        if (now - lineageSince > LINEAGE_TTL_NANOS || lineage.size() >= LINEAGE_CACHE_MAX) {
            lineage.clear();
            lineageSince = now;
        }
        Boolean known = lineage.get(pid);
        if (known != null) {
            return known;
        }
        int[] path = new int[MAX_DEPTH];
        int steps = 0;
        boolean answer = false;
        int p = pid;
        while (true) {
            Boolean k = lineage.get(p);
            if (k != null) {
                answer = k;
                break;
            }
            if (p == within) {
                answer = true;
                break;
            }
            if (p <= 1 || steps == MAX_DEPTH) {
                break;
            }
            path[steps++] = p;
            int next = p == pid && ppid > 0 ? ppid : parentOf(p);
            if (next < 0) {
                break;
            }
            p = next;
        }
        for (int i = 0; i < steps; i++) {
            lineage.put(path[i], answer);
        }
        return answer;
    }

    /** The process of thread {@code p} if it is one, else its parent; -1 when it is gone. */
    private int parentOf(int p) {
        int fd = Pidfds.open(p, true);
        if (fd < 0) {
            return -1;
        }
        try {
            PidfdInfo info = pidfds.info(fd).orElse(null);
            if (info == null || info.ppid() < 0) {
                return -1;
            }
            return info.tgid() > 0 && info.tgid() != p ? info.tgid() : info.ppid();
        } finally {
            LinuxLibC.close(fd);
        }
    }
}
