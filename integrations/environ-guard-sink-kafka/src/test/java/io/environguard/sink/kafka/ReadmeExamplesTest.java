package io.environguard.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The README's Kafka example, run as written against a real broker on loopback. */
class ReadmeExamplesTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void kafkaExample() throws Exception {
        ReadmeSource.STARTED.clear();
        try (LoopbackBroker broker = LoopbackBroker.start()) {
            String bootstrapServers = broker.bootstrapServers();
            // snippet:start kafka-sink
            // imports: io.environguard.EnvironGuard
            try (EnvironGuard guard = EnvironGuard.builder()
                    .set("environguard.sinks", "kafka,slf4j")
                    .set("environguard.sink.kafka.bootstrap.servers", bootstrapServers)   // e.g. kafka-1.example.com:9093
                    .build().start()) {
                runTheApplication();                                                   // alerts go to environ-guard-alerts
            }
            // snippet:end
            List<ConsumerRecord<byte[], byte[]>> records = broker.consume(KafkaSinkSettings.DEFAULT_TOPIC, 1, WAIT);
            assertEquals(1, records.size());
            assertTrue(LoopbackBroker.text(records.get(0).value()).contains("\"path\":\"/proc/42/environ\""),
                    LoopbackBroker.text(records.get(0).value()));
        }
    }

    private static void runTheApplication() throws Exception {
        assertEquals(1, ReadmeSource.STARTED.size(), "the README's example ran the discovered scripted source");
        ReadmeSource.STARTED.get(0).awaitReplayed(WAIT);
    }
}
