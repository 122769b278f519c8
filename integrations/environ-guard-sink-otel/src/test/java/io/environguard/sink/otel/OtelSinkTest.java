package io.environguard.sink.otel;

import static io.environguard.sink.otel.Alerts.awaitSinkStats;
import static io.environguard.sink.otel.Alerts.memRead;
import static io.environguard.sink.otel.Alerts.read;
import static io.environguard.sink.otel.Alerts.total;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.SinkStats;
import io.environguard.sink.AlertText;
import io.environguard.testkit.RecordingSink;
import io.environguard.testkit.ScriptedEventSource;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The OpenTelemetry sink with the real SDK exporting OTLP/HTTP protobuf to a receiver on loopback, through the real
 * pipeline: records, attributes and severities as decoded from the wire; a receiver that fails or hangs is retried
 * within bounds, counted, and never holds back the guard's other sinks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OtelSinkTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static EnvironGuard.Builder guard(ScriptedEventSource source, RecordingSink recording, OtlpReceiver receiver) {
        return EnvironGuard.builder()
                .set(EnvironGuard.SOURCE, ScriptedEventSource.NAME)
                .set("environguard.policy.sweep.threshold", "3")
                .set("environguard.policy.sweep.window", "60s")
                .set(OtelSinkProvider.PREFIX + "exporter.otlp.endpoint", receiver.endpoint())
                .set(OtelSinkProvider.PREFIX + "blrp.schedule.delay", "50")
                .set(OtelSinkProvider.PREFIX + "service.name", "eg-test")
                .addSourceProvider(source)
                .addSink("recording", recording);
    }

    @Test
    void everyAlertBecomesOneLogRecordWithItsAttributesAndSeverity() throws Exception {
        List<Alert> alerts;
        try (OtlpReceiver receiver = new OtlpReceiver(n -> 200)) {
            ScriptedEventSource source = ScriptedEventSource.of(List.of(
                    ScriptedEventSource.Step.access(read(5001, 51)),
                    ScriptedEventSource.Step.access(memRead(5002, 52)),
                    ScriptedEventSource.Step.access(read(7000, 60)),
                    ScriptedEventSource.Step.access(read(7000, 61)),
                    ScriptedEventSource.Step.access(read(7000, 62)),
                    ScriptedEventSource.Step.loss(new LossReport("queue_overflow", 17, "test"))));
            RecordingSink recording = new RecordingSink();
            EnvironGuard guard = guard(source, recording, receiver).build().start();
            try {
                recording.awaitAlerts(6, WAIT);
                awaitSinkStats(guard, OtelSinkProvider.NAME, s -> s.delivered() == 6, WAIT);
            } finally {
                guard.close();
            }
            // Closing may add alerts (the end of the sweep): every alert the other sink got was exported too.
            alerts = recording.alerts();
            SinkStats otel = Alerts.sinkStats(guard, OtelSinkProvider.NAME);
            assertEquals(alerts.size(), otel.delivered(), otel.toString());
            assertEquals(0, otel.failed() + otel.dropped() + otel.undelivered(), otel.toString());
            List<OtlpReceiver.Received> received = receiver.records();
            assertEquals(alerts.size(), received.size(), "one record per alert");
            Map<String, OtlpReceiver.Received> byBody = new HashMap<>();
            received.forEach(r -> byBody.put(r.record().getBody().getStringValue(), r));
            for (Alert alert : alerts) {
                OtlpReceiver.Received r = byBody.get(AlertText.format(alert));
                assertNotNull(r, "no record has the alert's summary as its body: " + AlertText.format(alert));
                var record = r.record();
                Map<String, AnyValue> attrs = attributes(record.getAttributesList());
                assertEquals("environguard." + alert.rule(), record.getEventName());
                assertEquals(AlertLogRecords.severity(alert.severity()).getSeverityNumber(), record.getSeverityNumberValue());
                assertEquals(alert.severity().name(), record.getSeverityText());
                assertEquals(alert.time().getEpochSecond() * 1_000_000_000L + alert.time().getNano(), record.getTimeUnixNano());
                assertTrue(record.getObservedTimeUnixNano() > 0);
                assertEquals(alert.rule(), attrs.get("environguard.rule").getStringValue());
                assertEquals(alert.severity().id(), attrs.get("environguard.severity").getStringValue());
                assertEquals(alert.count(), attrs.get("environguard.count").getIntValue());
                assertEquals(OtelLogsSink.SCOPE, r.scope().getScope().getName());
                Map<String, AnyValue> resource = attributes(r.resource().getResource().getAttributesList());
                assertEquals("eg-test", resource.get("service.name").getStringValue());
                assertTrue(resource.containsKey("host.name"), resource.keySet().toString());
                if (alert.hasAccess()) {
                    EnvironAccess a = alert.access();
                    assertEquals(a.reader().pid(), attrs.get("process.pid").getIntValue());
                    assertEquals(a.reader().ppid(), attrs.get("process.parent_pid").getIntValue());
                    assertEquals(a.reader().exe(), attrs.get("process.executable.path").getStringValue());
                    assertEquals(String.join(" ", a.reader().cmdline()), attrs.get("process.command_line").getStringValue());
                    assertEquals(a.reader().cmdline().size(), attrs.get("process.command_args").getArrayValue().getValuesCount());
                    assertEquals(a.reader().uid(), attrs.get("process.real_user.id").getIntValue());
                    assertEquals(Integer.toString(a.reader().uid()), attrs.get("user.id").getStringValue());
                    assertEquals(a.path(), attrs.get("file.path").getStringValue());
                    assertEquals(a.file().id(), attrs.get("environguard.file").getStringValue());
                    assertEquals(a.target().pid(), attrs.get("environguard.target.pid").getIntValue());
                    assertEquals(a.target().containerId(), attrs.get("environguard.target.container").getStringValue());
                    assertEquals(a.reader().startTime(), attrs.get("environguard.reader.start_time").getIntValue());
                    assertEquals(a.reader().ppid(), attrs.get("environguard.reader.ancestors.pid").getArrayValue().getValues(0).getIntValue());
                    assertEquals(alert.mitre().techniqueId(), attrs.get("environguard.mitre.technique").getStringValue());
                    assertFalse(attrs.containsKey("container.id"), "the reader runs on the host");
                } else {
                    assertEquals(17, attrs.get("environguard.lost.queue_overflow").getIntValue());
                    assertFalse(attrs.containsKey("process.pid"));
                }
                if (!alert.targets().isEmpty()) {
                    assertEquals(alert.targets().size(), attrs.get("environguard.targets.pid").getArrayValue().getValuesCount());
                }
            }
        }
    }

    @Test
    void aFailingCollectorIsRetriedAndTheRetryDelivers() throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(n -> n < 2 ? 503 : 200)) {
            ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(read(5101, 151)));
            RecordingSink recording = new RecordingSink();
            try (EnvironGuard guard = guard(source, recording, receiver).build().start()) {
                recording.awaitAlerts(1, WAIT);
                SinkStats otel = awaitSinkStats(guard, OtelSinkProvider.NAME, s -> s.delivered() == 1, WAIT);
                assertEquals(0, otel.failed(), otel.toString());
            }
            assertEquals(3, receiver.requests().size(), "two 503s, then the retry that succeeded");
        }
    }

    /**
     * A collector that always answers 503: the exporter retries within its timeout (which bounds the export as a
     * whole, retries included), the alerts are counted as failed, and the other sink receives everything meanwhile.
     */
    @Test
    void aCollectorAnswering503IsRetriedWithinBoundsAndNeverDelaysOtherSinks() throws Exception {
        try (OtlpReceiver receiver = new OtlpReceiver(n -> 503)) {
            ScriptedEventSource source = ScriptedEventSource.of(List.of());
            RecordingSink recording = new RecordingSink();
            try (EnvironGuard guard = guard(source, recording, receiver)
                    .set(OtelSinkProvider.PREFIX + "exporter.otlp.timeout", "4000")
                    .build().start()) {
                source.emit(read(5201, 251));
                receiver.awaitRequests(2, WAIT);
                // The exporter is busy retrying; the other sink is not held back.
                for (int i = 2; i <= 5; i++) {
                    source.emit(read(5200 + i, 250 + i));
                }
                assertEquals(5, recording.awaitAlerts(5, Duration.ofSeconds(5)).size());
                SinkStats otel = awaitSinkStats(guard, OtelSinkProvider.NAME, s -> s.failed() == 5, WAIT);
                assertEquals(0, otel.delivered(), otel.toString());
            }
            int requests = receiver.requests().size();
            // At most two batches (the first alert, then the four others), each retried at most four times.
            assertTrue(requests >= 2 && requests <= 2 * 5, "requests: " + requests);
        }
    }

    /**
     * A collector that accepts the connection and never answers: every export ends at the exporter's timeout, the
     * batch queue overflows, and each alert is still counted exactly once; the other sink gets everything at once.
     * A record the full queue dropped is counted when a later batch is exported (or when the sink closes).
     */
    @Test
    void aHangingCollectorIsBoundedAndEveryAlertIsAccountedFor() throws Exception {
        int n = 40;
        int queue = 8;
        SinkStats last;
        try (OtlpReceiver receiver = new OtlpReceiver(k -> OtlpReceiver.HANG)) {
            ScriptedEventSource source = ScriptedEventSource.of(List.of());
            RecordingSink recording = new RecordingSink();
            EnvironGuard guard = guard(source, recording, receiver)
                    .set(OtelSinkProvider.PREFIX + "exporter.otlp.timeout", "500")
                    .set(OtelSinkProvider.PREFIX + "blrp.max.queue.size", Integer.toString(queue))
                    .set(OtelSinkProvider.PREFIX + "blrp.max.export.batch.size", "4")
                    .set(OtelSinkProvider.FLUSH_TIMEOUT, "500ms")
                    .build().start();
            try {
                for (int i = 0; i < n; i++) {
                    source.emit(read(6000 + i, 300 + i));
                }
                assertEquals(n, recording.awaitAlerts(n, Duration.ofSeconds(5)).size(), "the other sink is not held back");
                // The queued records time out; the queue is empty again.
                awaitSinkStats(guard, OtelSinkProvider.NAME, s -> s.failed() >= queue, WAIT);
                source.emit(read(6000 + n, 300 + n));
                // Its batch reveals the records the full queue dropped: older, and never exported.
                SinkStats s = awaitSinkStats(guard, OtelSinkProvider.NAME, x -> x.failed() >= n, WAIT);
                assertEquals(0, s.delivered(), s.toString());
            } finally {
                guard.close();
            }
            last = Alerts.sinkStats(guard, OtelSinkProvider.NAME);
            assertEquals(n + 1, total(last), "every alert in exactly one counter after close: " + last);
            assertEquals(0, last.delivered(), last.toString());
        }
    }

    /** The application's own OpenTelemetry: its pipeline gets the records, and closing the guard does not shut it down. */
    @Test
    void theApplicationsOpenTelemetryIsUsedAndLeftRunning() throws Exception {
        InMemoryLogRecordExporter exporter = InMemoryLogRecordExporter.create();
        try (OpenTelemetrySdk app = OpenTelemetrySdk.builder()
                .setLoggerProvider(SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter)).build())
                .build()) {
            ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(read(5301, 351)));
            RecordingSink recording = new RecordingSink();
            try (EnvironGuard guard = EnvironGuard.builder()
                    .set(EnvironGuard.SOURCE, ScriptedEventSource.NAME)
                    .set(EnvironGuard.SINKS, "otel")
                    .addSinkProvider(new OtelSinkProvider(app))
                    .addSourceProvider(source)
                    .addSink("recording", recording)
                    .build().start()) {
                Alert alert = recording.awaitAlerts(1, WAIT).get(0);
                awaitSinkStats(guard, OtelSinkProvider.NAME, s -> s.delivered() == 1, WAIT);
                List<LogRecordData> got = exporter.getFinishedLogRecordItems();
                assertEquals(1, got.size());
                assertEquals(AlertText.format(alert), got.get(0).getBodyValue().asString());
                assertEquals(Severity.WARN2, got.get(0).getSeverity());
                assertEquals("environguard.environ_read_from_procfs", got.get(0).getEventName());
            }
            app.getLogsBridge().get("after").logRecordBuilder().setBody("still running").emit();
            assertEquals(2, exporter.getFinishedLogRecordItems().size(), "the application's SDK was not shut down");
        }
    }

    private static Map<String, AnyValue> attributes(List<KeyValue> kvs) {
        Map<String, AnyValue> out = new HashMap<>();
        List<String> dup = new ArrayList<>();
        for (KeyValue kv : kvs) {
            if (out.put(kv.getKey(), kv.getValue()) != null) {
                dup.add(kv.getKey());
            }
        }
        assertTrue(dup.isEmpty(), "duplicate attributes " + dup);
        return out;
    }
}
