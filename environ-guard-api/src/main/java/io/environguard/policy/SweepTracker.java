package io.environguard.policy;

import io.environguard.api.ProcessInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Follows each reader's episode of reads to tell a sweep (one reader reaching {@code threshold} distinct
 * targets within a sliding {@code window}) from ordinary reads.
 *
 * <p>An episode is a run of a reader's tracked accesses with gaps shorter than the window; a reader that
 * has been quiet for a whole window starts a new one. Within an episode, a target counts while its
 * latest access by the reader is less than a window old. The access that brings the count to the
 * threshold is {@link Outcome#SWEPT}; every later access of the episode is {@link Outcome#FOLDED}.
 * Readers are identified by pid and start time, targets likewise (a target of unknown pid counts as one
 * target, "unknown": it can make a sweep less likely, never more).
 *
 * <p>Bounded: at most {@code maxReaders} readers are remembered, each with at most {@code threshold}
 * targets. When a new reader arrives, readers whose episode has ended are dropped, least recently active
 * first; at the cap, the least recently active reader is dropped even if its episode is running. A
 * dropped reader starts afresh: its next reads are reported one by one again and may raise a second
 * sweep alert, so the cap can cost extra alerts, never hide one. Not thread-safe.
 */
final class SweepTracker {

    enum Outcome {
        /** Counted; the episode has not reached the threshold: the caller reports the access normally. */
        COUNTED,
        /** This access brought the episode to the threshold: one sweep alert. */
        SWEPT,
        /** The episode already had its sweep alert: no alert. */
        FOLDED
    }

    private final int threshold;
    private final long windowNanos;
    private final int maxReaders;
    /** Access-ordered: the head is the least recently active reader. */
    private final LinkedHashMap<ReaderKey, Episode> readers = new LinkedHashMap<>(64, 0.75f, true);
    private final ReaderKey probe = new ReaderKey();

    SweepTracker(int threshold, long windowNanos, int maxReaders) {
        this.threshold = threshold;
        this.windowNanos = windowNanos;
        this.maxReaders = maxReaders;
    }

    /**
     * Records that {@code reader} (whose pid must be known) touched {@code target} at {@code now}.
     * The returned episode is the reader's, live until the next call.
     *
     * @param direct whether the access was observed directly (not inferred from a command line)
     */
    Episode track(ProcessInfo reader, ProcessInfo target, long now, boolean direct) {
        probe.set(reader.pid(), reader.startTime());
        Episode e = readers.get(probe);
        if (e == null) {
            evict(now);
            e = new Episode();
            readers.put(probe.copy(), e);
        } else if (now - e.lastSeen >= windowNanos) {
            e.reset(); // quiet for a whole window: a new episode
        }
        if (e.count == 0 || now > e.lastSeen) {
            e.lastSeen = now;
        }
        e.count++;
        e.anyDirect |= direct;
        if (e.swept) {
            e.clearTargets(); // no longer needed once folded; frees the references
            e.outcome = Outcome.FOLDED;
            return e;
        }
        e.touch(target, now, windowNanos, threshold);
        if (e.size >= threshold) {
            e.swept = true;
            e.outcome = Outcome.SWEPT;
        } else {
            e.outcome = Outcome.COUNTED;
        }
        return e;
    }

    int readerCount() {
        return readers.size();
    }

    /** The most targets any reader currently remembers. */
    int maxTargetsPerReader() {
        int max = 0;
        for (Episode e : readers.values()) {
            max = Math.max(max, e.size);
        }
        return max;
    }

    private void evict(long now) {
        Iterator<Map.Entry<ReaderKey, Episode>> it = readers.entrySet().iterator();
        int size = readers.size();
        while (it.hasNext()) {
            Episode eldest = it.next().getValue();
            if (size >= maxReaders || now - eldest.lastSeen >= windowNanos) {
                it.remove();
                size--;
            } else {
                break;
            }
        }
    }

    /** One reader's current episode. */
    static final class Episode {
        private long lastSeen;
        private long count;
        private boolean anyDirect;
        private boolean swept;
        private Outcome outcome;
        /** Targets seen in the window: parallel arrays, {@code size} used, at most threshold long. */
        private int size;
        private int[] pids;
        private long[] starts;
        private long[] seen;
        private ProcessInfo[] infos;

        Episode() {
            // most readers touch one or two targets: start small, grow by doubling up to the threshold
            int capacity = 2;
            pids = new int[capacity];
            starts = new long[capacity];
            seen = new long[capacity];
            infos = new ProcessInfo[capacity];
        }

        Outcome outcome() {
            return outcome;
        }

        /** Tracked accesses in this episode so far, repeats included. */
        long count() {
            return count;
        }

        /** Whether every access of the episode was inferred from a command line. */
        boolean onlyCommandLine() {
            return !anyDirect;
        }

        /** The distinct targets in the window, oldest first as they entered it. Allocates: call when alerting. */
        List<ProcessInfo> targets() {
            List<ProcessInfo> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                out.add(infos[i]);
            }
            return out;
        }

        private void reset() {
            count = 0;
            anyDirect = false;
            swept = false;
            clearTargets();
        }

        private void clearTargets() {
            if (size > 0) {
                Arrays.fill(infos, 0, size, null);
                size = 0;
            }
        }

        /** Drops targets that left the window, then records {@code target} at {@code now}. */
        private void touch(ProcessInfo target, long now, long windowNanos, int threshold) {
            int kept = 0;
            int found = -1;
            int pid = target.pid();
            long start = target.startTime();
            for (int i = 0; i < size; i++) {
                if (now - seen[i] >= windowNanos) {
                    continue;
                }
                if (kept != i) {
                    pids[kept] = pids[i];
                    starts[kept] = starts[i];
                    seen[kept] = seen[i];
                    infos[kept] = infos[i];
                }
                if (pids[kept] == pid && starts[kept] == start) {
                    found = kept;
                }
                kept++;
            }
            Arrays.fill(infos, kept, size, null);
            size = kept;
            if (found >= 0) {
                seen[found] = Math.max(seen[found], now);
                infos[found] = target;
                return;
            }
            if (size == pids.length) {
                // size < threshold here: at the threshold the episode sweeps and stops touching targets
                int capacity = Math.min(pids.length * 2, threshold);
                pids = Arrays.copyOf(pids, capacity);
                starts = Arrays.copyOf(starts, capacity);
                seen = Arrays.copyOf(seen, capacity);
                infos = Arrays.copyOf(infos, capacity);
            }
            pids[size] = pid;
            starts[size] = start;
            seen[size] = now;
            infos[size] = target;
            size++;
        }
    }

    /** A reader's identity. Mutable only for the probe; keys in the map are copies that never change. */
    static final class ReaderKey {
        private int pid;
        private long start;

        void set(int pid, long start) {
            this.pid = pid;
            this.start = start;
        }

        ReaderKey copy() {
            ReaderKey k = new ReaderKey();
            k.set(pid, start);
            return k;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ReaderKey && ((ReaderKey) o).pid == pid && ((ReaderKey) o).start == start;
        }

        @Override
        public int hashCode() {
            return 31 * pid + Long.hashCode(start);
        }
    }
}
