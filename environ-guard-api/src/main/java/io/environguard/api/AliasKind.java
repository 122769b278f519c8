package io.environguard.api;

import java.util.Locale;

/** Which of the many paths to one process's file was used. Every alias is its own inode in procfs. */
public enum AliasKind {
    /** {@code /proc/P/environ}. */
    PROCESS,
    /** {@code /proc/P/task/T/environ}, including {@code /proc/T/task/U/environ}. */
    TASK,
    /** {@code /proc/T/environ} with T a thread id that is not the process id (not listed in /proc, but openable). */
    THREAD,
    /** {@code /proc/self/...} or {@code /proc/thread-self/...} as reported, before resolution. */
    SELF,
    /** A procfs instance other than the host's {@code /proc}: a second mount, or a container's. */
    OTHER_PROC_MOUNT,
    /** The path could not be classified (for example, the source saw only an inode). */
    UNKNOWN;

    /** @return the lower-case name, with dashes, used in JSON ({@code "task"}, {@code "other-proc-mount"}) */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
