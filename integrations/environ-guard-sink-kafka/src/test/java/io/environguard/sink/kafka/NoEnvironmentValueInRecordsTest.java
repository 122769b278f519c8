package io.environguard.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.environguard.api.Alert;
import io.environguard.testkit.SecretEnvironments;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * No value of 10,000 generated environments appears in any record the Kafka sink sends: not in the value (either
 * format), the key or a header. The sink sends through kafka-clients' {@link MockProducer}, which keeps the records
 * as the real producer would receive them.
 */
class NoEnvironmentValueInRecordsTest {

    @Provide
    Arbitrary<Map<String, String>> environments() {
        return SecretEnvironments.environments();
    }

    @Provide
    Arbitrary<Integer> shapes() {
        return Arbitraries.integers().between(0, 5);
    }

    @Provide
    Arbitrary<KafkaFormat> formats() {
        return Arbitraries.of(KafkaFormat.class);
    }

    @Property(tries = 10_000)
    void noRecordHoldsAnEnvironmentValue(@ForAll("environments") Map<String, String> env, @ForAll("shapes") int shape,
                                         @ForAll("formats") KafkaFormat format) throws Exception {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        KafkaSinkSettings settings = new KafkaSinkSettings("127.0.0.1:9", "alerts", format, "host-1", Duration.ZERO, Map.of());
        List<Alert> alerts = SecretEnvironments.alertsCarrying(env, shape);
        try (KafkaAlertSink sink = new KafkaAlertSink(settings, producer)) {
            for (Alert alert : alerts) {
                sink.publish(alert);
            }
        }
        List<ProducerRecord<byte[], byte[]>> sent = producer.history();
        assertFalse(sent.size() != alerts.size(), "one record per alert");
        for (ProducerRecord<byte[], byte[]> r : sent) {
            StringBuilder everything = new StringBuilder()
                    .append(new String(r.key(), StandardCharsets.UTF_8)).append('\n')
                    .append(new String(r.value(), StandardCharsets.UTF_8)).append('\n');
            for (Header h : r.headers()) {
                everything.append(h.key()).append('=').append(new String(h.value(), StandardCharsets.UTF_8)).append('\n');
            }
            for (String value : env.values()) {
                assertFalse(everything.indexOf(value) >= 0, "an environment value reached a record: " + everything);
            }
        }
    }
}
