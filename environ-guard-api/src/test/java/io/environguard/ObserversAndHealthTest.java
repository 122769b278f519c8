package io.environguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.TestSources.CollectingSink;
import io.environguard.TestSources.ManualSourceProvider;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.spi.AlertObserver;
import io.environguard.spi.Availability;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Alert observers (the hook metrics use) and the guard's failure report (the hook health checks use). */
class ObserversAndHealthTest {

    private static final GuardConfig CONFIG = GuardConfig.of(Map.of("environguard.policy.protect.self", "false"));

    private static EnvironAccess read(Instant time, int reader, int target) {
        return EnvironAccess.builder().time(time).source("manual").path("/proc/" + target + "/environ")
                .alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(reader).exe("/usr/bin/cat").startTime(7).build())
                .target(ProcessInfo.builder(target).exe("/usr/bin/sleep").startTime(3).build()).build();
    }

    /** What an observer was told. */
    private record Seen(Alert alert, long latencyNanos) {
    }

    @Test
    void observersSeeEveryAlertWithItsLatencyAndEveryLossUntilRemoved() throws Exception {
        ManualSourceProvider source = new ManualSourceProvider("manual", 1, Availability.available("ok"));
        CollectingSink sink = new CollectingSink();
        List<Seen> seen = new CopyOnWriteArrayList<>();
        List<LossReport> losses = new CopyOnWriteArrayList<>();
        AlertObserver observer = new AlertObserver() {
            @Override
            public void onAlert(Alert alert, long latencyNanos) {
                seen.add(new Seen(alert, latencyNanos));
            }

            @Override
            public void onLoss(LossReport loss) {
                losses.add(loss);
            }
        };
        try (EnvironGuard guard = EnvironGuard.builder().config(CONFIG).addSourceProvider(source).addSink("mem", sink).build()) {
            guard.addAlertObserver(observer); // before start: kept
            guard.start();
            Instant before = Instant.now();
            Instant accessTime = before.minusMillis(250);
            source.listener.get().onAccess(read(accessTime, 4242, 42));
            Instant after = Instant.now();
            source.listener.get().onLoss(new LossReport("queue_overflow", 3, "test"));

            assertEquals(2, seen.size(), seen.toString());
            assertEquals(Rules.ENVIRON_READ, seen.get(0).alert().rule());
            long low = Duration.between(accessTime, before).toNanos();
            long high = Duration.between(accessTime, after).toNanos();
            assertTrue(seen.get(0).latencyNanos() >= low && seen.get(0).latencyNanos() <= high,
                    seen.get(0).latencyNanos() + " not within [" + low + ", " + high + "]");
            assertEquals(Rules.EVENTS_LOST, seen.get(1).alert().rule());
            assertEquals(-1, seen.get(1).latencyNanos(), "a lost-events alert has no access to measure from");
            assertEquals(List.of(new LossReport("queue_overflow", 3, "test")), losses);

            assertTrue(guard.removeAlertObserver(observer));
            assertFalse(guard.removeAlertObserver(observer));
            source.listener.get().onAccess(read(Instant.now(), 4243, 43));
            assertEquals(2, seen.size(), "removed observers hear nothing more");
            assertEquals(3, sink.await(3, 5_000).size(), "the sinks got everything");
        }
    }

    /** An observer that records what it is told and declines every latency. */
    private static final class Declining implements AlertObserver {
        final List<Long> latencies = new CopyOnWriteArrayList<>();

        @Override
        public void onAlert(Alert alert, long latencyNanos) {
            latencies.add(latencyNanos);
        }

        @Override
        public boolean wantsLatency() {
            return false;
        }
    }

    @Test
    void latencyIsMeasuredOnlyWhenSomeObserverWantsIt() throws Exception {
        ManualSourceProvider source = new ManualSourceProvider("manual", 1, Availability.available("ok"));
        Declining declining = new Declining();
        List<Long> wanting = new CopyOnWriteArrayList<>();
        try (EnvironGuard guard = EnvironGuard.builder().config(CONFIG).addSourceProvider(source)
                .addSink("mem", new CollectingSink()).build().start()) {
            guard.addAlertObserver(declining);
            source.listener.get().onAccess(read(Instant.now().minusMillis(100), 4242, 42));
            source.listener.get().onLoss(new LossReport("queue_overflow", 1, "test"));
            assertEquals(List.of(AlertObserver.NOT_MEASURED, AlertObserver.NO_ACCESS), declining.latencies,
                    "no observer wanted it: not measured; a lost-events alert has no access either way");

            AlertObserver wants = (alert, nanos) -> wanting.add(nanos);
            guard.addAlertObserver(wants);
            source.listener.get().onAccess(read(Instant.now().minusMillis(100), 4243, 43));
            assertEquals(1, wanting.size());
            assertTrue(wanting.get(0) >= 100_000_000L, wanting.toString());
            assertEquals(wanting.get(0), declining.latencies.get(2), "one measurement, given to every observer");
        }
    }

    @Test
    void anObserverWhoseWantsLatencyThrowsGetsTheLatencyAndThePipelineGoesOn() throws Exception {
        ManualSourceProvider source = new ManualSourceProvider("manual", 1, Availability.available("ok"));
        List<Long> latencies = new CopyOnWriteArrayList<>();
        try (EnvironGuard guard = EnvironGuard.builder().config(CONFIG).addSourceProvider(source)
                .addSink("mem", new CollectingSink()).build().start()) {
            guard.addAlertObserver(new AlertObserver() {
                @Override
                public void onAlert(Alert alert, long latencyNanos) {
                    latencies.add(latencyNanos);
                }

                @Override
                public boolean wantsLatency() {
                    throw new IllegalStateException("observer bug");
                }
            });
            source.listener.get().onAccess(read(Instant.now(), 4242, 42));
            assertEquals(1, latencies.size());
            assertTrue(latencies.get(0) >= 0, latencies.toString());
            assertEquals(1, guard.stats().alerts());
        }
    }

    @Test
    void aClockThatSteppedBackGivesZeroNotANegativeLatency() throws Exception {
        ManualSourceProvider source = new ManualSourceProvider("manual", 1, Availability.available("ok"));
        List<Long> latencies = new CopyOnWriteArrayList<>();
        try (EnvironGuard guard = EnvironGuard.builder().config(CONFIG).addSourceProvider(source)
                .addSink("mem", new CollectingSink()).build().start()) {
            guard.addAlertObserver((alert, nanos) -> latencies.add(nanos));
            source.listener.get().onAccess(read(Instant.now().plusSeconds(3600), 4242, 42));
            assertEquals(List.of(0L), latencies);
        }
    }

    @Test
    void aThrowingObserverNeitherStopsTheOthersNorThePipeline() throws Exception {
        ManualSourceProvider source = new ManualSourceProvider("manual", 1, Availability.available("ok"));
        CollectingSink sink = new CollectingSink();
        List<Alert> second = new CopyOnWriteArrayList<>();
        try (EnvironGuard guard = EnvironGuard.builder().config(CONFIG).addSourceProvider(source).addSink("mem", sink)
                .build().start()) {
            guard.addAlertObserver((alert, nanos) -> {
                throw new IllegalStateException("observer bug");
            });
            guard.addAlertObserver((alert, nanos) -> second.add(alert));
            source.listener.get().onAccess(read(Instant.now(), 4242, 42));
            source.listener.get().onAccess(read(Instant.now(), 4243, 43));
            assertEquals(2, second.size());
            assertEquals(2, sink.await(2, 5_000).size());
            assertEquals(2, guard.stats().alerts());
            assertEquals(0, guard.stats().lostEvents(), "an observer's failure is not the pipeline's");
        }
    }

    @Test
    void failureSaysWhyTheGuardIsNotWatching() throws Exception {
        ManualSourceProvider source = new ManualSourceProvider("manual", 1, Availability.available("ok"));
        EnvironGuard guard = EnvironGuard.builder().config(CONFIG).addSourceProvider(source)
                .addSink("mem", new CollectingSink()).build();
        assertEquals(Optional.of("the guard has not started"), guard.failure());
        assertSame(guard, guard.start());
        assertEquals(Optional.empty(), guard.failure());
        source.failure = "the reader thread stopped (java.lang.Error: test)";
        assertEquals(Optional.of("source manual failed: the reader thread stopped (java.lang.Error: test)"), guard.failure());
        guard.close();
        assertEquals(Optional.of("the guard is closed"), guard.failure());
    }
}
