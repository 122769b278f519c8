package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Wakeup;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mount namespaces announced from any thread ("process {@code pid} lives in mount namespace {@code inode}"),
 * waiting for the mounts thread. An announcement costs the caller a map update and, for the first of a burst,
 * one {@code write} to an eventfd: it never waits on the mounts thread. Announcements of one namespace before
 * the mounts thread gets to them coalesce into one (the latest pid wins: the likeliest to be alive).
 *
 * <p>Bounded: at most {@link #MAX_PENDING} distinct namespaces wait at once; beyond that an announcement is
 * counted as {@link #dropped()} and the namespace is left to the periodic rescan.
 */
final class NamespaceAnnouncements implements AutoCloseable {

    /** Distinct namespaces that may wait at once. */
    static final int MAX_PENDING = 4096;

    private final Wakeup signal;
    private final ConcurrentHashMap<Long, Integer> pending = new ConcurrentHashMap<>();
    /**
     * Set by the first announcement after a drain; the mounts thread clears it after emptying the eventfd and
     * before it takes the waiting announcements.
     */
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final AtomicLong announced = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    private NamespaceAnnouncements(Wakeup signal) {
        this.signal = signal;
    }

    static NamespaceAnnouncements create() throws IOException {
        return new NamespaceAnnouncements(Wakeup.create());
    }

    /** The descriptor the mounts thread polls ({@code POLLIN} when announcements wait). */
    int fd() {
        return signal.fd();
    }

    /** Thread-safe; returns at once. Ignores a pid or inode that cannot be one. */
    void announce(int pid, long namespaceInode) {
        if (pid <= 0 || namespaceInode <= 0 || closed) {
            return;
        }
        announced.incrementAndGet();
        Long key = namespaceInode;
        if (pending.size() >= MAX_PENDING && !pending.containsKey(key)) {
            dropped.incrementAndGet();
            return;
        }
        pending.put(key, pid);
        if (signalled.compareAndSet(false, true)) {
            synchronized (this) {
                if (!closed) {
                    signal.signal();
                }
            }
        }
    }

    /**
     * Takes every waiting announcement (namespace inode to pid), in no particular order. Called by the mounts
     * thread when {@link #fd()} is readable; an announcement made during the call is either taken now or
     * signalled again.
     */
    Map<Long, Integer> drain() {
        // The eventfd first, then the flag: the other way round, an announcement could set the flag and write
        // the eventfd between the two, have its write consumed here with the flag left set, and every later
        // announcement would find the flag set and never signal again.
        signal.drain();
        signalled.set(false);
        Map<Long, Integer> out = new LinkedHashMap<>();
        for (Long key : pending.keySet()) {
            Integer pid = pending.remove(key);
            if (pid != null) {
                out.put(key, pid);
            }
        }
        return out;
    }

    /** Announcements received, counted before coalescing. */
    long announced() {
        return announced.get();
    }

    /** Announcements turned away because {@link #MAX_PENDING} namespaces were already waiting. */
    long dropped() {
        return dropped.get();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            signal.close();
        }
    }
}
