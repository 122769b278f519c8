package io.environguard.sink.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.sink.otel.OtelSinkProvider;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The README's OpenTelemetry example, run as written with an application SDK set as the global one. */
class ReadmeExamplesTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void otelExample() throws Exception {
        ReadmeSource.STARTED.clear();
        InMemoryLogRecordExporter exporter = InMemoryLogRecordExporter.create();
        GlobalOpenTelemetry.resetForTest();
        try (OpenTelemetrySdk application = OpenTelemetrySdk.builder()
                .setLoggerProvider(SdkLoggerProvider.builder()
                        .addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter)).build())
                .buildAndRegisterGlobal()) {
            // snippet:start otel-sink
            // imports: io.environguard.EnvironGuard, io.environguard.sink.otel.OtelSinkProvider
            // imports: io.opentelemetry.api.GlobalOpenTelemetry, io.opentelemetry.api.OpenTelemetry
            OpenTelemetry openTelemetry = GlobalOpenTelemetry.getOrNoop();      // or your OpenTelemetrySdk
            try (EnvironGuard guard = EnvironGuard.builder()
                    .addSinkProvider(new OtelSinkProvider(openTelemetry))
                    .set("environguard.sinks", "otel")
                    .build().start()) {
                runTheApplication();
            }
            // snippet:end
            Instant deadline = Instant.now().plus(WAIT);
            while (exporter.getFinishedLogRecordItems().isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            assertEquals(1, exporter.getFinishedLogRecordItems().size());
            assertTrue(exporter.getFinishedLogRecordItems().get(0).getBodyValue().asString().contains("/proc/42/environ"));
        } finally {
            GlobalOpenTelemetry.resetForTest();
        }
    }

    private static void runTheApplication() throws Exception {
        assertEquals(1, ReadmeSource.STARTED.size(), "the README's example ran the discovered scripted source");
        ReadmeSource.STARTED.get(0).awaitReplayed(WAIT);
    }
}
