package io.environguard.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.AliasKind;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The scripted source and the recording sink drive the real pipeline, as the README shows. */
class ScriptedPipelineTest {

    private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

    private static EnvironAccess read(int reader, int target, long millis) {
        return EnvironAccess.builder().time(T0.plusMillis(millis)).source("test").path("/proc/" + target + "/environ")
                .alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(reader).exe("/usr/bin/cat").comm("cat").startTime(7).build())
                .target(ProcessInfo.builder(target).exe("/usr/bin/sleep").comm("sleep").startTime(3).build())
                .build();
    }

    @Test
    void aScriptReplaysThroughPolicyAndSinks() throws Exception {
        List<ScriptedEventSource.Step> steps = new ArrayList<>();
        steps.add(ScriptedEventSource.Step.access(read(4242, 42, 0)));
        steps.add(ScriptedEventSource.Step.access(read(4242, 42, 1)));      // a repeat: deduplicated
        steps.add(ScriptedEventSource.Step.access(read(42, 42, 2)));        // a self-read: never an alert
        steps.add(ScriptedEventSource.Step.loss(new LossReport("queue_overflow", 3, "test")));
        ScriptedEventSource source = ScriptedEventSource.of(steps);
        RecordingSink recorder = new RecordingSink();

        try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
                .addSourceProvider(source).addSink("recorder", recorder).build().start()) {
            source.awaitReplayed(Duration.ofSeconds(5));
            List<Alert> alerts = recorder.awaitAlerts(2, Duration.ofSeconds(5));
            assertEquals(List.of(Rules.ENVIRON_READ, Rules.EVENTS_LOST), alerts.stream().map(Alert::rule).toList());
            assertEquals(Severity.HIGH, alerts.get(0).severity());
            assertEquals(3L, alerts.get(1).lost().get("queue_overflow"));

            source.emit(read(4343, 43, 3));
            Alert more = recorder.awaitAlert(a -> a.hasAccess() && a.access().target().pid() == 43, Duration.ofSeconds(5));
            assertEquals(4343, more.access().reader().pid());
            assertEquals(4, guard.stats().accesses());
        }
        assertTrue(recorder.isClosed());
    }

    @Test
    void aBoundedWaitSaysWhatArrived() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(read(4242, 42, 0)));
        RecordingSink recorder = new RecordingSink();
        try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
                .addSourceProvider(source).addSink("recorder", recorder).build().start()) {
            source.awaitReplayed(Duration.ofSeconds(5));
            recorder.awaitAlerts(1, Duration.ofSeconds(5));
            TimeoutException e = assertThrows(TimeoutException.class, () -> recorder.awaitAlerts(2, Duration.ofMillis(50)));
            assertTrue(e.getMessage().contains("environ_read_from_procfs(4242->42)"), e.getMessage());
        }
    }

    @Test
    void emittingBeforeAGuardStartedItIsAClearError() {
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> source.emit(read(1, 2, 0)));
        assertTrue(e.getMessage().contains("not been started"));
    }
}
