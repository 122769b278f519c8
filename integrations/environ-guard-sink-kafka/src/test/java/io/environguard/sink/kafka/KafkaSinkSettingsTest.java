package io.environguard.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.testkit.SecretEnvironments;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class KafkaSinkSettingsTest {

    private static final String SECRET = "S3cr3t-hunter2-value";

    private static GuardConfig config(String... keyValues) {
        GuardConfig.Builder b = GuardConfig.builder().set(KafkaSinkProvider.BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        for (int i = 0; i < keyValues.length; i += 2) {
            b.set(keyValues[i], keyValues[i + 1]);
        }
        return b.build();
    }

    @Test
    void theDefaultsAcknowledgeOnEveryReplicaAndBoundEveryWait() {
        KafkaSinkSettings s = KafkaSinkSettings.from(config());
        Properties p = s.producerProperties();
        assertEquals("all", p.get("acks"));
        assertEquals("true", p.get("enable.idempotence"));
        assertEquals("8388608", p.get("buffer.memory"));
        assertEquals(5000, s.maxBlockMillis());
        assertEquals(30_000, s.deliveryTimeoutMillis());
        assertEquals("127.0.0.1:9092", p.get("bootstrap.servers"));
        assertEquals(KafkaSinkSettings.DEFAULT_TOPIC, s.topic());
        assertEquals(KafkaFormat.JSONL, s.format());
        assertTrue(s.weakenedGuarantees().isEmpty());
    }

    @Test
    void producerSettingsComeFromAnySpellingOfTheKeyAndWinOverTheDefaults() {
        GuardConfig c = GuardConfig.builder()
                .environment(Map.of("ENVIRONGUARD_SINK_KAFKA_BOOTSTRAP_SERVERS", "kafka:9093",
                        "ENVIRONGUARD_SINK_KAFKA_PRODUCER_SECURITY_PROTOCOL", "SASL_SSL",
                        "ENVIRONGUARD_SINK_KAFKA_PRODUCER_LINGER_MS", "20"))
                .set("environguard.sink.kafka.producer.sasl.mechanism", "SCRAM-SHA-512")
                .build();
        Properties p = KafkaSinkSettings.from(c).producerProperties();
        assertEquals("SASL_SSL", p.get("security.protocol"));
        assertEquals("SCRAM-SHA-512", p.get("sasl.mechanism"));
        assertEquals("20", p.get("linger.ms"));
        assertEquals("kafka:9093", p.get("bootstrap.servers"));
    }

    @Test
    void errorsNameTheKeyAndNeverTheValue() {
        List<IllegalArgumentException> errors = List.of(
                assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                        config(KafkaSinkProvider.PRODUCER_PREFIX + "acks", SECRET))),
                assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                        config(KafkaSinkProvider.PRODUCER_PREFIX + "linger.ms", SECRET))),
                assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                        config(KafkaSinkProvider.FORMAT, SECRET))),
                assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                        config(KafkaSinkProvider.TOPIC, SECRET + "/x"))));
        assertTrue(errors.get(0).getMessage().startsWith("environguard.sink.kafka.producer.acks: not accepted"), errors.get(0).getMessage());
        assertTrue(errors.get(1).getMessage().startsWith("environguard.sink.kafka.producer.linger.ms: expected a value of type long"),
                errors.get(1).getMessage());
        assertTrue(errors.get(2).getMessage().startsWith("environguard.sink.kafka.format"), errors.get(2).getMessage());
        assertTrue(errors.get(3).getMessage().startsWith("environguard.sink.kafka.topic"), errors.get(3).getMessage());
        for (IllegalArgumentException e : errors) {
            assertFalse(String.valueOf(e).contains(SECRET), e.toString());
            assertEquals(null, e.getCause());
        }
    }

    @Test
    void keysTheSinkOwnsOrThatWouldBlockForLongAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(GuardConfig.empty()))
                .getMessage().contains(KafkaSinkProvider.BOOTSTRAP_SERVERS + " is not set"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                config(KafkaSinkProvider.PRODUCER_PREFIX + "value.serializer", "x"))).getMessage().contains("cannot be set"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                config(KafkaSinkProvider.PRODUCER_PREFIX + "bootstrap.servers", "x"))).getMessage()
                .contains("set " + KafkaSinkProvider.BOOTSTRAP_SERVERS));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                config(KafkaSinkProvider.PRODUCER_PREFIX + "max.block.ms", "600000"))).getMessage().contains("at most 60000"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KafkaSinkSettings.from(
                config(KafkaSinkProvider.PRODUCER_PREFIX + "acks", "1"))).getMessage().contains("enable.idempotence=false as well"));
    }

    @Test
    void weakerGuaranteesAndUnknownKeysAreNamed() {
        KafkaSinkSettings s = KafkaSinkSettings.from(config(KafkaSinkProvider.PRODUCER_PREFIX + "acks", "1",
                KafkaSinkProvider.PRODUCER_PREFIX + "enable.idempotence", "false",
                KafkaSinkProvider.PRODUCER_PREFIX + "my.plugin.setting", SECRET));
        assertEquals(List.of("environguard.sink.kafka.producer.acks", "environguard.sink.kafka.producer.enable.idempotence"),
                s.weakenedGuarantees());
        assertEquals(List.of("environguard.sink.kafka.producer.my.plugin.setting"), s.unknownToTheProducer());
        assertTrue(KafkaSinkSettings.from(config(KafkaSinkProvider.PRODUCER_PREFIX + "acks", "-1")).weakenedGuarantees().isEmpty());
        assertFalse(s.toString().contains(SECRET), s.toString());
        assertTrue(s.toString().contains("my.plugin.setting"), s.toString());
    }

    /** SASL with a JAAS configuration and a trust-store password: the producer is built, and neither secret is logged. */
    @Test
    void secretsInProducerSettingsAreNeverLogged() throws Exception {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"guard\" password=\"" + SECRET + "\";";
        GuardConfig c = config(
                KafkaSinkProvider.PRODUCER_PREFIX + "security.protocol", "SASL_PLAINTEXT",
                KafkaSinkProvider.PRODUCER_PREFIX + "sasl.mechanism", "PLAIN",
                KafkaSinkProvider.PRODUCER_PREFIX + "sasl.jaas.config", jaas,
                KafkaSinkProvider.PRODUCER_PREFIX + "ssl.truststore.password", SECRET + "-2",
                KafkaSinkProvider.PRODUCER_PREFIX + "acks", "1",
                KafkaSinkProvider.PRODUCER_PREFIX + "enable.idempotence", "false",
                KafkaSinkProvider.PRODUCER_PREFIX + "my.plugin.setting", SECRET + "-3");
        String log;
        try (CapturedStderr stderr = new CapturedStderr()) {
            AlertSink sink = new KafkaSinkProvider().create(c);
            sink.close();
            log = stderr.text();
        }
        assertTrue(log.contains("ProducerConfig values"), "kafka-clients logged its configuration (with secrets masked): " + log);
        assertTrue(log.contains("environguard.sink.kafka.producer.acks overrides"), log);
        assertTrue(log.contains("environguard.sink.kafka.producer.my.plugin.setting is not a Kafka producer setting"), log);
        assertFalse(log.contains(SECRET), "a secret reached the log:\n" + log);
    }

    /** A JAAS configuration Kafka cannot parse: the error names where to look, and quotes none of it. */
    @Test
    void aProducerThatCannotBeBuiltIsReportedWithoutItsSettingsValues() {
        GuardConfig c = config(
                KafkaSinkProvider.PRODUCER_PREFIX + "security.protocol", "SASL_PLAINTEXT",
                KafkaSinkProvider.PRODUCER_PREFIX + "sasl.mechanism", "PLAIN",
                KafkaSinkProvider.PRODUCER_PREFIX + "sasl.jaas.config", "not a login module " + SECRET);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KafkaSinkProvider().create(c));
        assertTrue(e.getMessage().contains("could not be created from the settings under environguard.sink.kafka.producer."), e.getMessage());
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t).contains(SECRET), t.toString());
        }
    }

    @Test
    void isFoundThroughServiceLoaderAndEnabledByItsBrokers() {
        List<String> names = new ArrayList<>();
        AlertSinkProvider kafka = null;
        for (AlertSinkProvider p : ServiceLoader.load(AlertSinkProvider.class)) {
            names.add(p.name());
            if (p.name().equals(KafkaSinkProvider.NAME)) {
                kafka = p;
            }
        }
        assertTrue(names.contains(KafkaSinkProvider.NAME), names.toString());
        assertFalse(kafka.enabledByDefault(GuardConfig.empty()));
        assertFalse(kafka.enabledByDefault(GuardConfig.of(Map.of(KafkaSinkProvider.BOOTSTRAP_SERVERS, " "))));
        assertTrue(kafka.enabledByDefault(config()));
    }

    @Test
    void keysHaveTheHostAndTheBlamedProcess() {
        var alerts = SecretEnvironments.alertsCarrying(Map.of("DB_PASSWORD", "x"), 0);
        assertEquals("h/4242:777", AlertRecords.key("h", alerts.get(0)));
        assertEquals("h/812:9", AlertRecords.key("h", alerts.get(1)), "a family sweep is keyed by its actor");
        assertEquals("h", AlertRecords.key("h", alerts.get(2)), "a hidden reader: keyed by host");
    }
}
