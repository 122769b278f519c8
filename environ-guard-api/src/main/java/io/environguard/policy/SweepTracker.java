package io.environguard.policy;

import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows episodes of reads to tell sweeps from ordinary reads. Two kinds of episode:
 * <ul>
 *   <li>a <b>reader</b>'s (pid + start time): one process reaching {@code threshold} distinct targets within the
 *       sliding {@code window};</li>
 *   <li>a <b>family</b>'s: the readers whose parent is the same process (pid + start time from the reader's
 *       lineage, else its {@code ppid} with an unknown start), reaching {@code threshold} distinct targets within
 *       the window with at least two distinct readers: a shell loop forking one {@code cat} per target,
 *       {@code xargs}, {@code find -exec}. No family is formed under host init (pid 1) or kthreadd (pid 2),
 *       where orphans and services are re-parented.</li>
 * </ul>
 *
 * <p>An episode is a run of its tracked accesses with gaps shorter than the window; one that has been quiet for
 * a whole window has ended. Within an episode, a target counts while its latest access is less than a window
 * old. Each access is judged in this order, so that no read is in two sweeps:
 * <ol>
 *   <li>its reader's episode already swept: {@link Outcome#FOLDED} into it;</li>
 *   <li>its family's episode already swept: {@link Outcome#FOLDED} into it (not counted for the reader);</li>
 *   <li>counted for the reader; reaching the threshold: {@link Outcome#SWEPT} (a reader sweep), and the reader's
 *       targets are taken out of its family's window, so that its reads never make a family sweep as well;</li>
 *   <li>counted for the family; reaching the threshold with two or more readers: {@link Outcome#SWEPT} (a family
 *       sweep);</li>
 *   <li>otherwise {@link Outcome#COUNTED}: the caller reports the access on its own.</li>
 * </ol>
 * A swept episode lists every target and reader from its sweep on (up to {@code maxListed} of each, then it
 * counts accesses to the rest) for its closing alert. When it ends (quiet for a window, or dropped at the cap),
 * it is moved to the ended list that {@link #drainEnded} empties.
 *
 * <p>Bounded: each of the two tables holds at most {@code maxEntries} episodes; each episode remembers at most
 * {@code threshold} targets in its window and, once swept, at most {@code maxListed} targets and readers. When a
 * new episode arrives, ended ones are dropped, least recently active first; at the cap, the least recently
 * active is dropped even if it is running (a swept one still gets its closing alert). A dropped episode starts
 * afresh: its next reads are reported one by one again and may raise a second sweep alert, so the cap can cost
 * extra alerts, never hide one. At most {@value #ENDED_KEPT} ended episodes wait for {@link #drainEnded} (the
 * guard drains them every second); beyond that the oldest are dropped and counted. Not thread-safe.
 */
final class SweepTracker {

    enum Outcome {
        /** Counted; no episode reached the threshold: the caller reports the access normally. */
        COUNTED,
        /** This access brought an episode to the threshold: one sweep alert. */
        SWEPT,
        /** The access's episode already had its sweep alert: no alert, listed in its closing alert. */
        FOLDED
    }

    /** Ended sweeps kept for their closing alerts until {@link #drainEnded}. */
    static final int ENDED_KEPT = 4096;
    private static final int KTHREADD = 2;

    private final int threshold;
    private final long windowNanos;
    private final int maxEntries;
    private final int maxListed;
    private final boolean families;
    private final int endedKept;
    /** Access-ordered: the head is the least recently active episode. */
    private final LinkedHashMap<Key, Episode> readers = new LinkedHashMap<>(64, 0.75f, true);
    private final LinkedHashMap<Key, Episode> familyEpisodes = new LinkedHashMap<>(64, 0.75f, true);
    private final Key readerProbe = new Key();
    private final Key familyProbe = new Key();
    private final ArrayDeque<Episode> ended = new ArrayDeque<>();
    private long endedDropped;
    private Episode last;

    SweepTracker(int threshold, long windowNanos, int maxEntries, int maxListed, boolean families) {
        this(threshold, windowNanos, maxEntries, maxListed, families, ENDED_KEPT);
    }

    SweepTracker(int threshold, long windowNanos, int maxEntries, int maxListed, boolean families, int endedKept) {
        this.endedKept = endedKept;
        this.threshold = threshold;
        this.windowNanos = windowNanos;
        this.maxEntries = maxEntries;
        this.maxListed = Math.max(maxListed, threshold);
        this.families = families;
    }

    /**
     * Tracks one access whose reader's pid is known, at {@code now}. After {@link Outcome#SWEPT} or
     * {@link Outcome#FOLDED}, {@link #lastEpisode()} is the episode concerned, live until the next call.
     *
     * @param direct whether the access was observed directly (not inferred from a command line)
     */
    Outcome track(EnvironAccess access, long now, boolean direct) {
        ProcessInfo reader = access.reader();
        ProcessInfo target = access.target();
        readerProbe.set(reader.pid(), reader.startTime());
        Episode r = live(readers, readerProbe, now);
        if (r != null && r.swept) {
            r.fold(access, now, direct);
            last = r;
            return Outcome.FOLDED;
        }
        boolean hasFamily = families && familyKey(reader, familyProbe);
        Episode f = hasFamily ? live(familyEpisodes, familyProbe, now) : null;
        if (f != null && f.swept) {
            f.fold(access, now, direct);
            last = f;
            return Outcome.FOLDED;
        }
        if (r == null) {
            evict(readers, now);
            r = new Episode(false);
            readers.put(readerProbe.copy(), r);
        }
        r.count(now, direct);
        r.touch(target, reader, now, windowNanos, threshold);
        if (r.size >= threshold) {
            r.sweep(access, maxListed, null);
            if (f != null) {
                f.removeReader(reader);
            }
            last = r;
            return Outcome.SWEPT;
        }
        if (hasFamily) {
            if (f == null) {
                evict(familyEpisodes, now);
                f = new Episode(true);
                familyEpisodes.put(familyProbe.copy(), f);
            }
            f.count(now, direct);
            f.touch(target, reader, now, windowNanos, threshold);
            if (f.size >= threshold && f.hasTwoReaders()) {
                f.sweep(access, maxListed, parentOf(reader));
                last = f;
                return Outcome.SWEPT;
            }
        }
        return Outcome.COUNTED;
    }

    /** The episode of the last {@link Outcome#SWEPT} or {@link Outcome#FOLDED}. */
    Episode lastEpisode() {
        return last;
    }

    /** Ends every episode that has been quiet for a window at {@code now}: swept ones go to the ended list. */
    void expire(long now) {
        expire(readers, now);
        expire(familyEpisodes, now);
    }

    /** Ends every swept episode, quiet or not (the guard is closing); the others stay. */
    void endAllSwept() {
        endSwept(readers);
        endSwept(familyEpisodes);
    }

    /** The swept episodes that ended since the last call, oldest first. */
    List<Episode> drainEnded() {
        if (ended.isEmpty()) {
            return List.of();
        }
        List<Episode> out = new ArrayList<>(ended);
        ended.clear();
        return out;
    }

    /** Ended episodes dropped because more ended between two {@link #drainEnded} calls than the cap; resets to 0. */
    long takeEndedDropped() {
        long n = endedDropped;
        endedDropped = 0;
        return n;
    }

    int readerCount() {
        return readers.size();
    }

    int familyCount() {
        return familyEpisodes.size();
    }

    /** The most targets any episode currently holds in its window. */
    int maxWindowTargets() {
        int max = 0;
        for (Episode e : readers.values()) {
            max = Math.max(max, e.size);
        }
        for (Episode e : familyEpisodes.values()) {
            max = Math.max(max, e.size);
        }
        return max;
    }

    /** The most targets or readers any swept episode lists. */
    int maxListedNow() {
        int max = 0;
        for (Episode e : readers.values()) {
            max = Math.max(max, e.listedSize());
        }
        for (Episode e : familyEpisodes.values()) {
            max = Math.max(max, e.listedSize());
        }
        return max;
    }

    /**
     * Sets {@code key} to the reader's family: its parent from the lineage (exact), else its {@code ppid} with an
     * unknown start time. {@code false} when the reader has no parent worth a family (unknown, init, kthreadd).
     */
    static boolean familyKey(ProcessInfo reader, Key key) {
        Ancestor parent = reader.parent();
        int pid = parent != null ? parent.pid() : reader.ppid();
        if (pid <= KTHREADD) {
            return false; // unknown (-1), 0, host init (1) or kthreadd (2)
        }
        key.set(pid, parent != null ? parent.startTime() : ProcessInfo.UNKNOWN);
        return true;
    }

    /** The reader's parent as a process: from the lineage (with the rest of the chain), else only its pid. */
    static ProcessInfo parentOf(ProcessInfo reader) {
        List<Ancestor> chain = reader.ancestors();
        if (chain.isEmpty()) {
            return ProcessInfo.builder(reader.ppid()).complete(false).build();
        }
        Ancestor p = chain.get(0);
        return ProcessInfo.builder(p.pid()).startTime(p.startTime()).comm(p.comm()).exe(p.exe())
                .ppid(chain.size() > 1 ? chain.get(1).pid() : ProcessInfo.UNKNOWN)
                .ancestors(chain.subList(1, chain.size())).complete(false).build();
    }

    /** The episode under {@code key}, or {@code null}; one that has been quiet for a window is ended first. */
    private Episode live(LinkedHashMap<Key, Episode> table, Key key, long now) {
        Episode e = table.get(key);
        if (e != null && now - e.lastSeen >= windowNanos) {
            table.remove(key);
            end(e);
            return null;
        }
        return e;
    }

    private void expire(LinkedHashMap<Key, Episode> table, long now) {
        Iterator<Episode> it = table.values().iterator();
        while (it.hasNext()) {
            Episode e = it.next();
            if (now - e.lastSeen < windowNanos) {
                break;
            }
            it.remove();
            end(e);
        }
    }

    private void endSwept(LinkedHashMap<Key, Episode> table) {
        Iterator<Episode> it = table.values().iterator();
        while (it.hasNext()) {
            Episode e = it.next();
            if (e.swept) {
                it.remove();
                end(e);
            }
        }
    }

    /** Drops ended episodes from the head, and the least recently active one at the cap. */
    private void evict(LinkedHashMap<Key, Episode> table, long now) {
        Iterator<Episode> it = table.values().iterator();
        int size = table.size();
        while (it.hasNext()) {
            Episode eldest = it.next();
            if (size >= maxEntries || now - eldest.lastSeen >= windowNanos) {
                it.remove();
                end(eldest);
                size--;
            } else {
                break;
            }
        }
    }

    private void end(Episode e) {
        if (!e.swept) {
            return;
        }
        if (ended.size() >= endedKept) {
            ended.removeFirst();
            endedDropped++;
        }
        ended.addLast(e);
    }

    /** One reader's or family's current episode. */
    static final class Episode {
        private final boolean family;
        private long lastSeen;
        private long count;
        private boolean anyDirect;
        private boolean swept;
        /** Targets seen in the window: parallel arrays, {@code size} used, at most threshold long. */
        private int size;
        private int[] pids;
        private long[] starts;
        private long[] seen;
        private ProcessInfo[] infos;
        /** The latest reader of each target in the window. */
        private ProcessInfo[] readerInfos;
        /** Set when the episode sweeps. */
        private Listing listing;
        private boolean onlyCommandLineAtSweep;
        private ProcessInfo actor;
        private EnvironAccess lastAccess;

        Episode(boolean family) {
            this.family = family;
            // most episodes touch one or two targets: start small, grow by doubling up to the threshold
            int capacity = 2;
            pids = new int[capacity];
            starts = new long[capacity];
            seen = new long[capacity];
            infos = new ProcessInfo[capacity];
            readerInfos = new ProcessInfo[capacity];
        }

        /** Whether this is a family's episode (siblings under one parent) rather than one reader's. */
        boolean isFamily() {
            return family;
        }

        /** Tracked accesses in this episode so far, repeats and folded reads included. */
        long count() {
            return count;
        }

        /** Whether every access of the episode up to its sweep was inferred from a command line. */
        boolean onlyCommandLine() {
            return swept ? onlyCommandLineAtSweep : !anyDirect;
        }

        /** The parent blamed for a family's sweep; {@code null} for a reader's episode. */
        ProcessInfo actor() {
            return actor;
        }

        /** The latest access of the episode once it swept (the closing alert's access). */
        EnvironAccess lastAccess() {
            return lastAccess;
        }

        /** The epoch nanos of the episode's latest access. */
        long lastSeen() {
            return lastSeen;
        }

        /** What the episode lists for its alerts; {@code null} before it swept. */
        Listing listing() {
            return listing;
        }

        private int listedSize() {
            return listing == null ? 0 : Math.max(listing.targets.size(), listing.readers.size());
        }

        private void count(long now, boolean direct) {
            if (count == 0 || now > lastSeen) {
                lastSeen = now;
            }
            count++;
            anyDirect |= direct;
        }

        private void fold(EnvironAccess access, long now, boolean direct) {
            count(now, direct);
            lastAccess = access;
            listing.add(access.target(), access.reader());
        }

        /** Marks the episode swept and starts its listing with the window's targets and readers. */
        private void sweep(EnvironAccess access, int maxListed, ProcessInfo parent) {
            swept = true;
            onlyCommandLineAtSweep = !anyDirect;
            actor = parent;
            lastAccess = access;
            listing = new Listing(maxListed);
            for (int i = 0; i < size; i++) {
                listing.add(infos[i], readerInfos[i]);
            }
            // the window is no longer needed: from now on, every read is listed instead
            Arrays.fill(infos, 0, size, null);
            Arrays.fill(readerInfos, 0, size, null);
            size = 0;
        }

        /** Whether the window's targets were read by at least two distinct readers. */
        private boolean hasTwoReaders() {
            for (int i = 1; i < size; i++) {
                if (!sameProcess(readerInfos[i], readerInfos[0])) {
                    return true;
                }
            }
            return false;
        }

        /** Takes out of the window every target whose latest reader is {@code reader} (which swept on its own). */
        private void removeReader(ProcessInfo reader) {
            int kept = 0;
            for (int i = 0; i < size; i++) {
                if (sameProcess(readerInfos[i], reader)) {
                    continue;
                }
                moveSlot(i, kept);
                kept++;
            }
            Arrays.fill(infos, kept, size, null);
            Arrays.fill(readerInfos, kept, size, null);
            size = kept;
        }

        /** Drops targets that left the window, then records {@code target}, read by {@code reader}, at {@code now}. */
        private void touch(ProcessInfo target, ProcessInfo reader, long now, long windowNanos, int threshold) {
            int kept = 0;
            int found = -1;
            int pid = target.pid();
            long start = target.startTime();
            for (int i = 0; i < size; i++) {
                if (now - seen[i] >= windowNanos) {
                    continue;
                }
                moveSlot(i, kept);
                if (pids[kept] == pid && starts[kept] == start) {
                    found = kept;
                }
                kept++;
            }
            Arrays.fill(infos, kept, size, null);
            Arrays.fill(readerInfos, kept, size, null);
            size = kept;
            if (found >= 0) {
                seen[found] = Math.max(seen[found], now);
                infos[found] = target;
                readerInfos[found] = reader;
                return;
            }
            if (size >= threshold) {
                // Only a family whose window one reader filled (its own episode was dropped at the cap, so it did
                // not sweep on its own) gets here: make room by forgetting the oldest target.
                int oldest = 0;
                for (int i = 1; i < size; i++) {
                    if (seen[i] < seen[oldest]) {
                        oldest = i;
                    }
                }
                for (int i = oldest + 1; i < size; i++) {
                    moveSlot(i, i - 1);
                }
                size--;
            } else if (size == pids.length) {
                // at the threshold a reader's episode sweeps and stops touching targets
                int capacity = Math.min(pids.length * 2, threshold);
                pids = Arrays.copyOf(pids, capacity);
                starts = Arrays.copyOf(starts, capacity);
                seen = Arrays.copyOf(seen, capacity);
                infos = Arrays.copyOf(infos, capacity);
                readerInfos = Arrays.copyOf(readerInfos, capacity);
            }
            pids[size] = pid;
            starts[size] = start;
            seen[size] = now;
            infos[size] = target;
            readerInfos[size] = reader;
            size++;
        }

        private void moveSlot(int from, int to) {
            if (from != to) {
                pids[to] = pids[from];
                starts[to] = starts[from];
                seen[to] = seen[from];
                infos[to] = infos[from];
                readerInfos[to] = readerInfos[from];
            }
        }

        private static boolean sameProcess(ProcessInfo a, ProcessInfo b) {
            return a.pid() == b.pid() && a.startTime() == b.startTime();
        }
    }

    /**
     * The targets and readers of a swept episode, in the order they were first met, up to {@code max} of each;
     * accesses to targets (and by readers) beyond that are only counted.
     */
    static final class Listing {
        private final int max;
        private final List<ProcessInfo> targets = new ArrayList<>();
        private final List<ProcessInfo> readers = new ArrayList<>();
        private final ProcessKeySet targetKeys = new ProcessKeySet();
        private final ProcessKeySet readerKeys = new ProcessKeySet();
        private long unlistedTargetAccesses;
        private long unlistedReaderAccesses;

        Listing(int max) {
            this.max = max;
        }

        List<ProcessInfo> targets() {
            return targets;
        }

        List<ProcessInfo> readers() {
            return readers;
        }

        /** Accesses whose target is not listed because the list was full. */
        long unlistedTargetAccesses() {
            return unlistedTargetAccesses;
        }

        /** Accesses whose reader is not listed because the list was full. */
        long unlistedReaderAccesses() {
            return unlistedReaderAccesses;
        }

        int max() {
            return max;
        }

        private void add(ProcessInfo target, ProcessInfo reader) {
            if (!targetKeys.contains(target.pid(), target.startTime())) {
                if (targets.size() < max) {
                    targetKeys.add(target.pid(), target.startTime());
                    targets.add(target);
                } else {
                    unlistedTargetAccesses++;
                }
            }
            if (!readerKeys.contains(reader.pid(), reader.startTime())) {
                if (readers.size() < max) {
                    readerKeys.add(reader.pid(), reader.startTime());
                    readers.add(reader);
                } else {
                    unlistedReaderAccesses++;
                }
            }
        }
    }

    /** An episode's identity: a reader's, or a family parent's, pid and start time. Mutable only for probes. */
    static final class Key {
        private int pid;
        private long start;

        void set(int pid, long start) {
            this.pid = pid;
            this.start = start;
        }

        Key copy() {
            Key k = new Key();
            k.set(pid, start);
            return k;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key && ((Key) o).pid == pid && ((Key) o).start == start;
        }

        @Override
        public int hashCode() {
            return 31 * pid + Long.hashCode(start);
        }
    }
}
