package io.environguard.ci;

/**
 * Finds a live process's parent, for readers whose recorded lineage stops short (a source that keeps none, or one
 * cut at {@link io.environguard.api.ProcessInfo#MAX_ANCESTORS}). Best effort by nature: a process that exited (or
 * whose pid now belongs to another process) has no answer.
 *
 * <pre>{@code
 * LineageLookup live = new ProcLineage(Path.of("/proc"));
 * ProcessId parent = live.parentOf(new ProcessId(4242, 90210));   // null once 4242 is gone
 * }</pre>
 */
@FunctionalInterface
public interface LineageLookup {

    /** Knows nothing: lineage comes from the alerts alone. */
    LineageLookup NONE = child -> null;

    /**
     * The parent of {@code child}, if {@code child} is alive with that start time; {@code null} otherwise (gone,
     * its pid reused, its start time unknown, or init's parent).
     *
     * @param child a process, by pid and start time
     * @return its parent, by pid and start time, or {@code null}
     */
    ProcessId parentOf(ProcessId child);
}
