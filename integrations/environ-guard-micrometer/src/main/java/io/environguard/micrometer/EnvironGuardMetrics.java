package io.environguard.micrometer;

import io.environguard.EnvironGuard;
import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.GuardStats;
import io.environguard.api.LossReport;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.api.SinkStats;
import io.environguard.spi.AlertObserver;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Micrometer meters for a running {@link EnvironGuard}, in whatever registry the application already runs
 * (Prometheus, OTLP, JMX, StatsD...).
 *
 * <pre>{@code
 * EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.load()).build().start();
 * EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard);
 * metrics.bindTo(registry);                 // right after start: the alert counters count from here
 * ...
 * metrics.close();                          // stops observing the guard (the meters stay registered)
 * }</pre>
 *
 * <p>Meters (Micrometer names; a Prometheus registry writes {@code environguard_accesses_total} and so on):
 * <ul>
 *   <li>{@code environguard.accesses} (function counter): accesses the source delivered;</li>
 *   <li>{@code environguard.alerts} (counter) by {@code rule} and {@code severity}: alerts raised since the binder
 *       was bound;</li>
 *   <li>{@code environguard.suppressed} (function counter) by {@code outcome} ({@code self_read}, {@code allowed},
 *       {@code deduped}, {@code folded}, {@code rate_limited}): accesses judged and not alerted on their own;</li>
 *   <li>{@code environguard.alerts.rate.limited} (function counter) by {@code rule}: alerts held back by a rate
 *       limit (each is counted in its rule's summary alert);</li>
 *   <li>{@code environguard.sink.alerts} (function counter) by {@code sink} and {@code result}
 *       ({@code delivered}, {@code dropped}, {@code failed}, {@code undelivered});</li>
 *   <li>{@code environguard.events.lost} (function counter) by {@code cause}, from the first loss of each cause;</li>
 *   <li>{@code environguard.kernel.events.read} (function counter), {@code environguard.resolver.queue.depth},
 *       {@code environguard.resolver.queue.capacity} and {@code environguard.process.table.size} (gauges): the
 *       source's own counters, when it reports them; every other source counter as the gauge
 *       {@code environguard.source.metric} by {@code name};</li>
 *   <li>{@code environguard.alert.latency} (timer, with the 0.5, 0.9 and 0.99 percentiles): from an access's time
 *       (for the fanotify source, when its kernel-read thread read the event) to the hand-off of its alert to the
 *       sinks' queues. Samples reach the timer through a ring drained every second by the thread
 *       {@code environ-guard-metrics}, at most {@value #MAX_SAMPLES_PER_DRAIN} a drain: past that many alerts in a
 *       second, the rest of that second's alerts are not measured (no clock read) and are counted in
 *       {@code environguard.alert.latency.skipped};</li>
 *   <li>{@code environguard.watching} (gauge): 1 while the guard watches, 0 once it is closed or its source failed.</li>
 * </ul>
 *
 * <p>Tags are bounded: no pid, path, executable or user is ever a tag. {@code severity} has five values; {@code sink}
 * the sinks configured at start; {@code rule} and {@code cause} take the built-in ids as they are, and at most
 * {@value #MAX_OTHER_IDS} other ids each (a plugin's own rule ids or loss causes, if they look like ids:
 * {@code [a-z][a-z0-9_]{0,63}}); anything past that is counted under {@code other}. The guard's counters are read
 * through {@link EnvironGuard#stats()} when a registry polls them; alerts and latencies come from an
 * {@link AlertObserver}, which costs the alerting thread a string comparison and a counter increment per alert, plus a
 * clock read and a store into the latency ring for the first {@value #MAX_SAMPLES_PER_DRAIN} alerts of each second
 * (a counter increment for the rest): the timer's own bookkeeping runs on the metrics thread.
 */
public final class EnvironGuardMetrics implements MeterBinder, AutoCloseable {

    /** Distinct rule ids, and loss causes, beyond the built-in ones that get a tag value of their own. */
    public static final int MAX_OTHER_IDS = 32;

    /**
     * Latency samples handed to the timers per drain (every {@link #DRAIN_MILLIS} ms): the ring's size, so that the
     * alerting thread reads a clock for at most this many alerts between drains.
     */
    static final int MAX_SAMPLES_PER_DRAIN = 4096;
    static final long DRAIN_MILLIS = 1000;

    /** Loss causes the built-in sources and the pipeline report. */
    static final Set<String> KNOWN_CAUSES = Set.of("queue_overflow", "target_exited", "target_exited_guard_read",
            "fd_exhausted", "resolver_backlog",
            "fd_error", "read_error", "source_failed", "pipeline_error", "fd_limit", "scan_cut_short", "scan_failed");

    private static final Map<String, String> SOURCE_METERS = Map.of(
            GuardStats.RESOLVER_QUEUE_DEPTH, "environguard.resolver.queue.depth",
            GuardStats.RESOLVER_QUEUE_CAPACITY, "environguard.resolver.queue.capacity",
            GuardStats.PROCESS_TABLE_LIVE, "environguard.process.table.size");
    private static final Set<String> BUILT_IN_RULES = builtInRules();
    /** At most this many of the source's other counters become {@code environguard.source.metric} gauges. */
    private static final int MAX_SOURCE_METRICS = 64;

    private final EnvironGuard guard;
    private final Tags tags;
    private final BoundedTagValues rules = new BoundedTagValues(builtInRules(), MAX_OTHER_IDS);
    private final BoundedTagValues causes = new BoundedTagValues(KNOWN_CAUSES, MAX_OTHER_IDS);
    private final List<Bound> bound = new CopyOnWriteArrayList<>();
    private final Observer observer = new Observer();
    private final LatencySamples samples = new LatencySamples(MAX_SAMPLES_PER_DRAIN);
    /** Alert counts by rule (as the alerts give it), one per severity; read by the registries' function counters. */
    private final Map<String, LongAdder[]> alertCounts = new ConcurrentHashMap<>();
    /**
     * The rule last counted and its counters: most alerts in a row share a rule, and a comparison of the same string
     * is cheaper than the map's look-up. Written and read without a lock: a record's fields are final, so any thread
     * sees a whole one or an older one.
     */
    private RuleCounts lastRule;
    private final Object lock = new Object();
    private boolean observing;
    private boolean closed;
    private Thread drainer;

    /**
     * Meters for {@code guard}, which must have started, with no tags of their own.
     *
     * @param guard the started guard to observe and whose {@link EnvironGuard#stats()} the meters read
     * @throws IllegalStateException if the guard has not started
     */
    public EnvironGuardMetrics(EnvironGuard guard) {
        this(guard, Tags.empty());
    }

    /**
     * Meters for {@code guard}, which must have started, each with {@code tags} added (say, which guard of several).
     *
     * @param guard the started guard to observe and whose {@link EnvironGuard#stats()} the meters read
     * @param tags added to every meter besides its own ({@code rule}, {@code sink}...); empty for none
     * @throws IllegalStateException if the guard has not started
     */
    public EnvironGuardMetrics(EnvironGuard guard, Iterable<Tag> tags) {
        this.guard = Objects.requireNonNull(guard, "guard");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
        guard.stats(); // throws, naming the problem, if the guard has not started
        for (String rule : builtInRules()) {
            counts(rule); // every built-in rule's series exists from the start, at zero
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("these metrics are closed");
            }
            for (Bound b : bound) {
                if (b.registry == registry) {
                    return;
                }
            }
            Bound b = new Bound(registry);
            // Added first: a rule first seen meanwhile registers its counters here too (registering twice is harmless).
            bound.add(b);
            b.registerStatic();
            if (!observing) {
                guard.addAlertObserver(observer);
                observing = true;
                drainer = new Thread(this::drainLoop, "environ-guard-metrics");
                drainer.setDaemon(true);
                drainer.start();
            }
        }
    }

    /**
     * Stops observing the guard and ends the metrics thread (after handing on the samples taken so far): the alert
     * counters and the latency timer stop moving; the polled meters stay.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            closed = true;
            if (observing) {
                guard.removeAlertObserver(observer);
                observing = false;
            }
            t = drainer;
            drainer = null;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        drainOnce();
    }

    private void drainLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(DRAIN_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            drainOnce();
        }
    }

    /** Hands the samples taken so far to every bound registry's timer. */
    void drainOnce() {
        synchronized (samples) {
            samples.drain(nanos -> {
                for (Bound b : bound) {
                    b.latency.record(nanos, TimeUnit.NANOSECONDS);
                }
            }, MAX_SAMPLES_PER_DRAIN);
        }
    }

    /** The counters of {@code rule} (its tag value's, past the bound), one per severity. */
    private LongAdder[] counts(String rule) {
        LongAdder[] c = alertCounts.get(rule);
        if (c != null) {
            return c;
        }
        String tag = rules.valueOf(rule);
        // Past the bound, raw ids are not kept as keys: they share the "other" counters and the map stays bounded.
        String key = tag.equals(BoundedTagValues.OTHER) ? BoundedTagValues.OTHER : rule;
        c = alertCounts.get(key);
        if (c != null) {
            return c;
        }
        LongAdder[] made = new LongAdder[Severity.values().length];
        for (int i = 0; i < made.length; i++) {
            made[i] = new LongAdder();
        }
        LongAdder[] raced = alertCounts.putIfAbsent(key, made);
        if (raced != null) {
            return raced;
        }
        for (Bound b : bound) {
            b.registerAlertCounters(tag, made);
        }
        return made;
    }

    private static Set<String> builtInRules() {
        Set<String> ids = new HashSet<>();
        for (Field f : Rules.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                try {
                    ids.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("Rules." + f.getName() + " is public yet not readable", e);
                }
            }
        }
        return ids;
    }

    private static long sinkCount(EnvironGuard guard, String sink, String result) {
        for (SinkStats s : guard.stats().sinks()) {
            if (s.sink().equals(sink)) {
                return switch (result) {
                    case "delivered" -> s.delivered();
                    case "dropped" -> s.dropped();
                    case "failed" -> s.failed();
                    default -> s.undelivered();
                };
            }
        }
        return 0;
    }

    private double lostUnder(String causeTag) {
        long sum = 0;
        for (Map.Entry<String, Long> e : guard.stats().lostByCause().entrySet()) {
            if (causes.mapsTo(e.getKey(), causeTag)) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /** Rate-limited alerts of a built-in rule, or of every other rule for {@code other}. */
    private double rateLimitedUnder(EnvironGuard g, String ruleTag) {
        long sum = 0;
        for (Map.Entry<String, Long> e : g.stats().rateLimitedByRule().entrySet()) {
            boolean builtIn = BUILT_IN_RULES.contains(e.getKey());
            if (builtIn ? e.getKey().equals(ruleTag) : ruleTag.equals(BoundedTagValues.OTHER)) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    private static double sourceMetric(EnvironGuard guard, String name) {
        Long v = guard.stats().source().get(name);
        return v == null ? Double.NaN : v;
    }

    /** The meters of one registry. */
    private final class Bound {
        final MeterRegistry registry;
        final Timer latency;
        final Set<String> lostCauseTags = ConcurrentHashMap.newKeySet();

        Bound(MeterRegistry registry) {
            this.registry = registry;
            this.latency = Timer.builder("environguard.alert.latency")
                    .description("Time from an access (as the source saw it) to the hand-off of its alert to the sinks")
                    .tags(tags)
                    .publishPercentiles(0.5, 0.9, 0.99)
                    .distributionStatisticExpiry(Duration.ofMinutes(2))
                    .register(registry);
            FunctionCounter.builder("environguard.alert.latency.skipped", samples, LatencySamples::skipped)
                    .description("Latency samples not given to the timer because alerts came faster than they were drained")
                    .tags(tags).register(registry);
        }

        void registerStatic() {
            FunctionCounter.builder("environguard.accesses", guard, g -> g.stats().accesses())
                    .description("Accesses of environ or mem files the source delivered").tags(tags).register(registry);
            for (AccessOutcome o : AccessOutcome.values()) {
                if (o != AccessOutcome.ALERTED) {
                    FunctionCounter.builder("environguard.suppressed", guard, g -> g.stats().outcome(o))
                            .description("Accesses judged and not alerted, by what the guard did with them")
                            .tags(tags).tag("outcome", o.id()).register(registry);
                }
            }
            Set<String> limited = new java.util.TreeSet<>(builtInRules());
            limited.add(BoundedTagValues.OTHER);
            for (String rule : limited) {
                FunctionCounter.builder("environguard.alerts.rate.limited", guard, g -> rateLimitedUnder(g, rule))
                        .description("Alerts held back by their rule's rate limit, each counted in a summary alert")
                        .tags(tags).tag("rule", rule).register(registry);
            }
            Gauge.builder("environguard.watching", guard, g -> g.failure().isEmpty() ? 1 : 0)
                    .description("1 while the guard watches, 0 once it is closed or its source failed")
                    .tags(tags).strongReference(true).register(registry);
            GuardStats stats = guard.stats();
            for (SinkStats s : stats.sinks()) {
                for (String result : List.of("delivered", "dropped", "failed", "undelivered")) {
                    FunctionCounter.builder("environguard.sink.alerts", guard, g -> sinkCount(g, s.sink(), result))
                            .description("Alerts per sink, by what became of them")
                            .tags(tags).tag("sink", s.sink()).tag("result", result).register(registry);
                }
            }
            stats.lostByCause().keySet().forEach(this::lostCause);
            int others = 0;
            for (String name : stats.source().keySet()) {
                if (name.equals(GuardStats.KERNEL_EVENTS_READ)) {
                    FunctionCounter.builder("environguard.kernel.events.read", guard,
                                    g -> g.stats().kernelEventsRead())
                            .description("Kernel records the source read (every /proc open that reached the guard)")
                            .tags(tags).register(registry);
                } else if (SOURCE_METERS.containsKey(name)) {
                    Gauge.builder(SOURCE_METERS.get(name), guard, g -> sourceMetric(g, name))
                            .tags(tags).strongReference(true).register(registry);
                } else if (others++ < MAX_SOURCE_METRICS) {
                    Gauge.builder("environguard.source.metric", guard, g -> sourceMetric(g, name))
                            .description("The source's own counters and gauges, by name")
                            .tags(tags).tag("name", name).strongReference(true).register(registry);
                }
            }
            alertCounts.forEach((rule, counts) -> registerAlertCounters(rules.valueOf(rule), counts));
        }

        void registerAlertCounters(String ruleTag, LongAdder[] counts) {
            for (Severity s : Severity.values()) {
                LongAdder count = counts[s.ordinal()];
                FunctionCounter.builder("environguard.alerts", count, LongAdder::sum)
                        .description("Alerts raised, by rule and severity")
                        .tags(tags).tag("rule", ruleTag).tag("severity", s.id()).register(registry);
            }
        }

        /** Registers the lost-events counter of a cause's tag value, once. */
        void lostCause(String cause) {
            String tag = causes.valueOf(cause);
            if (lostCauseTags.add(tag)) {
                FunctionCounter.builder("environguard.events.lost", EnvironGuardMetrics.this, m -> m.lostUnder(tag))
                        .description("Events the source reported lost, by cause")
                        .tags(tags).tag("cause", tag).register(registry);
            }
        }
    }

    /** A rule id and its counters, one per severity. */
    private record RuleCounts(String rule, LongAdder[] counts) {
    }

    /** The one observer registered on the guard, feeding every bound registry. */
    private final class Observer implements AlertObserver {
        @Override
        public void onAlert(Alert alert, long latencyNanos) {
            String rule = alert.rule();
            RuleCounts last = lastRule;
            if (last == null || !last.rule().equals(rule)) {
                last = new RuleCounts(rule, counts(rule));
                lastRule = last;
            }
            last.counts()[alert.severity().ordinal()].increment();
            if (latencyNanos >= 0) {
                samples.add(latencyNanos);
            } else if (latencyNanos == NOT_MEASURED) {
                samples.skip();
            }
        }

        /** Only while the ring has room: past that, alerts until the next drain are not measured (a clock read each). */
        @Override
        public boolean wantsLatency() {
            return samples.hasRoom();
        }

        @Override
        public void onLoss(LossReport loss) {
            for (Bound b : bound) {
                b.lostCause(loss.cause());
            }
        }
    }
}
