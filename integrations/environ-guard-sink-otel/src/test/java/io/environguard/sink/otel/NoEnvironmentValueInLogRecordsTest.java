package io.environguard.sink.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.environguard.api.Alert;
import io.environguard.spi.DeliveryReceipt;
import io.environguard.testkit.SecretEnvironments;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * No value of 10,000 generated environments appears in any log record the OpenTelemetry sink emits: not in an
 * attribute (of any type), the body, the event name or the severity text. The records are what the real SDK hands
 * its exporter.
 */
class NoEnvironmentValueInLogRecordsTest {

    private static final InMemoryLogRecordExporter EXPORTER = InMemoryLogRecordExporter.create();
    private static final OpenTelemetrySdk SDK = OpenTelemetrySdk.builder()
            .setLoggerProvider(SdkLoggerProvider.builder().addLogRecordProcessor(SimpleLogRecordProcessor.create(EXPORTER)).build())
            .build();
    private static final DeliveryReceipt IGNORED = new DeliveryReceipt() {
        @Override
        public void delivered() {
        }

        @Override
        public void failed(Throwable cause) {
        }
    };

    @Provide
    Arbitrary<Map<String, String>> environments() {
        return SecretEnvironments.environments();
    }

    @Provide
    Arbitrary<Integer> shapes() {
        return Arbitraries.integers().between(0, 5);
    }

    @Property(tries = 10_000)
    void noLogRecordHoldsAnEnvironmentValue(@ForAll("environments") Map<String, String> env, @ForAll("shapes") int shape) {
        EXPORTER.reset();
        List<Alert> alerts = SecretEnvironments.alertsCarrying(env, shape);
        OtelLogsSink sink = new OtelLogsSink(SDK, null, false, Duration.ZERO);
        for (Alert alert : alerts) {
            sink.publish(alert, IGNORED);
        }
        List<LogRecordData> records = EXPORTER.getFinishedLogRecordItems();
        assertEquals(alerts.size(), records.size());
        for (LogRecordData r : records) {
            StringBuilder everything = new StringBuilder()
                    .append(r.getBodyValue().asString()).append('\n')
                    .append(r.getEventName()).append('\n')
                    .append(r.getSeverityText()).append('\n');
            r.getAttributes().forEach((k, v) -> everything.append(k.getKey()).append('=').append(v).append('\n'));
            for (String value : env.values()) {
                assertFalse(everything.indexOf(value) >= 0, "an environment value reached a log record: " + everything);
            }
        }
    }
}
