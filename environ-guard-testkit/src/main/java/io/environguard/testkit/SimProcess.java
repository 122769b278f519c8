package io.environguard.testkit;

import java.util.List;

/**
 * A process living in a {@link SimulatedProcFs}: its identity (pid and start time) and what it was
 * spawned (or last exec'd) with. Immutable: each operation on the tree returns a fresh record.
 *
 * <pre>{@code
 * SimProcess p = fs.spawn(ProcessSpec.builder().comm("cat").build());
 * SimProcess q = fs.reusePid(p.pid(), ProcessSpec.builder().comm("evil").build());
 * assert q.pid() == p.pid() && q.startTime() > p.startTime();
 * }</pre>
 *
 * @param pid       process id (thread group id)
 * @param startTime start time in ticks ({@code stat} field 22)
 * @param spec      what it runs; {@code spec.ppid()} is the current parent
 * @param tids      its threads, the leader ({@code pid}) first
 */
public record SimProcess(int pid, long startTime, ProcessSpec spec, List<Integer> tids) {

    /**
     * Keeps an unmodifiable copy of {@code tids}.
     *
     * @param pid       process id
     * @param startTime start time in ticks
     * @param spec      what it runs
     * @param tids      its threads, the leader first
     */
    public SimProcess {
        tids = List.copyOf(tids);
    }

    /** @return the current parent pid (1 once its parent exited) */
    public int ppid() {
        return spec.ppid();
    }

    /** @return a copy of the name bytes */
    public byte[] comm() {
        return spec.comm();
    }
}
