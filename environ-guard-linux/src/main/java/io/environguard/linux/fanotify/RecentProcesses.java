package io.environguard.linux.fanotify;

import io.environguard.api.ProcessInfo;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.Pidfds;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Processes the resolver inspected lately, so that one that appears again within {@code ttl} is not read from
 * {@code /proc} again: the reader of a sweep (one process, a thousand targets), {@code ps} reading every
 * process's environ, a target read by many readers. Each entry holds a pidfd of the process it describes; an
 * entry is used only while that pidfd shows the process alive (so the pid cannot have been reused by another
 * process) and while its {@code exe} link is unchanged (an {@code exec} of another program makes it stale).
 * What can change without either, a name set with {@code prctl(PR_SET_NAME)} or a rewritten command line, is
 * at most {@code ttl} old; uid, gid and parent always come from the access's own pidfd.
 *
 * <p>Bounded (least recently used entries go first, closing their pidfds); confined to the resolver thread.
 */
final class RecentProcesses implements AutoCloseable {

    static final int MAX_ENTRIES = 128;

    private final long ttlNanos;
    private final Map<Integer, Entry> byPid = new LinkedHashMap<>(MAX_ENTRIES * 2, 0.75f, true);

    /** @param ttlNanos how long an inspection may be reused; 0 keeps nothing */
    RecentProcesses(long ttlNanos) {
        this.ttlNanos = ttlNanos;
    }

    /** Whether an entry for {@code pid} is kept (it may still turn out stale). */
    boolean has(int pid) {
        return byPid.containsKey(pid);
    }

    /**
     * What was inspected of process {@code pid} within the ttl, if it is still that process and still runs
     * {@code exe}; else {@code null} (and the stale entry is dropped).
     *
     * @param exe the process's {@code exe} link as read now, or {@code null} when it could not be read
     */
    ProcessInfo get(int pid, String exe, long now) {
        Entry e = byPid.get(pid);
        if (e == null) {
            return null;
        }
        if (now - e.since > ttlNanos || exe == null || !exe.equals(e.info.exe()) || !Pidfds.isAlive(e.pidfd)) {
            remove(pid);
            return null;
        }
        return e.info;
    }

    /**
     * Keeps {@code info}, a complete inspection of the live process pinned by {@code pidfd} (which the caller
     * keeps: the cache holds a duplicate).
     */
    void put(int pid, int pidfd, ProcessInfo info, long now) {
        if (ttlNanos <= 0 || !info.complete() || info.exe() == null) {
            return;
        }
        int copy = LinuxLibC.fcntl(pidfd, LinuxLibC.F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            return;
        }
        remove(pid);
        if (byPid.size() >= MAX_ENTRIES) {
            Iterator<Entry> eldest = byPid.values().iterator();
            LinuxLibC.close(eldest.next().pidfd);
            eldest.remove();
        }
        byPid.put(pid, new Entry(Objects.requireNonNull(info), copy, now));
    }

    int size() {
        return byPid.size();
    }

    private void remove(int pid) {
        Entry old = byPid.remove(pid);
        if (old != null) {
            LinuxLibC.close(old.pidfd);
        }
    }

    @Override
    public void close() {
        for (Entry e : byPid.values()) {
            LinuxLibC.close(e.pidfd);
        }
        byPid.clear();
    }

    private record Entry(ProcessInfo info, int pidfd, long since) {
    }
}
