package io.environguard.linux.process;

/**
 * One message of the kernel's process events connector, as {@link ProcEventDecoder} reads it. Times are the
 * kernel's {@code CLOCK_MONOTONIC} nanoseconds when it built the message.
 *
 * <pre>{@code
 * if (ProcEventDecoder.decode(buffer, n) instanceof ProcEvent.Exec exec) { ... exec.pid() ... }
 * }</pre>
 */
public sealed interface ProcEvent {

    /** @return when the kernel built the message ({@code CLOCK_MONOTONIC} nanoseconds) */
    long timestampNanos();

    /** {@code PROC_EVENT_FORK}: {@code parentTgid} made {@code childPid} (a process when it equals {@code childTgid}). */
    record Fork(int parentPid, int parentTgid, int childPid, int childTgid, long timestampNanos) implements ProcEvent {
    }

    /** {@code PROC_EVENT_EXEC}: process {@code tgid} (its thread {@code pid}) exec'd a new program. */
    record Exec(int pid, int tgid, long timestampNanos) implements ProcEvent {
    }

    /** {@code PROC_EVENT_EXIT}: thread {@code pid} of {@code tgid} exited; the process ends with its leader. */
    record Exit(int pid, int tgid, int exitCode, long timestampNanos) implements ProcEvent {
    }

    /** {@code PROC_EVENT_COMM}: thread {@code pid} of {@code tgid} was renamed ({@code prctl(PR_SET_NAME)}). */
    record Comm(int pid, int tgid, String comm, long timestampNanos) implements ProcEvent {
    }

    /**
     * {@code PROC_EVENT_UID} or {@code PROC_EVENT_GID}: the real and effective ids of thread {@code pid} of
     * {@code tgid} changed.
     */
    record Ids(int pid, int tgid, boolean group, int realId, int effectiveId, long timestampNanos) implements ProcEvent {
    }
}
