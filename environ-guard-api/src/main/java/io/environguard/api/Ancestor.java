package io.environguard.api;

/**
 * One ancestor of a process, as the process table knew it: enough to name it in an alert and to tell it
 * apart from a later process that reused its pid.
 *
 * <pre>{@code
 * // reader.ancestors() of a cat started by a shell loop: parent first
 * // [Ancestor[pid=812, startTime=90210, comm=bash, exe=/usr/bin/bash], Ancestor[pid=1, ...]]
 * String parentExe = reader.ancestors().isEmpty() ? null : reader.ancestors().get(0).exe();
 * }</pre>
 *
 * @param pid       process id (thread group id), in the host's pid namespace
 * @param startTime start time in clock ticks since boot ({@code /proc/P/stat} field 22), or {@code -1}
 * @param comm      the kernel's short name, or {@code null} when unknown
 * @param exe       the resolved executable, or {@code null} when unknown
 */
public record Ancestor(int pid, long startTime, String comm, String exe) {

    /**
     * @param process a process of the table
     * @return {@code process} as an ancestor: its pid, start time, name and executable
     */
    public static Ancestor of(ProcessInfo process) {
        return new Ancestor(process.pid(), process.startTime(), process.comm(), process.exe());
    }

    /**
     * @param process a live or remembered process; may be {@code null}
     * @return whether {@code process} is this ancestor: same pid and, where both are known, the same start time
     */
    public boolean is(ProcessInfo process) {
        return process != null && process.pid() == pid
                && (startTime < 0 || process.startTime() < 0 || startTime == process.startTime());
    }
}
