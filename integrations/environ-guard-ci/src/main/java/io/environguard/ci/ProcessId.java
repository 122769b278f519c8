package io.environguard.ci;

import io.environguard.api.Ancestor;
import io.environguard.api.ProcessInfo;

/**
 * One process, told apart from any later process that reuses its pid: its pid and its start time (clock ticks since
 * boot, {@code /proc/P/stat} field 22; {@code -1} when unknown).
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

    /** Proven the same process: same pid, and both start times known and equal. */
    public boolean is(int otherPid, long otherStartTime) {
        return pid == otherPid && startTime >= 0 && otherStartTime >= 0 && startTime == otherStartTime;
    }

    /** Proven the same process as {@code other} (see {@link #is(int, long)}). */
    public boolean is(ProcessId other) {
        return other != null && is(other.pid, other.startTime);
    }

    /** Proven another process: a different pid, or the same pid with a different known start time. */
    public boolean isNot(ProcessId other) {
        return other.pid != pid || (startTime >= 0 && other.startTime >= 0 && startTime != other.startTime);
    }
}
