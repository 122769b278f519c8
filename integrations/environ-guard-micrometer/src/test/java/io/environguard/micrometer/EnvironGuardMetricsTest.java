package io.environguard.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.testkit.RecordingSink;
import io.environguard.testkit.ScriptedEventSource;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The binder over a real guard (real policy, dispatcher and sinks) fed by the testkit's scripted source. */
class EnvironGuardMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static EnvironAccess read(int reader, int target, Instant time) {
        return EnvironAccess.builder().time(time).source("scripted").path("/proc/" + target + "/environ")
                .alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(reader).exe("/usr/bin/cat").comm("cat").startTime(7).build())
                .target(ProcessInfo.builder(target).exe("/usr/bin/sleep").comm("sleep").startTime(3).build()).build();
    }

    private static EnvironAccess selfRead(int pid) {
        ProcessInfo p = ProcessInfo.builder(pid).exe("/usr/bin/cat").startTime(7).build();
        return EnvironAccess.builder().source("scripted").path("/proc/self/environ").alias(AliasKind.SELF)
                .reader(p).target(p).build();
    }

    private static EnvironGuard start(ScriptedEventSource source, RecordingSink sink) throws Exception {
        return EnvironGuard.builder().config(GuardConfig.of(Map.of("environguard.policy.protect.self", "false")))
                .addSourceProvider(source).addSink("rec", sink).build().start();
    }

    private static double counter(MeterRegistry r, String name, String... tags) {
        Meter m = r.find(name).tags(tags).meter();
        assertNotNull(m, name + " " + List.of(tags) + " is not registered; have: " + r.getMeters().stream()
                .map(x -> x.getId().toString()).toList());
        return m.measure().iterator().next().getValue();
    }

    @Test
    void countersFollowTheGuard() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard guard = start(source, sink)) {
            source.setMetric(GuardStats.KERNEL_EVENTS_READ, 100);
            source.setMetric(GuardStats.RESOLVER_QUEUE_DEPTH, 3);
            source.setMetric(GuardStats.PROCESS_TABLE_LIVE, 250);
            source.setMetric("process_table_tombstones", 9);
            MeterRegistry registry = new SimpleMeterRegistry();
            try (EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard, Tags.of("guard", "test"))) {
                metrics.bindTo(registry);
                assertEquals(0, counter(registry, "environguard.alerts", "rule", Rules.ENVIRON_READ, "severity", "high"),
                        "built-in rules exist at zero before their first alert");

                source.emit(read(4242, 42, Instant.now()));
                source.emit(read(4243, 43, Instant.now()));
                source.emit(selfRead(4244));
                source.emitLoss(new LossReport("target_exited", 2, "test"));
                source.emitLoss(new LossReport("queue_overflow", 1, "test"));
                source.setMetric(GuardStats.KERNEL_EVENTS_READ, 180);
                sink.awaitAlerts(4, WAIT);

                assertEquals(3, counter(registry, "environguard.accesses", "guard", "test"));
                assertEquals(1, counter(registry, "environguard.suppressed", "outcome", "self_read"));
                assertEquals(0, counter(registry, "environguard.suppressed", "outcome", "rate_limited"));
                assertEquals(0, counter(registry, "environguard.alerts.rate.limited", "rule", Rules.ENVIRON_READ));
                assertEquals(2, counter(registry, "environguard.alerts", "rule", Rules.ENVIRON_READ, "severity", "high"));
                assertEquals(2, counter(registry, "environguard.alerts", "rule", Rules.EVENTS_LOST, "severity", "high"));
                assertEquals(2, counter(registry, "environguard.events.lost", "cause", "target_exited"));
                assertEquals(1, counter(registry, "environguard.events.lost", "cause", "queue_overflow"));
                assertEquals(4, counter(registry, "environguard.sink.alerts", "sink", "rec", "result", "delivered"));
                assertEquals(0, counter(registry, "environguard.sink.alerts", "sink", "rec", "result", "dropped"));
                assertEquals(180, counter(registry, "environguard.kernel.events.read"));
                assertEquals(3, counter(registry, "environguard.resolver.queue.depth"));
                assertEquals(250, counter(registry, "environguard.process.table.size"));
                assertEquals(9, counter(registry, "environguard.source.metric", "name", "process_table_tombstones"));
                assertEquals(1, counter(registry, "environguard.watching"));

                metrics.drainOnce();
                Timer latency = registry.find("environguard.alert.latency").timer();
                assertNotNull(latency);
                assertEquals(2, latency.count(), "two alerts had an access; lost-events alerts have no latency");
                assertTrue(latency.totalTime(TimeUnit.NANOSECONDS) >= 0);
                for (Meter m : registry.getMeters()) {
                    for (String forbidden : List.of("pid", "path", "exe", "uid", "comm", "reader", "target")) {
                        assertNull(m.getId().getTag(forbidden), m.getId().toString());
                    }
                }
            }
        }
    }

    @Test
    void theLatencyIsTheTimeFromTheAccessToTheHandOff() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        try (EnvironGuard guard = start(source, new RecordingSink())) {
            MeterRegistry registry = new SimpleMeterRegistry();
            try (EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard)) {
                metrics.bindTo(registry);
                Instant before = Instant.now();
                source.emit(read(4242, 42, before.minusMillis(300)));
                long upper = Duration.between(before.minusMillis(300), Instant.now()).toNanos();
                metrics.drainOnce();
                Timer latency = registry.find("environguard.alert.latency").timer();
                assertEquals(1, latency.count());
                double nanos = latency.totalTime(TimeUnit.NANOSECONDS);
                assertTrue(nanos >= 300_000_000 && nanos <= upper, nanos + " ns, expected 300 ms to " + upper + " ns");
            }
        }
    }

    /**
     * Past a ring's worth of alerts between drains the binder stops asking for latencies (no clock read on the
     * alerting thread): every access-raised alert is then either a sample of the timer or counted as skipped.
     */
    @Test
    void pastARingsWorthBetweenDrainsAlertsAreCountedAsSkippedNotMeasured() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard guard = start(source, sink)) {
            MeterRegistry registry = new SimpleMeterRegistry();
            int alerts = EnvironGuardMetrics.MAX_SAMPLES_PER_DRAIN + 300;
            try (EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard)) {
                metrics.bindTo(registry);
                Instant now = Instant.now();
                for (int i = 0; i < alerts; i++) {
                    // a reader per target: each read is its own alert (no sweep, no dedupe)
                    source.emit(read(10_000 + i, 50_000 + i, now));
                }
                assertEquals(alerts, guard.stats().alerts());
            }
            // closed: the last samples were drained
            Timer latency = registry.find("environguard.alert.latency").timer();
            double skipped = counter(registry, "environguard.alert.latency.skipped");
            assertEquals(alerts, latency.count() + (long) skipped, "each alert measured once or counted as skipped");
            assertTrue(skipped >= 300 || latency.count() > EnvironGuardMetrics.MAX_SAMPLES_PER_DRAIN,
                    "at most a ring's worth measured between two drains: " + latency.count() + " measured");
            assertEquals(alerts, counter(registry, "environguard.alerts", "rule", Rules.ENVIRON_READ, "severity", "high"),
                    "the alert counters stay exact");
        }
    }

    @Test
    void watchingDropsToZeroWhenTheSourceFailsOrTheGuardCloses() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        MeterRegistry registry = new SimpleMeterRegistry();
        EnvironGuard guard = start(source, new RecordingSink());
        try (EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard)) {
            metrics.bindTo(registry);
            assertEquals(1, counter(registry, "environguard.watching"));
            source.fail("the reader thread stopped");
            assertEquals(0, counter(registry, "environguard.watching"));
        } finally {
            guard.close();
        }
        assertEquals(0, counter(registry, "environguard.watching"));
    }

    @Test
    void closingStopsTheObserverButKeepsThePolledMeters() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard guard = start(source, sink)) {
            MeterRegistry registry = new SimpleMeterRegistry();
            EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard);
            metrics.bindTo(registry);
            metrics.close();
            source.emit(read(4242, 42, Instant.now()));
            sink.awaitAlerts(1, WAIT);
            assertEquals(0, counter(registry, "environguard.alerts", "rule", Rules.ENVIRON_READ, "severity", "high"));
            assertEquals(1, counter(registry, "environguard.accesses"));
            assertThrows(IllegalStateException.class, () -> metrics.bindTo(new SimpleMeterRegistry()));
        }
    }

    @Test
    void aGuardThatHasNotStartedIsRefused() {
        EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty()).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new EnvironGuardMetrics(guard));
        assertTrue(e.getMessage().contains("not started"), e.getMessage());
    }

    @Test
    void unknownRuleIdsAndCausesAreBounded() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard guard = start(source, sink)) {
            MeterRegistry registry = new SimpleMeterRegistry();
            try (EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard)) {
                metrics.bindTo(registry);
                int causes = EnvironGuardMetrics.MAX_OTHER_IDS + 20;
                for (int i = 0; i < causes; i++) {
                    source.emitLoss(new LossReport("plugin_cause_" + i, 1, "test"));
                }
                source.emitLoss(new LossReport("Not An Id!", 5, "test"));
                sink.awaitAlerts(causes + 1, WAIT);
                long series = registry.find("environguard.events.lost").meters().size();
                assertEquals(EnvironGuardMetrics.MAX_OTHER_IDS + 1, series, "the first 32 others and one 'other'");
                assertEquals(20 + 5, counter(registry, "environguard.events.lost", "cause", "other"));
                assertEquals(1, counter(registry, "environguard.events.lost", "cause", "plugin_cause_0"));
                assertFalse(registry.find("environguard.events.lost").tag("cause", "plugin_cause_40").counter() != null);
            }
        }
    }

    @Test
    void prometheusNamesAreTheDocumentedOnes() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard guard = start(source, sink)) {
            source.setMetric(GuardStats.KERNEL_EVENTS_READ, 7);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard)) {
                metrics.bindTo(registry);
                source.emit(read(4242, 42, Instant.now()));
                source.emitLoss(new LossReport("target_exited", 1, "test"));
                sink.awaitAlerts(2, WAIT);
                metrics.drainOnce();
                String text = registry.scrape();
                for (String line : List.of(
                        "environguard_accesses_total 1.0",
                        "environguard_alerts_total{rule=\"environ_read_from_procfs\",severity=\"high\"} 1.0",
                        "environguard_events_lost_total{cause=\"target_exited\"} 1.0",
                        "environguard_sink_alerts_total{result=\"delivered\",sink=\"rec\"} 2.0",
                        "environguard_kernel_events_read_total 7.0",
                        "environguard_watching 1.0",
                        "environguard_alert_latency_seconds_count 1",
                        "environguard_alert_latency_skipped_total 0.0",
                        "environguard_alert_latency_seconds{quantile=\"0.99\"}")) {
                    assertTrue(text.contains(line), "missing: " + line + "\n" + text);
                }
            }
        }
    }
}
