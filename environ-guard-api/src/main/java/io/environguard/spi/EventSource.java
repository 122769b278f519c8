package io.environguard.spi;

import io.environguard.api.Ancestor;
import io.environguard.api.Coverage;
import io.environguard.api.ProcessInfo;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A running detector of environ accesses, created by an {@link EventSourceProvider}.
 * {@link #start} begins delivering to the listener and returns once the source is watching;
 * {@link #close} stops every thread the source started and releases its descriptors.
 */
public interface EventSource extends AutoCloseable {

    /**
     * Starts watching. Returns when watching has begun, so that any access after this call returns is seen
     * (within the source's documented limits).
     *
     * @param listener where the source delivers accesses and losses, from any of its threads
     * @throws IOException with a message that says what failed and what to do about it
     */
    void start(AccessListener listener) throws IOException;

    /**
     * The resolved executable of a live process, or {@code null} when unknown; the policy uses it for parent and
     * ancestor allow rules of readers without lineage ({@link io.environguard.api.ProcessInfo#ancestors()} empty),
     * best effort. Readers with lineage are judged by their lineage alone. The default knows nothing, so such
     * rules never match readers without lineage.
     *
     * @param pid a process id
     * @return its executable, or {@code null}
     */
    default String exeOf(int pid) {
        return null;
    }

    /**
     * The ancestors of {@code process} (parent first), as the source knows them now, or an empty list. For a reader
     * whose lineage was cut short when its access was resolved (a process table still applying a burst of process
     * events on a loaded machine): asked again later, once the table has caught up, it may know the whole line,
     * the processes that have exited since included. Matched by pid and start time; a source may match a process
     * whose start time is unknown when only one process of that pid and parent is known. Best effort; the default
     * knows nothing.
     *
     * <pre>{@code
     * List<Ancestor> line = source.ancestorsOf(access.reader());   // e.g. [sh, sh, java, bash], or []
     * }</pre>
     *
     * @param process a process, as an access named it
     * @return its ancestors, parent first; empty when unknown
     */
    default List<Ancestor> ancestorsOf(ProcessInfo process) {
        return List.of();
    }

    /**
     * Processes this source was set up to guard (such as the targeted source's {@code pids}). The guard adds
     * them to the policy's protected pids, so that a read of any of them is an
     * {@code environ_read_protected_target} alert, as a read of the guarding JVM is. Asked once, after
     * {@code create} and before {@link #start}. The default guards nothing in particular.
     *
     * @return the guarded pids
     */
    default Set<Integer> protectedPids() {
        return Set.of();
    }

    /** @return what is watched now, and what is known not to be seen */
    Coverage coverage();

    /**
     * The source's own counters and gauges, by stable snake_case name: e.g. {@code kernel_events_read},
     * {@code resolver_queue_depth}, {@code process_table_live}, {@code process_table_tombstones}. Cheap and
     * thread-safe: {@link io.environguard.EnvironGuard#stats()} and metrics exporters call it from any thread.
     * Counters only grow; a name's meaning never changes. The default reports nothing.
     *
     * @return the counters by name
     */
    default Map<String, Long> metrics() {
        return Map.of();
    }

    /**
     * Why this source has stopped watching, or empty while it watches. A source fails when what it watches with is
     * gone for good (its kernel-read thread died, its descriptor broke) and it cannot recover without a restart:
     * health checks report it (the host monitor's {@code /healthz} answers 503 with this text). Passing trouble that
     * the source recovers from (a lost event, a failed scan) is a {@link io.environguard.api.LossReport}, not a
     * failure. Cheap and thread-safe. The default never fails.
     *
     * @return why the source stopped watching, or empty while it watches
     */
    default java.util.Optional<String> failure() {
        return java.util.Optional.empty();
    }

    /** Stops watching. Idempotent; never throws. */
    @Override
    void close();
}
