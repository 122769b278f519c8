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

    public static ProcessId of(ProcessInfo process) {
        return new ProcessId(process.pid(), process.startTime());
    }

    public static ProcessId of(Ancestor ancestor) {
        return new ProcessId(ancestor.pid(), ancestor.startTime());
    }

    /** Whether the start time is known. */
    public boolean hasStartTime() {
        return startTime >= 0;
    }

    /** How far apart two start times of one process may be, in clock ticks. */
    public static final long START_TOLERANCE = 1;

    /** Proven the same process: same pid, and both start times known and equal (within {@link #START_TOLERANCE}). */
    public boolean is(int otherPid, long otherStartTime) {
        return pid == otherPid && startTime >= 0 && otherStartTime >= 0
                && Math.abs(startTime - otherStartTime) <= START_TOLERANCE;
    }

    /** Proven the same process as {@code other} (see {@link #is(int, long)}). */
    public boolean is(ProcessId other) {
        return other != null && is(other.pid, other.startTime);
    }

    /** Proven another process: a different pid, or the same pid with known start times too far apart. */
    public boolean isNot(ProcessId other) {
        return other.pid != pid || (startTime >= 0 && other.startTime >= 0
                && Math.abs(startTime - other.startTime) > START_TOLERANCE);
    }
}
