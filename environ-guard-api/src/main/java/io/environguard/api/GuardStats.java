package io.environguard.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of a guard's counters.
 *
 * <pre>{@code
 * GuardStats s = guard.stats();
 * System.err.println(s.accesses() + " accesses, " + s.outcome(AccessOutcome.FOLDED) + " folded into sweeps");
 * }</pre>
 *
 * @param accesses   accesses the source delivered
 * @param alerts     alerts raised (including sweep-ended and lost-event alerts)
 * @param suppressed accesses judged but not alerted (self-reads, allowed, deduplicated, folded into a sweep)
 * @param lostEvents events the source reported lost, summed over causes
 * @param lostByCause lost events by cause ({@code queue_overflow}, {@code target_exited}...)
 * @param sinks      per-sink delivery counters
 * @param source     the running source's own counters and gauges ({@link io.environguard.spi.EventSource#metrics()}),
 *                   by stable snake_case name, e.g. {@code kernel_events_read}, {@code process_table_live}
 * @param outcomes   accesses by what the policy did with them, keyed by {@link AccessOutcome#id()}; every outcome
 *                   has an entry (0 when none) unless the stats were built without outcomes (then empty)
 */
public record GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                         Map<String, Long> lostByCause, List<SinkStats> sinks, Map<String, Long> source,
                         Map<String, Long> outcomes) {
    public GuardStats {
        lostByCause = Map.copyOf(lostByCause);
        sinks = List.copyOf(sinks);
        source = source == null ? Map.of() : Map.copyOf(source);
        // in the enum's order, so that printing the map reads the same every time
        Map<String, Long> ordered = new LinkedHashMap<>();
        if (outcomes != null && !outcomes.isEmpty()) {
            for (AccessOutcome o : AccessOutcome.values()) {
                ordered.put(o.id(), outcomes.getOrDefault(o.id(), 0L));
            }
        }
        outcomes = Collections.unmodifiableMap(ordered);
    }

    /** Stats without outcome counters (the form before the policy reported outcomes). */
    public GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                      Map<String, Long> lostByCause, List<SinkStats> sinks, Map<String, Long> source) {
        this(accesses, alerts, suppressed, lostEvents, lostByCause, sinks, source, Map.of());
    }

    /** Stats without source counters (the form before sources reported any). */
    public GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                      Map<String, Long> lostByCause, List<SinkStats> sinks) {
        this(accesses, alerts, suppressed, lostEvents, lostByCause, sinks, Map.of(), Map.of());
    }

    /** Kernel queue overflows reported (the {@code queue_overflow} cause). */
    public long overflows() {
        return lostByCause.getOrDefault("queue_overflow", 0L);
    }

    /** Accesses that ended in {@code outcome}; 0 when these stats carry no outcomes. */
    public long outcome(AccessOutcome outcome) {
        return outcomes.getOrDefault(outcome.id(), 0L);
    }
}
