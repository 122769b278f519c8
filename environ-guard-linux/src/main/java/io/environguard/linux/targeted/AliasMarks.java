package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.ProcParseException;
import io.environguard.linux.proc.ProcStatusParser;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The marked aliases: for each, the {@code O_PATH} descriptor that pins it and its (fsid, inode), so that
 * a FID event maps back to (pid, alias). Confined to the source's thread.
 *
 * <p>An alias under {@code /proc/T} with T a thread id is opened relative to a descriptor of
 * {@code /proc/T} whose {@code status} says {@code Tgid: P}: a proc directory descriptor stays bound to the
 * task it was opened for, so a thread id reused by another process between the listing of
 * {@code /proc/P/task} and the open cannot slip a stranger's file into the table.
 *
 * <pre>{@code
 * AliasMarks marks = new AliasMarks(group);
 * marks.apply(plan.aliases());             // marks what is new, releases what left the plan
 * Alias a = marks.lookup(fsid, inode);     // null if not ours
 * }</pre>
 */
final class AliasMarks implements AutoCloseable {

    /** Released aliases remembered, so that an event queued just before its release still maps. */
    private static final int RETIRED_CAPACITY = 4096;
    private static final int STATX_INO = 0x100;
    private static final int STATX_INO_OFFSET = 32;
    private static final int STATUS_BYTES = 4096;

