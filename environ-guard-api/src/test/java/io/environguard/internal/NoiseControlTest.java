package io.environguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Loss aggregation and rate limits, on a clock the test moves. */
class NoiseControlTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private NoiseControl noise(Map<String, String> keys) {
        return NoiseControl.from(GuardConfig.of(keys), clock::get);
    }

    private void advanceSeconds(long s) {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(s));
    }

    private static Alert read(int reader, String comm, int target, Severity severity) {
        EnvironAccess a = EnvironAccess.builder().source("t").path("/proc/" + target + "/environ").alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(reader).comm(comm).exe("/usr/bin/" + comm).startTime(7).build())
                .target(ProcessInfo.builder(target).startTime(3).build()).build();
        return Alert.of(a, Rules.ENVIRON_READ, severity, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("r"));
    }

    @Test
    void theFirstLossOfACauseIsAlertedAtOnceTheRestOncePerInterval() {
        NoiseControl n = noise(Map.of(NoiseControl.LOSS_INTERVAL, "60s"));
        List<Alert> first = n.onLoss(new LossReport("target_exited", 1, "gone"));
        assertEquals(1, first.size());
        assertEquals(Map.of("target_exited", 1L), first.get(0).lost());
        assertEquals(List.of(), n.onLoss(new LossReport("target_exited", 2, "gone")));
        assertEquals(List.of(), n.onLoss(new LossReport("target_exited", 3, "gone")));
        assertEquals(1, n.onLoss(new LossReport("queue_overflow", 1, "full")).size(), "another cause: at once");
        assertEquals(List.of(), n.onLoss(new LossReport("queue_overflow", 4, "full")));
        advanceSeconds(30);
        assertEquals(List.of(), n.tick(), "not yet an interval");
        advanceSeconds(30);
        List<Alert> due = n.tick();
        assertEquals(1, due.size(), "one alert for every cause that is due");
        assertEquals(Map.of("target_exited", 5L, "queue_overflow", 4L), due.get(0).lost());
        assertEquals(9, due.get(0).count());
        assertTrue(due.get(0).reasons().get(0).startsWith("9 event(s) lost in the last 60 s (queue_overflow 4, target_exited 5)"),
                due.get(0).reasons().get(0));
        assertEquals(List.of(), n.tick(), "nothing pending");
        advanceSeconds(61);
        assertEquals(1, n.onLoss(new LossReport("target_exited", 1, "gone")).size(), "quiet for an interval: at once again");
    }

    @Test
    void aZeroIntervalAlertsEveryReportAndCertainlyNoReadIsNeverAlerted() {
        NoiseControl n = noise(Map.of(NoiseControl.LOSS_INTERVAL, "0s"));
        assertEquals(1, n.onLoss(new LossReport("target_exited", 1, "")).size());
        assertEquals(1, n.onLoss(new LossReport("target_exited", 1, "")).size());
        assertEquals(List.of(), n.onLoss(new LossReport("target_exited_guard_read", 4, "own", true)));
        NoiseControl aggregated = noise(Map.of());
        assertEquals(List.of(), aggregated.onLoss(new LossReport("target_exited_guard_read", 4, "own", true)));
        assertEquals(List.of(), aggregated.flush());
    }

    @Test
    void flushHandsOverEverythingHeldBack() {
        NoiseControl n = noise(Map.of(NoiseControl.RATE_PREFIX + Rules.ENVIRON_READ, "1/1h"));
        n.onLoss(new LossReport("fd_error", 1, ""));
        n.onLoss(new LossReport("fd_error", 2, ""));
        assertTrue(n.admit(read(10, "cat", 1, Severity.HIGH)).pass());
        assertFalse(n.admit(read(11, "cat", 2, Severity.HIGH)).pass());
        List<Alert> all = n.flush();
        assertEquals(List.of(Rules.EVENTS_LOST, Rules.ALERTS_SUPPRESSED), all.stream().map(Alert::rule).toList());
        assertEquals(Map.of("fd_error", 2L), all.get(0).lost());
        assertEquals(1, all.get(1).count());
        assertEquals(List.of(), n.flush());
    }

    @Test
    void aRateLimitPassesNPerWindowAndSummarisesTheRest() {
        NoiseControl n = noise(Map.of("ENVIRONGUARD_ALERTS_RATE_ENVIRON_READ_FROM_PROCFS", "2/10s"));
        assertTrue(n.limitsAny());
        assertTrue(n.admit(read(10, "cat", 1, Severity.HIGH)).pass());
        assertTrue(n.admit(read(11, "cat", 2, Severity.HIGH)).pass());
        assertFalse(n.admit(read(12, "x\nfake", 3, Severity.HIGH)).pass());
        assertFalse(n.admit(read(12, "x\nfake", 4, Severity.CRITICAL)).pass());
        assertFalse(n.admit(read(13, "ls", 5, Severity.LOW)).pass());
        assertEquals(Map.of(Rules.ENVIRON_READ, 3L), n.rateLimitedByRule());
        assertTrue(n.admit(new Alert(java.time.Instant.now(), Rules.ENVIRON_SWEEP_ENDED, Severity.CRITICAL, List.of(),
                null, null, List.of(), 1, Map.of())).pass(), "closing alerts are never limited");
        advanceSeconds(5);
        assertEquals(List.of(), n.tick());
        advanceSeconds(5);
        List<Alert> due = n.tick();
        assertEquals(1, due.size());
        Alert summary = due.get(0);
        assertEquals(Rules.ALERTS_SUPPRESSED, summary.rule());
        assertEquals(Severity.CRITICAL, summary.severity(), "the worst of what was held back");
        assertEquals(3, summary.count());
        assertEquals(List.of(12, 13), summary.readers().stream().map(ProcessInfo::pid).toList());
        assertEquals(List.of(3, 4, 5), summary.targets().stream().map(ProcessInfo::pid).toList());
        String reason = summary.reasons().get(0);
        assertTrue(reason.startsWith("3 alert(s) of rule environ_read_from_procfs suppressed by its rate limit"
                + " (environguard.alerts.rate.environ_read_from_procfs = 2 per 10s); readers: x\\nfake[12] (/usr/bin/x\\nfake),"
                + " ls[13] (/usr/bin/ls)"), reason);
        assertFalse(reason.contains("\n"), "a reader's name cannot break the line");
        assertTrue(n.admit(read(14, "cat", 6, Severity.HIGH)).pass(), "a new window");
    }

    @Test
    void anAlertAfterTheWindowGetsTheSummaryDueFirst() {
        NoiseControl n = noise(Map.of(NoiseControl.RATE_PREFIX + Rules.ENVIRON_READ, "1/10s"));
        n.admit(read(10, "cat", 1, Severity.HIGH));
        n.admit(read(11, "cat", 2, Severity.HIGH));
        advanceSeconds(11);
        NoiseControl.Decision d = n.admit(read(12, "cat", 3, Severity.HIGH));
        assertTrue(d.pass());
        assertEquals(1, d.due().size());
        assertEquals(Rules.ALERTS_SUPPRESSED, d.due().get(0).rule());
    }

    @Test
    void malformedKeysNameTheKeyNotTheValue() {
        for (String bad : List.of("lots", "0/1m", "5", "5/", "5/never", "5/0s", "-1/1m")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> noise(Map.of(NoiseControl.RATE_PREFIX + "environ_sweep", bad)), bad);
            assertTrue(e.getMessage().contains("environguard.alerts.rate.environ_sweep"), e.getMessage());
            assertFalse(e.getMessage().contains("never") && bad.contains("never"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> noise(Map.of(NoiseControl.LOSS_INTERVAL, "-5s")));
    }
}
