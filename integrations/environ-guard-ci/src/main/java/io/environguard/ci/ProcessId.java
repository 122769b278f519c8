package io.environguard.ci;

import io.environguard.api.Ancestor;
import io.environguard.api.ProcessInfo;

/**
 * One process, told apart from any later process that reuses its pid: its pid and its start time (clock ticks since
 * boot, {@code /proc/P/stat} field 22; {@code -1} when unknown). Start times match within one tick: a start derived
 * from a kernel event's timestamp (the process table's, for processes it saw being born) may round to the tick next to
 * the one {@code /proc} prints, while a pid is reused only after the kernel has gone through the whole pid space,
 * which takes far longer than a tick.
 *
 * <pre>{@code
 * ProcessId guard = ProcessId.of(ProcessInfo.builder(4200).startTime(90210).build());
 * guard.is(4200, 90210);   // true
 * guard.is(4200, 99999);   // false: a later process with the same pid
 * guard.is(4200, -1);      // false: unproven
 * }</pre>
 *
 * @param pid       process id (thread group id) in the host's pid namespace
 * @param startTime start time in clock ticks since boot, or {@code -1}
 */
public record ProcessId(int pid, long startTime) {

    /**
     * @param process a process of an alert
     * @return its pid and start time
     */
    public static ProcessId of(ProcessInfo process) {
        return new ProcessId(process.pid(), process.startTime());
    }

    /**
     * @param ancestor an entry of a process's lineage
     * @return its pid and start time
     */
    public static ProcessId of(Ancestor ancestor) {
        return new ProcessId(ancestor.pid(), ancestor.startTime());
    }

    /** @return whether the start time is known */
    public boolean hasStartTime() {
        return startTime >= 0;
    }

    /** How far apart two start times of one process may be, in clock ticks. */
    public static final long START_TOLERANCE = 1;

    /**
     * @param otherPid       a process id
     * @param otherStartTime its start time in clock ticks since boot, or {@code -1}
     * @return whether it is proven the same process: same pid, and both start times known and equal (within
     *         {@link #START_TOLERANCE})
     */
    public boolean is(int otherPid, long otherStartTime) {
        return pid == otherPid && startTime >= 0 && otherStartTime >= 0
                && Math.abs(startTime - otherStartTime) <= START_TOLERANCE;
    }

    /**
     * @param other another process; may be {@code null}
     * @return whether it is proven the same process as {@code other} (see {@link #is(int, long)}); {@code false} for
     *         {@code null}
     */
    public boolean is(ProcessId other) {
        return other != null && is(other.pid, other.startTime);
    }

    /**
     * Not the negation of {@link #is(ProcessId)}: with a start time unknown, a process is neither proven the same nor
     * proven another.
     *
     * @param other another process
     * @return whether it is proven another process: a different pid, or the same pid with known start times too far
     *         apart
     */
    public boolean isNot(ProcessId other) {
        return other.pid != pid || (startTime >= 0 && other.startTime >= 0
                && Math.abs(startTime - other.startTime) > START_TOLERANCE);
    }
}
