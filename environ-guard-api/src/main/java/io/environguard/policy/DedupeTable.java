package io.environguard.policy;

import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Remembers when each (reader, target, file) pair last had an alert, so that repeats within the window
 * are not alerts again. A pair is the reader's pid, start time and executable, the target's pid and start
 * time, and the file: a reused pid is a new pair, and so is a reader that exec'd another program (so a
 * process cannot earn a low-severity entry as {@code ps} and then read unseen as something else).
 *
 * <p>Bounded: entries whose window has passed are dropped, oldest first, whenever a new entry is added;
 * and when the table holds {@code maxEntries}, the entry with the oldest alert is dropped to make room.
 * Dropping an entry can only cause an extra alert later, never hide one. Not thread-safe.
 */
final class DedupeTable {

    private final long windowNanos;
    private final int maxEntries;
    /** In order of each pair's last alert: re-alerting removes and re-inserts. */
    private final LinkedHashMap<PairKey, Long> lastAlert = new LinkedHashMap<>();
    /** Reused for look-ups, so that a repeat costs no allocation; never stored. */
    private final PairKey probe = new PairKey();

    DedupeTable(long windowNanos, int maxEntries) {
        this.windowNanos = windowNanos;
        this.maxEntries = maxEntries;
    }

    /**
     * Whether an alert for this access's pair should be held back because the pair had one less than a
     * window ago. When not, records {@code now} as the pair's last alert.
     */
    boolean suppress(EnvironAccess access, long now) {
        if (windowNanos == 0) {
            return false;
        }
        probe.set(access.reader(), access.target(), access.file());
        Long last = lastAlert.get(probe);
        if (last != null) {
            // a slightly out-of-order time (two sources) counts as inside the window
            if (now - last < windowNanos) {
                return true;
            }
            lastAlert.remove(probe);
        }
        evict(now);
        lastAlert.put(probe.copy(), now);
        return false;
    }

    int size() {
        return lastAlert.size();
    }

    private void evict(long now) {
        Iterator<Map.Entry<PairKey, Long>> it = lastAlert.entrySet().iterator();
        int size = lastAlert.size();
        while (it.hasNext()) {
            Map.Entry<PairKey, Long> eldest = it.next();
            if (size >= maxEntries || now - eldest.getValue() >= windowNanos) {
                it.remove();
                size--;
            } else {
                break;
            }
        }
    }

    /** The identity of a pair. Mutable only for the probe; keys in the map are copies that never change. */
    static final class PairKey {
        private int readerPid;
        private long readerStart;
        private String readerExe;
        private int targetPid;
        private long targetStart;
        private ProcFile file;

        void set(ProcessInfo reader, ProcessInfo target, ProcFile file) {
            this.readerPid = reader.pid();
            this.readerStart = reader.startTime();
            this.readerExe = reader.exe();
            this.targetPid = target.pid();
            this.targetStart = target.startTime();
            this.file = file;
        }

        PairKey copy() {
            PairKey k = new PairKey();
            k.readerPid = readerPid;
            k.readerStart = readerStart;
            k.readerExe = readerExe;
            k.targetPid = targetPid;
            k.targetStart = targetStart;
            k.file = file;
            return k;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof PairKey)) {
                return false;
            }
            PairKey k = (PairKey) o;
            return readerPid == k.readerPid && targetPid == k.targetPid && readerStart == k.readerStart
                    && targetStart == k.targetStart && file == k.file && Objects.equals(readerExe, k.readerExe);
        }

        @Override
        public int hashCode() {
            // the exe is left out: it rarely differs between pairs that share the numbers, and hashing it costs
            int h = readerPid;
            h = 31 * h + Long.hashCode(readerStart);
            h = 31 * h + targetPid;
            h = 31 * h + Long.hashCode(targetStart);
            return 31 * h + file.ordinal();
        }
    }
}
