package io.environguard.api;

import java.util.List;
import java.util.Map;

/**
 * A snapshot of a guard's counters.
 *
 * @param accesses   accesses the source delivered
 * @param alerts     alerts raised (including lost-event alerts)
 * @param suppressed accesses judged but not alerted (self-reads, allowed, deduplicated, folded into a sweep)
 * @param lostEvents events the source reported lost, summed over causes
 * @param lostByCause lost events by cause ({@code queue_overflow}, {@code target_exited}...)
 * @param sinks      per-sink delivery counters
 * @param source     the running source's own counters and gauges ({@link io.environguard.spi.EventSource#metrics()}),
 *                   by stable snake_case name, e.g. {@code kernel_events_read}, {@code process_table_live}
 */
public record GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                         Map<String, Long> lostByCause, List<SinkStats> sinks, Map<String, Long> source) {
    public GuardStats {
        lostByCause = Map.copyOf(lostByCause);
        sinks = List.copyOf(sinks);
        source = source == null ? Map.of() : Map.copyOf(source);
    }

    /** Stats without source counters (the form before sources reported any). */
    public GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                      Map<String, Long> lostByCause, List<SinkStats> sinks) {
        this(accesses, alerts, suppressed, lostEvents, lostByCause, sinks, Map.of());
    }

    /** Kernel queue overflows reported (the {@code queue_overflow} cause). */
    public long overflows() {
        return lostByCause.getOrDefault("queue_overflow", 0L);
    }
}
