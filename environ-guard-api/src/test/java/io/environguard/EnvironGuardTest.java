package io.environguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.TestSources.CollectingSink;
import io.environguard.TestSources.ManualSourceProvider;
import io.environguard.api.AccessOutcome;
import io.environguard.api.AliasKind;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.spi.Availability;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironGuardTest {

    private static final GuardConfig NO_SERVICES = GuardConfig.of(java.util.Map.of(
            "environguard.policy.protect.self", "false"));

    private static EnvironAccess read(int readerPid, int targetPid) {
        return EnvironAccess.builder().source("manual").path("/proc/" + targetPid + "/environ").alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(readerPid).exe("/usr/bin/cat").comm("cat").uid(1000).startTime(100).build())
                .target(ProcessInfo.builder(targetPid).exe("/usr/bin/sleep").comm("sleep").uid(1000).startTime(50).build())
                .build();
    }

    @Test
    void explicitSourceWinsOverPriority() throws Exception {
        ManualSourceProvider high = new ManualSourceProvider("high", 100, Availability.available("ok"));
        ManualSourceProvider low = new ManualSourceProvider("low", 1, Availability.available("ok"));
        try (EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).set(EnvironGuard.SOURCE, "low")
                .addSourceProvider(high).addSourceProvider(low).addSink("mem", new CollectingSink()).build().start()) {
            assertEquals("low", guard.sourceName());
            assertNotNull(low.listener.get());
        }
    }

    @Test
    void autoPicksTheAvailableSourceOfHighestPriority() throws Exception {
        ManualSourceProvider best = new ManualSourceProvider("best", 100, Availability.unavailable("needs CAP_SYS_ADMIN"));
        ManualSourceProvider next = new ManualSourceProvider("next", 50, Availability.available("ok"));
        ManualSourceProvider last = new ManualSourceProvider("last", 10, Availability.available("ok"));
        try (EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).addSourceProvider(last)
                .addSourceProvider(best).addSourceProvider(next).addSink("mem", new CollectingSink()).build().start()) {
            assertEquals("next", guard.sourceName());
        }
    }

    @Test
    void startFailsListingEverySourceAndWhyWhenNoneIsAvailable() {
        EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES)
                .addSourceProvider(new ManualSourceProvider("fanotify", 100, Availability.unavailable("needs CAP_SYS_ADMIN")))
                .addSourceProvider(new ManualSourceProvider("procfs", 10, Availability.unavailable("/proc is not mounted")))
                .addSink("mem", new CollectingSink()).build();
        GuardStartException e = assertThrows(GuardStartException.class, guard::start);
        assertTrue(e.getMessage().contains("fanotify: needs CAP_SYS_ADMIN"), e.getMessage());
        assertTrue(e.getMessage().contains("procfs: /proc is not mounted"), e.getMessage());
    }

    @Test
    void anExplicitUnavailableSourceFailsWithItsReason() {
        EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).set(EnvironGuard.SOURCE, "fanotify")
                .addSourceProvider(new ManualSourceProvider("fanotify", 100, Availability.unavailable("needs CAP_SYS_ADMIN")))
                .addSourceProvider(new ManualSourceProvider("procfs", 10, Availability.available("ok")))
                .addSink("mem", new CollectingSink()).build();
        GuardStartException e = assertThrows(GuardStartException.class, guard::start);
        assertTrue(e.getMessage().contains("needs CAP_SYS_ADMIN"), e.getMessage());
    }

    @Test
    void anUnknownSourceNameListsTheKnownOnes() {
        EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).set(EnvironGuard.SOURCE, "ebpf")
                .addSourceProvider(new ManualSourceProvider("procfs", 10, Availability.available("ok")))
                .addSink("mem", new CollectingSink()).build();
        GuardStartException e = assertThrows(GuardStartException.class, guard::start);
        assertTrue(e.getMessage().contains("no source named ebpf") && e.getMessage().contains("procfs"), e.getMessage());
    }

    @Test
    void anUnknownSinkNameSaysHowToAddOne() {
        EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).set(EnvironGuard.SINKS, "kafka")
                .addSourceProvider(new ManualSourceProvider("m", 10, Availability.available("ok"))).build();
        GuardStartException e = assertThrows(GuardStartException.class, guard::start);
        assertTrue(e.getMessage().contains("no sink named kafka") && e.getMessage().contains("jar"), e.getMessage());
    }

    @Test
    void aSinkThatFailsToBeCreatedDoesNotStopTheOthers() throws Exception {
        CollectingSink healthy = new CollectingSink();
        AlertSinkProvider broken = new AlertSinkProvider() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public AlertSink create(GuardConfig config) {
                throw new IllegalStateException("environguard.sink.broken.url is not set");
            }
        };
        AlertSinkProvider good = new AlertSinkProvider() {
            @Override
            public String name() {
                return "good";
            }

            @Override
            public AlertSink create(GuardConfig config) {
                return healthy;
            }
        };
        ManualSourceProvider src = new ManualSourceProvider("m", 10, Availability.available("ok"));
        try (EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).set(EnvironGuard.SINKS, "broken,good")
                .addSinkProvider(broken).addSinkProvider(good).addSourceProvider(src).build().start()) {
            src.listener.get().onAccess(read(4242, 42));
            assertEquals(1, healthy.await(1, 5_000).size());
            assertEquals(List.of("good"), guard.stats().sinks().stream().map(s -> s.sink()).toList());
        }
    }

    @Test
    void accessesBecomeAlertsAndLossesBecomeLostEventAlerts() throws Exception {
        CollectingSink sink = new CollectingSink();
        ManualSourceProvider src = new ManualSourceProvider("m", 10, Availability.available("ok"));
        EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).addSourceProvider(src).addSink("mem", sink).build().start();
        try {
            src.listener.get().onAccess(read(4242, 42));
            src.listener.get().onAccess(read(42, 42)); // self-read: no alert
            src.listener.get().onLoss(new LossReport("queue_overflow", 1, "the kernel queue overflowed"));
            List<Alert> alerts = sink.await(2, 5_000);
            assertEquals(2, alerts.size());
            assertEquals(Rules.ENVIRON_READ, alerts.get(0).rule());
            Alert lost = alerts.get(1);
            assertEquals(Rules.EVENTS_LOST, lost.rule());
            assertEquals(Severity.HIGH, lost.severity());
            assertEquals(1L, lost.lost().get("queue_overflow"));
            assertFalse(lost.hasAccess());
        } finally {
            guard.close();
        }
        GuardStats stats = guard.stats();
        assertEquals(2, stats.accesses());
        assertEquals(2, stats.alerts());
        assertEquals(1, stats.suppressed());
        assertEquals(1, stats.overflows());
        assertEquals(1, stats.lostEvents());
        assertEquals(2, stats.sinks().get(0).delivered());
        assertEquals(1, stats.outcome(AccessOutcome.ALERTED));
        assertEquals(1, stats.outcome(AccessOutcome.SELF_READ));
        assertTrue(src.closed);
    }

    @Test
    void closeEndsEveryOpenSweepBeforeTheSinksCloseAndStatsAccountForEveryAccess() throws Exception {
        CollectingSink sink = new CollectingSink();
        ManualSourceProvider src = new ManualSourceProvider("m", 10, Availability.available("ok"));
        EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).set("environguard.policy.sweep.threshold", "3")
                .addSourceProvider(src).addSink("mem", sink).build().start();
        try {
            for (int target = 42; target < 48; target++) {
                src.listener.get().onAccess(read(4242, target));       // 2 alone, the sweep, 3 folded
            }
            src.listener.get().onAccess(read(4242, 47));               // folded again
            assertEquals(3, sink.await(3, 5_000).size());
        } finally {
            guard.close();
        }
        List<String> rules = sink.alerts.stream().map(Alert::rule).toList();
        assertEquals(List.of(Rules.ENVIRON_READ, Rules.ENVIRON_READ, Rules.ENVIRON_SWEEP, Rules.ENVIRON_SWEEP_ENDED), rules,
                "the sweep's end was delivered, by close(), before the sinks closed");
        Alert ended = sink.alerts.get(3);
        assertEquals(6, ended.targets().size());
        assertEquals(7, ended.count());
        GuardStats stats = guard.stats();
        assertEquals(Map.of("alerted", 3L, "self_read", 0L, "allowed", 0L, "deduped", 0L, "folded", 4L), stats.outcomes());
        assertEquals(stats.accesses(), stats.outcomes().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(4, stats.alerts());
    }

    @Test
    void theOldStatsConstructorsStillWork() {
        GuardStats old = new GuardStats(1, 2, 3, 4, Map.of("queue_overflow", 4L), List.of());
        assertEquals(Map.of(), old.outcomes());
        assertEquals(0, old.outcome(AccessOutcome.FOLDED));
        assertEquals(Map.of(), new GuardStats(1, 2, 3, 4, Map.of(), List.of(), Map.of("x", 1L)).outcomes());
        assertEquals(List.of("alerted", "self_read", "allowed", "deduped", "folded"), List.copyOf(new GuardStats(1, 2, 3, 4,
                Map.of(), List.of(), Map.of(), Map.of("folded", 5L)).outcomes().keySet()), "every outcome, in order");
    }

    @Test
    void closeIsIdempotentAndAGuardStartsOnce() throws Exception {
        ManualSourceProvider src = new ManualSourceProvider("m", 10, Availability.available("ok"));
        EnvironGuard guard = EnvironGuard.builder().config(NO_SERVICES).addSourceProvider(src)
                .addSink("mem", new CollectingSink()).build();
        assertSame(guard, guard.start());
        assertTrue(guard.isRunning());
        guard.close();
        guard.close();
        assertFalse(guard.isRunning());
        assertThrows(IllegalStateException.class, guard::start);
    }
}
