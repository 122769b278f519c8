package io.environguard.linux.targeted;

import io.environguard.api.ProcFile;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Which aliases to mark, in order of importance, up to a cap: every process's {@code /proc/P/f} first,
 * then every {@code /proc/P/task/T/f}, then every {@code /proc/T/f}, then the cross-thread
 * {@code /proc/T/task/U/f}, whose number grows with the square of the thread count. Within a level,
 * processes and threads go in the order given, so a plan over the same input is the same plan.
 *
 * <pre>{@code
 * AliasPlan plan = AliasPlan.of(Map.of(42, new int[] {42, 43}), List.of(ProcFile.ENVIRON), 100);
 * plan.aliases();   // /proc/42/environ, /proc/42/task/42/environ, /proc/42/task/43/environ,
 *                   // /proc/43/environ, /proc/43/task/42/environ, /proc/43/task/43/environ
 * }</pre>
 *
 * @param aliases  the aliases to mark, at most the cap
 * @param possible how many aliases exist in all (so that {@code possible - aliases.size()} are left unmarked)
 */
record AliasPlan(List<Alias> aliases, long possible) {

    AliasPlan {
        aliases = List.copyOf(aliases);
    }

    /**
     * @param tasks    each guarded pid with its thread ids (the leader's among them while it lives)
     * @param files    the files to mark per alias, in order
     * @param maxMarks the cap
     */
    static AliasPlan of(Map<Integer, int[]> tasks, Collection<ProcFile> files, int maxMarks) {
        List<Alias> out = new ArrayList<>(Math.min(maxMarks, 1024));
        long possible = 0;
        for (Map.Entry<Integer, int[]> e : tasks.entrySet()) {
            long n = e.getValue().length;
            long others = n - (contains(e.getValue(), e.getKey()) ? 1 : 0);
            possible += files.size() * (1 + n + others + others * n);
        }
        // Level by level across every process, so that the cap cuts the least direct aliases first.
        for (Alias.Level level : Alias.Level.values()) {
            for (Map.Entry<Integer, int[]> e : tasks.entrySet()) {
                int pid = e.getKey();
                int[] tids = e.getValue();
                if (!add(out, level, pid, tids, files, maxMarks)) {
                    return new AliasPlan(out, possible);
                }
            }
        }
        return new AliasPlan(out, possible);
    }

    /** Adds the aliases of one level of one process; false once the cap is reached. */
    private static boolean add(List<Alias> out, Alias.Level level, int pid, int[] tids, Collection<ProcFile> files,
                               int maxMarks) {
        switch (level) {
            case PROCESS:
                return addFiles(out, pid, pid, -1, files, maxMarks);
            case TASK:
                for (int t : tids) {
                    if (!addFiles(out, pid, pid, t, files, maxMarks)) {
                        return false;
                    }
                }
                return true;
            case THREAD:
                for (int t : tids) {
                    if (t != pid && !addFiles(out, pid, t, -1, files, maxMarks)) {
                        return false;
                    }
                }
                return true;
            default:
                for (int t : tids) {
                    if (t == pid) {
                        continue;
                    }
                    for (int u : tids) {
                        if (!addFiles(out, pid, t, u, files, maxMarks)) {
                            return false;
                        }
                    }
                }
                return true;
        }
    }

    private static boolean addFiles(List<Alias> out, int pid, int dir, int task, Collection<ProcFile> files, int maxMarks) {
        for (ProcFile f : files) {
            if (out.size() >= maxMarks) {
                return false;
            }
            out.add(new Alias(pid, dir, task, f));
        }
        return true;
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }
}
