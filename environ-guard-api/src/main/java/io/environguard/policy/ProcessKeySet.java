package io.environguard.policy;

/**
 * A set of process identities (pid + start time), open addressing over primitive arrays: a look-up or an
 * insert of a known key allocates nothing. What a sweep's closing list uses to tell a new target or reader
 * from one it already lists. Not thread-safe.
 */
final class ProcessKeySet {

    private int[] pids;
    private long[] starts;
    private boolean[] used;
    private int size;

    ProcessKeySet() {
        pids = new int[16];
        starts = new long[16];
        used = new boolean[16];
    }

    int size() {
        return size;
    }

    boolean contains(int pid, long start) {
        int mask = pids.length - 1;
        for (int i = hash(pid, start) & mask; used[i]; i = (i + 1) & mask) {
            if (pids[i] == pid && starts[i] == start) {
                return true;
            }
        }
        return false;
    }

    /** Adds the key; {@code false} if it was already there. */
    boolean add(int pid, long start) {
        if (contains(pid, start)) {
            return false;
        }
        if ((size + 1) * 2 > pids.length) {
            grow();
        }
        insert(pid, start);
        size++;
        return true;
    }

    private void insert(int pid, long start) {
        int mask = pids.length - 1;
        int i = hash(pid, start) & mask;
        while (used[i]) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        pids[i] = pid;
        starts[i] = start;
    }

    private void grow() {
        int[] oldPids = pids;
        long[] oldStarts = starts;
        boolean[] oldUsed = used;
        int capacity = oldPids.length * 2;
        pids = new int[capacity];
        starts = new long[capacity];
        used = new boolean[capacity];
        for (int i = 0; i < oldPids.length; i++) {
            if (oldUsed[i]) {
                insert(oldPids[i], oldStarts[i]);
            }
        }
    }

    private static int hash(int pid, long start) {
        int h = pid * 0x9e3779b9 + Long.hashCode(start) * 0x85ebca6b;
        return h ^ (h >>> 16);
    }
}