    record Key(long fsid, long inode) {
        // By hand, for the same reason as Alias's: generated record methods are slow when interpreted.
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.inode == inode && k.fsid == fsid;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(inode * 31 + fsid);
        }
    }

    private record Pinned(int fd, Key key) {
    }

    /**
     * What is marked now, for coverage.
     *
     * @param byLevel  marked aliases per level
     * @param failures aliases that could not be marked in the last pass, per errno name (a thread that exited
     *                 between the listing and the open is {@code ENOENT} or {@code ESRCH})
     * @param example  one failed path per errno name
     */
    record State(Map<Alias.Level, Integer> byLevel, Map<String, Integer> failures, Map<String, String> example) {
        State {
            byLevel = Map.copyOf(byLevel);
            failures = Map.copyOf(failures);
            example = Map.copyOf(example);
        }

        int marked() {
            return byLevel.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private final FanotifyGroup group;
    private final Map<Alias, Pinned> pinned = new HashMap<>();
    private final Map<Key, Alias> byKey = new HashMap<>();
    private final Map<Key, Alias> retired = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Alias> eldest) {
            return size() > RETIRED_CAPACITY;
        }
    };
    private final Map<String, Integer> failures = new TreeMap<>();
    private final Map<String, String> examples = new TreeMap<>();
    private final Memory statx = new Memory(256);
    private final Memory statfs = new Memory(LinuxLibC.STATFS_SIZE);
    private final Memory status = new Memory(STATUS_BYTES);
    private final Memory emptyPath = new Memory(1);
    private Map<String, Integer> paths;

    AliasMarks(FanotifyGroup group) {
        this.group = group;
        emptyPath.setByte(0, (byte) 0);
    }

    /** Marks every alias of {@code plan} not yet marked and releases every marked alias not in it. */
    void apply(List<Alias> plan) {
        Set<Alias> wanted = new HashSet<>(plan);
        for (Alias a : new ArrayList<>(pinned.keySet())) {
            if (!wanted.contains(a)) {
                release(a);
            }
        }
        failures.clear();
        examples.clear();
        Map<Integer, List<Alias>> byDir = new LinkedHashMap<>();
        for (Alias a : plan) {
            if (!pinned.containsKey(a)) {
                byDir.computeIfAbsent(a.dir(), d -> new ArrayList<>()).add(a);
            }
        }
        byDir.forEach(this::markDir);
    }

    /** Releases every alias of {@code pid} (the process exited). */
    void releaseProcess(int pid) {
        for (Alias a : new ArrayList<>(pinned.keySet())) {
            if (a.pid() == pid) {
                release(a);
            }
        }
    }

    /** The alias an event's object belongs to, or {@code null} when it is none of ours. */
    Alias lookup(long fsid, long inode) {
        Key k = new Key(fsid, inode);
        Alias a = byKey.get(k);
        return a != null ? a : retired.get(k);
    }

    /**
     * The paths of every marked alias, with the guarded pid each belongs to; built once per change of the
     * table (thousands of path strings are not built per event).
     */
    Map<String, Integer> pathsToPid() {
        if (paths == null) {
            Map<String, Integer> out = new HashMap<>(pinned.size() * 2);
            pinned.keySet().forEach(a -> out.put(a.path(), a.pid()));
            paths = java.util.Collections.unmodifiableMap(out);
        }
        return paths;
    }

    /** The marked aliases, as an immutable snapshot (no path strings are built). */
    List<Alias> aliases() {
        return List.copyOf(pinned.keySet());
    }

    int size() {
        return pinned.size();
    }

    State state() {
        Map<Alias.Level, Integer> byLevel = new EnumMap<>(Alias.Level.class);
        pinned.keySet().forEach(a -> byLevel.merge(a.level(), 1, Integer::sum));
        return new State(byLevel, failures, examples);
    }

    private void markDir(int dir, List<Alias> aliases) {
        int pid = aliases.get(0).pid();
        int dirFd = LinuxLibC.openat(LinuxLibC.AT_FDCWD, "/proc/" + dir,
                LinuxLibC.O_PATH | LinuxLibC.O_DIRECTORY | LinuxLibC.O_CLOEXEC, 0);
        if (dirFd < 0) {
            int errno = LinuxLibC.errno();
            aliases.forEach(a -> fail(a, errno));
            return;
        }
        try {
            int tgid = tgidOf(dirFd);
            if (tgid != pid) {
                // Exited and, perhaps, reused by another process: none of its files are ours.
                aliases.forEach(a -> fail(a, Errno.ESRCH));
                return;
            }
            for (Alias a : aliases) {
                markOne(dirFd, a);
            }
        } finally {
            LinuxLibC.close(dirFd);
        }
    }

    private void markOne(int dirFd, Alias a) {
        int fd = LinuxLibC.openat(dirFd, a.relativePath(), LinuxLibC.O_PATH | LinuxLibC.O_CLOEXEC, 0);
        if (fd < 0) {
            fail(a, LinuxLibC.errno());
            return;
        }
        Key key = keyOf(fd);
        if (key == null) {
            int errno = LinuxLibC.errno();
            LinuxLibC.close(fd);
            fail(a, errno);
            return;
        }
        int errno = group.markInodeOpen(fd);
        if (errno != 0) {
            LinuxLibC.close(fd);
            fail(a, errno);
            return;
        }
        pinned.put(a, new Pinned(fd, key));
        paths = null;
        byKey.put(key, a);
        retired.remove(key);
    }

    private void release(Alias a) {
        Pinned p = pinned.remove(a);
        if (p == null) {
            return;
        }
        paths = null;
        // Removing fails harmlessly for a thread that has gone (the inode goes, and its mark with it).
        group.unmarkInodeOpen(p.fd());
        LinuxLibC.close(p.fd());
        byKey.remove(p.key());
        retired.put(p.key(), a);
    }

    private Key keyOf(int fd) {
        if (LinuxLibC.statx(fd, emptyPath, LinuxLibC.AT_EMPTY_PATH, STATX_INO, statx) != 0) {
            return null;
        }
        if (LinuxLibC.fstatfs(fd, statfs) != 0) {
            return null;
        }
        long fsid = (statfs.getInt(LinuxLibC.STATFS_FSID_OFFSET) & 0xFFFFFFFFL)
                | ((long) statfs.getInt(LinuxLibC.STATFS_FSID_OFFSET + 4) << 32);
        return new Key(fsid, statx.getLong(STATX_INO_OFFSET));
    }

    /** The Tgid in {@code status} under a {@code /proc/T} descriptor, or -1. */
    private int tgidOf(int dirFd) {
        int fd = LinuxLibC.openat(dirFd, "status", LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        if (fd < 0) {
            return -1;
        }
        try {
            int n = LinuxLibC.read(fd, status, STATUS_BYTES);
            if (n <= 0) {
                return -1;
            }
            return ProcStatusParser.parse(status.getByteArray(0, n)).tgid();
        } catch (ProcParseException e) {
            return -1;
        } finally {
            LinuxLibC.close(fd);
        }
    }

    private void fail(Alias a, int errno) {
        String name = Errno.name(errno);
        failures.merge(name, 1, Integer::sum);
        examples.putIfAbsent(name, a.path());
    }

    /** Closes every pinning descriptor; the group's close removes the marks. */
    @Override
    public void close() {
        for (Pinned p : pinned.values()) {
            LinuxLibC.close(p.fd());
        }
        pinned.clear();
        paths = null;
        byKey.clear();
    }
}
