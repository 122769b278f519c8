package io.environguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.AlertSink;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Never a silent drop: over generated streams of reads (repeats, sweeps, self-reads, allowed readers), loss reports
 * and clock ticks, with generated rate limits and loss intervals, every access ends in exactly one outcome, and every
 * outcome that is not an alert of its own is accounted for in an alert that was delivered: rate-limited reads in
 * their rule's summaries, folded reads in the sweeps' closing alerts; every lost event is in a lost-events alert
 * unless its source said it was certainly no read. The real policy, noise control and dispatcher.
 */
class NoiseAccountingPropertyTest {

    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    /** One step of a run. */
    sealed interface Step permits Read, Loss, Tick {
    }

    /** A read by reader {@code reader} (0 reads itself; 9 is allowed) of target {@code target}, {@code dtMillis} later. */
    record Read(int reader, int target, int dtMillis) implements Step {
    }

    record Loss(String cause, int count, boolean certainlyNoRead) implements Step {
    }

    /** The noise clock moves on {@code seconds}, then the pipeline ticks. */
    record Tick(int seconds) implements Step {
    }

    record Limits(String readRate, String sweepRate, String lossInterval) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> read = Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.integers().between(1, 30),
                Arbitraries.integers().between(0, 2_000)).as(Read::new);
        Arbitrary<Step> loss = Combinators.combine(Arbitraries.of("target_exited", "queue_overflow", "plugin_cause"),
                Arbitraries.integers().between(1, 5), Arbitraries.of(true, false)).as(Loss::new);
        Arbitrary<Step> tick = Arbitraries.integers().between(0, 40).map(Tick::new);
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, read), net.jqwik.api.Tuple.of(1, loss),
                net.jqwik.api.Tuple.of(2, tick)).list().ofMaxSize(200);
    }

    @Provide
    Arbitrary<Limits> limits() {
        Arbitrary<String> rate = Arbitraries.of("", "1/5s", "3/10s", "10/1m");
        return Combinators.combine(rate, rate, Arbitraries.of("0s", "10s", "60s")).as(Limits::new);
    }

    @Property(tries = 300)
    void everyAccessEndsInExactlyOneOutcomeAndNothingIsDroppedSilently(@ForAll("steps") List<Step> steps,
                                                                          @ForAll("limits") Limits limits) {
        Map<String, String> keys = new HashMap<>(Map.of(NoiseControl.LOSS_INTERVAL, limits.lossInterval()));
        if (!limits.readRate().isEmpty()) {
            keys.put(NoiseControl.RATE_PREFIX + Rules.ENVIRON_READ, limits.readRate());
        }
        if (!limits.sweepRate().isEmpty()) {
            keys.put(NoiseControl.RATE_PREFIX + Rules.ENVIRON_SWEEP, limits.sweepRate());
        }
        AtomicLong clock = new AtomicLong();
        NoiseControl noise = NoiseControl.from(GuardConfig.of(keys), clock::get);
        List<Alert> delivered = new CopyOnWriteArrayList<>();
        AlertSink sink = delivered::add;
        Dispatcher dispatcher = new Dispatcher(Map.of("mem", sink), 100_000, Duration.ofSeconds(30));
        dispatcher.start();
        Policy policy = new Policy(PolicyConfig.builder().sweepThreshold(4).sweepWindow(Duration.ofSeconds(10))
                .dedupeWindow(Duration.ofSeconds(5)).protectSelf(false).allowExe("/usr/bin/allowed").build(), 1);
        AlertObservers observers = new AlertObservers();
        AtomicLong alertedByAnAccess = new AtomicLong();
        observers.add((alert, latency) -> {
            if (latency >= 0) {
                alertedByAnAccess.incrementAndGet();
            }
        });
        Pipeline pipeline = new Pipeline(policy, dispatcher, observers, noise);

        long accesses = 0;
        long millis = 0;
        Map<String, Long> lostAlertable = new HashMap<>();
        Map<String, Long> lostAll = new HashMap<>();
        for (Step step : steps) {
            if (step instanceof Read r) {
                millis += r.dtMillis();
                pipeline.onAccess(read(r, millis));
                accesses++;
            } else if (step instanceof Loss l) {
                pipeline.onLoss(new LossReport(l.cause(), l.count(), "test", l.certainlyNoRead()));
                lostAll.merge(l.cause(), (long) l.count(), Long::sum);
                if (!l.certainlyNoRead()) {
                    lostAlertable.merge(l.cause(), (long) l.count(), Long::sum);
                }
            } else if (step instanceof Tick t) {
                clock.addAndGet(TimeUnit.SECONDS.toNanos(t.seconds()));
                pipeline.tick();
            }
        }
        pipeline.flush();
        dispatcher.close();
        assertEquals(0, dispatcher.stats().get(0).dropped() + dispatcher.stats().get(0).undelivered(), "all delivered");

        Map<String, Long> outcomes = pipeline.outcomes();
        assertEquals(accesses, pipeline.accesses());
        assertEquals(accesses, outcomes.values().stream().mapToLong(Long::longValue).sum(),
                "every access in exactly one outcome: " + outcomes);
        long alerted = outcomes.get(AccessOutcome.ALERTED.id());
        long rateLimited = outcomes.get(AccessOutcome.RATE_LIMITED.id());
        long folded = outcomes.get(AccessOutcome.FOLDED.id());

        long direct = delivered.stream().filter(a -> !List.of(Rules.EVENTS_LOST, Rules.ALERTS_SUPPRESSED,
                Rules.ENVIRON_SWEEP_ENDED).contains(a.rule())).count();
        assertEquals(alerted, direct, "each alerted access raised one delivered alert of its own");
        assertEquals(alerted, alertedByAnAccess.get());

        long summarised = delivered.stream().filter(a -> a.rule().equals(Rules.ALERTS_SUPPRESSED)).mapToLong(Alert::count).sum();
        assertEquals(rateLimited, summarised, "each rate-limited access is counted in one delivered summary");
        assertEquals(rateLimited, pipeline.rateLimitedByRule().values().stream().mapToLong(Long::longValue).sum());

        long closing = delivered.stream().filter(a -> a.rule().equals(Rules.ENVIRON_SWEEP_ENDED)).mapToLong(Alert::count).sum();
        assertTrue(closing >= folded, "folded reads are in the closing alerts: " + folded + " folded, " + closing + " closed");

        Map<String, Long> lostAlerted = new HashMap<>();
        delivered.stream().filter(a -> a.rule().equals(Rules.EVENTS_LOST))
                .forEach(a -> a.lost().forEach((c, n) -> lostAlerted.merge(c, n, Long::sum)));
        assertEquals(lostAlertable, lostAlerted, "every lost event that may have been a read is in a delivered alert");
        assertEquals(lostAll, pipeline.lostByCause(), "and every one is counted");
        assertEquals(delivered.size(), pipeline.alerts(), "the alert counter counts what was delivered");
    }

    private static EnvironAccess read(Read r, long millis) {
        int pid = 1000 + r.reader();
        String exe = r.reader() == 9 ? "/usr/bin/allowed" : "/usr/bin/cat";
        ProcessInfo reader = ProcessInfo.builder(pid).ppid(1).exe(exe).comm("r" + r.reader()).startTime(7).build();
        ProcessInfo target = r.reader() == 0 ? reader
                : ProcessInfo.builder(2000 + r.target()).exe("/usr/bin/sleep").startTime(3).build();
        return EnvironAccess.builder().time(T0.plusMillis(millis)).source("t")
                .path(r.reader() == 0 ? "/proc/self/environ" : "/proc/" + target.pid() + "/environ")
                .alias(r.reader() == 0 ? AliasKind.SELF : AliasKind.PROCESS).reader(reader).target(target).build();
    }
}
