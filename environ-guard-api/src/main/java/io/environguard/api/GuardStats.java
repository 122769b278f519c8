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
 * @param rateLimitedByRule alerts held back by a rate limit ({@code environguard.alerts.rate.<rule>}), by rule; each
 *                   is counted in its rule's {@link Rules#ALERTS_SUPPRESSED} summary
 */
public record GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                         Map<String, Long> lostByCause, List<SinkStats> sinks, Map<String, Long> source,
                         Map<String, Long> outcomes, Map<String, Long> rateLimitedByRule) {

    /**
     * Source counter: kernel records read (for the fanotify sources: every {@code /proc} open that reached the
     * guard, of any file, overflow records included). Also {@link #kernelEventsRead()}.
     */
    public static final String KERNEL_EVENTS_READ = "kernel_events_read";
    /** Source gauge: environ/mem opens read from the kernel and waiting for the resolver thread. */
    public static final String RESOLVER_QUEUE_DEPTH = "resolver_queue_depth";
    /** Source gauge: how many opens the resolver queue holds before further ones are lost ({@code resolver_backlog}). */
    public static final String RESOLVER_QUEUE_CAPACITY = "resolver_queue_capacity";
    /** Source gauge: live processes in the source's process table. */
    public static final String PROCESS_TABLE_LIVE = "process_table_live";

    /**
     * Keeps unmodifiable copies of the maps and lists; {@code outcomes} gets an entry for every outcome, in the
     * enum's order.
     *
     * @param accesses    accesses the source delivered
     * @param alerts      alerts raised
     * @param suppressed  accesses judged but not alerted
     * @param lostEvents  events the source reported lost, summed over causes
     * @param lostByCause lost events by cause
     * @param sinks       per-sink delivery counters
     * @param source      the source's counters and gauges by name; {@code null} for none
     * @param outcomes    accesses by outcome id; {@code null} or empty for stats without outcomes
     * @param rateLimitedByRule alerts held back by a rate limit, by rule; {@code null} for none
     * @throws NullPointerException when {@code lostByCause} or {@code sinks} is {@code null}
     */
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
        rateLimitedByRule = rateLimitedByRule == null ? Map.of() : Map.copyOf(rateLimitedByRule);
    }

    /**
     * Stats without rate limits (the form before alerts could be rate-limited).
     *
     * @param accesses    accesses the source delivered
     * @param alerts      alerts raised
     * @param suppressed  accesses judged but not alerted
     * @param lostEvents  events the source reported lost, summed over causes
     * @param lostByCause lost events by cause
     * @param sinks       per-sink delivery counters
     * @param source      the source's counters and gauges by name; {@code null} for none
     * @param outcomes    accesses by outcome id; {@code null} or empty for stats without outcomes
     */
    public GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                      Map<String, Long> lostByCause, List<SinkStats> sinks, Map<String, Long> source,
                      Map<String, Long> outcomes) {
        this(accesses, alerts, suppressed, lostEvents, lostByCause, sinks, source, outcomes, Map.of());
    }

    /**
     * Stats without outcome counters (the form before the policy reported outcomes).
     *
     * @param accesses    accesses the source delivered
     * @param alerts      alerts raised
     * @param suppressed  accesses judged but not alerted
     * @param lostEvents  events the source reported lost, summed over causes
     * @param lostByCause lost events by cause
     * @param sinks       per-sink delivery counters
     * @param source      the source's counters and gauges by name; {@code null} for none
     */
    public GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                      Map<String, Long> lostByCause, List<SinkStats> sinks, Map<String, Long> source) {
        this(accesses, alerts, suppressed, lostEvents, lostByCause, sinks, source, Map.of());
    }

    /**
     * Stats without source counters (the form before sources reported any).
     *
     * @param accesses    accesses the source delivered
     * @param alerts      alerts raised
     * @param suppressed  accesses judged but not alerted
     * @param lostEvents  events the source reported lost, summed over causes
     * @param lostByCause lost events by cause
     * @param sinks       per-sink delivery counters
     */
    public GuardStats(long accesses, long alerts, long suppressed, long lostEvents,
                      Map<String, Long> lostByCause, List<SinkStats> sinks) {
        this(accesses, alerts, suppressed, lostEvents, lostByCause, sinks, Map.of(), Map.of());
    }

    /**
     * Kernel records the source has read so far ({@link #KERNEL_EVENTS_READ} in {@link #source()}); 0 for a source
     * that reads no kernel queue, such as procfs polling. Set against {@link #accesses()}, it shows how much of the
     * host's {@code /proc} traffic reached the guard and how little of it was environ or mem.
     *
     * @return the count, or 0 when the source does not report it
     */
    public long kernelEventsRead() {
        return source.getOrDefault(KERNEL_EVENTS_READ, 0L);
    }

    /**
     * One short line for a log: {@code 12 accesses, 3 alerts, 9 suppressed (2 self-reads, 0 allowed, 7 repeats, 0
     * folded into sweeps), 1 events lost (target_exited 1); sink stdout: 3 delivered, 0 dropped, 0 failed; 52310
     * kernel events read}. The outcomes appear when the stats carry them, a sink's undelivered alerts only when there
     * are any, the kernel events only when the source reports them; the fields hold everything else.
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(128)
                .append(accesses).append(" accesses, ")
                .append(alerts).append(" alerts, ")
                .append(suppressed).append(" suppressed");
        if (!outcomes.isEmpty()) {
            b.append(" (").append(outcome(AccessOutcome.SELF_READ)).append(" self-reads, ")
                    .append(outcome(AccessOutcome.ALLOWED)).append(" allowed, ")
                    .append(outcome(AccessOutcome.DEDUPED)).append(" repeats, ")
                    .append(outcome(AccessOutcome.FOLDED)).append(" folded into sweeps");
            if (outcome(AccessOutcome.RATE_LIMITED) > 0) {
                b.append(", ").append(outcome(AccessOutcome.RATE_LIMITED)).append(" rate-limited");
            }
            b.append(')');
        }
        b.append(", ").append(lostEvents).append(" events lost");
        if (!lostByCause.isEmpty()) {
            b.append(" (");
            String sep = "";
            for (Map.Entry<String, Long> e : new java.util.TreeMap<>(lostByCause).entrySet()) {
                b.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                sep = ", ";
            }
            b.append(')');
        }
        for (SinkStats k : sinks) {
            b.append("; sink ").append(k.sink()).append(": ")
                    .append(k.delivered()).append(" delivered, ")
                    .append(k.dropped()).append(" dropped, ")
                    .append(k.failed()).append(" failed");
            if (k.undelivered() > 0) {
                b.append(", ").append(k.undelivered()).append(" undelivered");
            }
        }
        Long kernel = source.get(KERNEL_EVENTS_READ);
        if (kernel != null) {
            b.append("; ").append(kernel).append(" kernel events read");
        }
        return b.toString();
    }

    /** @return events lost to kernel queue overflows (the {@code queue_overflow} cause); 0 when none */
    public long overflows() {
        return lostByCause.getOrDefault("queue_overflow", 0L);
    }

    /**
     * @param outcome what the policy did with an access
     * @return accesses that ended in {@code outcome}; 0 when these stats carry no outcomes
     */
    public long outcome(AccessOutcome outcome) {
        return outcomes.getOrDefault(outcome.id(), 0L);
    }
}
