package io.environguard.linux.targeted;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;

/**
 * One path to a guarded process's file in the host's procfs; every alias is its own inode.
 * {@code /proc/<dir>/<file>} when {@code task} is {@code -1}, else {@code /proc/<dir>/task/<task>/<file>}.
 *
 * <pre>{@code
 * new Alias(42, 42, -1, ProcFile.ENVIRON).path();   // "/proc/42/environ"
 * new Alias(42, 43, 44, ProcFile.ENVIRON).path();   // "/proc/43/task/44/environ", a cross-thread alias
 * }</pre>
 *
 * @param pid  the guarded process (thread group id) the file belongs to
 * @param dir  the number after {@code /proc/}: the pid, or one of its thread ids
 * @param task the number after {@code task/}, or {@code -1}
 * @param file environ or mem
 */
record Alias(int pid, int dir, int task, ProcFile file) {

    /** How directly the alias names the process; lower levels are marked first when marks are capped. */
    enum Level {
        /** {@code /proc/P/f}. */
        PROCESS,
        /** {@code /proc/P/task/T/f}. */
        TASK,
        /** {@code /proc/T/f}, T a thread that is not the leader. */
        THREAD,
        /** {@code /proc/T/task/U/f}, T a thread that is not the leader. */
        CROSS_THREAD
    }

    String path() {
        return "/proc/" + dir + (task > 0 ? "/task/" + task : "") + "/" + file.id();
    }

    /** The path below {@code /proc/<dir>/}. */
    String relativePath() {
        return (task > 0 ? "task/" + task + "/" : "") + file.id();
    }

    Level level() {
        if (dir == pid) {
            return task > 0 ? Level.TASK : Level.PROCESS;
        }
        return task > 0 ? Level.CROSS_THREAD : Level.THREAD;
    }

    AliasKind kind() {
        if (task > 0) {
            return AliasKind.TASK;
        }
        return dir == pid ? AliasKind.PROCESS : AliasKind.THREAD;
    }

    /** The thread the path names, or {@link ProcessInfo#UNKNOWN} for the process alias. */
    int tid() {
        if (task > 0) {
            return task;
        }
        return dir == pid ? ProcessInfo.UNKNOWN : dir;
    }

    // equals and hashCode by hand: the record's generated ones go through method handles, which the
    // interpreter runs slowly, and a re-plan hashes thousands of aliases in code too rarely run to be compiled.
    @Override
    public boolean equals(Object o) {
        return o instanceof Alias a && a.dir == dir && a.task == task && a.pid == pid && a.file == file;
    }

    @Override
    public int hashCode() {
        return ((dir * 31 + task) * 31 + pid) * 2 + file.ordinal();
    }

    /** Whether the path names thread {@code tid} anywhere (so that it goes when the thread exits). */
    boolean involves(int tid) {
        return (dir == tid && dir != pid) || task == tid;
    }
}
