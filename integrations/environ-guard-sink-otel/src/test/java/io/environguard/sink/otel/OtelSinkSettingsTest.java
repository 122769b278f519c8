package io.environguard.sink.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.testkit.SecretEnvironments;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class OtelSinkSettingsTest {

    @Test
    void sinkKeysBecomeOtelDefaultsOverTheSinksOwnBoundedOnes() {
        OtelSinkSettings s = OtelSinkSettings.from(GuardConfig.builder()
                .environment(Map.of("ENVIRONGUARD_SINK_OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"))
                .set("environguard.sink.otel.blrp.max.queue.size", "100")
                .set(OtelSinkProvider.FLUSH_TIMEOUT, "3s")
                .build());
        Map<String, String> d = s.sdkDefaults();
        assertEquals("http://collector:4318", d.get("otel.exporter.otlp.endpoint"));
        assertEquals("100", d.get("otel.blrp.max.queue.size"));
        assertEquals("http/protobuf", d.get("otel.exporter.otlp.protocol"));
        assertEquals("none", d.get("otel.traces.exporter"));
        assertEquals("5000", d.get("otel.exporter.otlp.timeout"));
        assertEquals("environ-guard", d.get("otel.service.name"));
        assertEquals(Duration.ofSeconds(3), s.flushTimeout());
        assertEquals(OtelSinkSettings.Instance.AUTO, s.instance());
        assertFalse(d.containsKey("otel.flush.timeout"), "the sink's own keys are not otel settings: " + d.keySet());
    }

    @Test
    void errorsNameTheKeyAndNeverTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OtelSinkSettings.from(
                GuardConfig.of(Map.of(OtelSinkProvider.INSTANCE, "S3cr3t"))));
        assertEquals(OtelSinkProvider.INSTANCE + ": expected auto, global or own", e.getMessage());
        OtelSinkSettings s = OtelSinkSettings.from(GuardConfig.of(Map.of(
                "environguard.sink.otel.exporter.otlp.headers", "Authorization=Bearer S3cr3t")));
        assertFalse(s.toString().contains("S3cr3t"), s.toString());
        assertTrue(s.toString().contains("otel.exporter.otlp.headers"), s.toString());
    }

    @Test
    void globalIsRefusedWhenTheApplicationSetNone() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OtelSinkProvider()
                .create(GuardConfig.of(Map.of(OtelSinkProvider.INSTANCE, "global"))));
        assertTrue(e.getMessage().contains("set no GlobalOpenTelemetry"), e.getMessage());
    }

    @Test
    void aBrokenOtelSettingIsReportedWithoutItsValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OtelSinkProvider()
                .create(GuardConfig.of(Map.of("environguard.sink.otel.exporter.otlp.endpoint", "ftp://S3cr3t@x"))));
        assertTrue(e.getMessage().contains("could not be configured from the otel.* settings"), e.getMessage());
        assertFalse(e.toString().contains("S3cr3t"), e.toString());
    }

    @Test
    void isFoundThroughServiceLoaderAndEnabledByItsKeys() {
        List<String> names = new ArrayList<>();
        AlertSinkProvider otel = null;
        for (AlertSinkProvider p : ServiceLoader.load(AlertSinkProvider.class)) {
            names.add(p.name());
            if (p.name().equals(OtelSinkProvider.NAME)) {
                otel = p;
            }
        }
        assertTrue(names.contains(OtelSinkProvider.NAME), names.toString());
        assertFalse(otel.enabledByDefault(GuardConfig.empty()));
        assertTrue(otel.enabledByDefault(GuardConfig.of(Map.of("ENVIRONGUARD_SINK_OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"))));
    }

    /** With no log exporter at all, nothing can report an outcome: an alert counts as delivered once emitted. */
    @Test
    void anOwnSdkWithoutALogExporterCountsAlertsWhenEmitted() throws Exception {
        io.environguard.spi.AsyncAlertSink sink = (io.environguard.spi.AsyncAlertSink) new OtelSinkProvider()
                .create(GuardConfig.of(Map.of("environguard.sink.otel.logs.exporter", "none")));
        java.util.concurrent.atomic.AtomicInteger delivered = new java.util.concurrent.atomic.AtomicInteger();
        try {
            sink.publish(SecretEnvironments.alertsCarrying(Map.of("DB_PASSWORD", "x"), 0).get(0),
                    new io.environguard.spi.DeliveryReceipt() {
                        @Override
                        public void delivered() {
                            delivered.incrementAndGet();
                        }

                        @Override
                        public void failed(Throwable cause) {
                            throw new AssertionError(cause);
                        }
                    });
        } finally {
            sink.close();
        }
        assertEquals(1, delivered.get());
    }

    @Test
    void severitiesKeepTheirOrder() {
        io.environguard.api.Severity[] ours = io.environguard.api.Severity.values();
        for (int i = 1; i < ours.length; i++) {
            assertTrue(AlertLogRecords.severity(ours[i]).getSeverityNumber()
                    > AlertLogRecords.severity(ours[i - 1]).getSeverityNumber(), ours[i].name());
        }
    }
}
