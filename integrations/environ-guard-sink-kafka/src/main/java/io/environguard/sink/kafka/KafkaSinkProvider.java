package io.environguard.sink.kafka;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kafka} sink: one record per alert, to a Kafka topic, with the delivery of each counted by the
 * guard ({@code delivered} when the brokers acknowledged it, {@code failed} when the producer gave up).
 *
 * <pre>{@code
 * EnvironGuard guard = EnvironGuard.builder()
 *         .set("environguard.sink.kafka.bootstrap.servers", "kafka-1:9093")
 *         .set("environguard.sink.kafka.topic", "security.environ-guard")
 *         .set("environguard.sink.kafka.producer.security.protocol", "SASL_SSL")
 *         .set("environguard.sink.kafka.producer.sasl.mechanism", "SCRAM-SHA-512")
 *         .set("environguard.sink.kafka.producer.sasl.jaas.config", jaasFromYourSecretStore)
 *         .build().start();
 * }</pre>
 *
 * <p>Found through {@link java.util.ServiceLoader}: with its jar (and kafka-clients) on the class path, it runs
 * whenever {@value #BOOTSTRAP_SERVERS} is set (and {@code environguard.sinks} is not), or when
 * {@code environguard.sinks} names {@code kafka}. Keys: see {@link KafkaSinkSettings} and the README.
 */
public final class KafkaSinkProvider implements AlertSinkProvider {

    /** The sink's name, for {@code environguard.sinks}. */
    public static final String NAME = "kafka";
    /** Brokers to connect to first: {@code host:port}, comma-separated. Required. */
    public static final String BOOTSTRAP_SERVERS = "environguard.sink.kafka.bootstrap.servers";
    /** The topic; default {@value KafkaSinkSettings#DEFAULT_TOPIC}. */
    public static final String TOPIC = "environguard.sink.kafka.topic";
    /** {@code jsonl} (default) or {@code ocsf}. */
    public static final String FORMAT = "environguard.sink.kafka.format";
    /** The host name in record keys and OCSF events; default: the kernel's host name. */
    public static final String HOSTNAME = "environguard.sink.kafka.hostname";
    /** How long closing waits for outstanding records; default 2s. */
    public static final String CLOSE_TIMEOUT = "environguard.sink.kafka.close.timeout";
    /** Every key under this prefix is a producer setting, e.g. {@code environguard.sink.kafka.producer.sasl.mechanism}. */
    public static final String PRODUCER_PREFIX = "environguard.sink.kafka.producer.";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSinkProvider.class);

    /** Public and cheap, for {@link java.util.ServiceLoader}. */
    public KafkaSinkProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Builds the producer. It connects in the background: a broker that is down now does not fail this, and
     * delivery starts when the broker is reachable.
     *
     * @throws IllegalArgumentException naming the key (never the value) of a setting that is missing or wrong
     */
    @Override
    public List<ConfigKey> keys() {
        return List.of(
                ConfigKey.of(BOOTSTRAP_SERVERS, "", "brokers to connect to first, host:port, comma-separated (required)"),
                ConfigKey.of(TOPIC, KafkaSinkSettings.DEFAULT_TOPIC, "the topic every alert goes to"),
                ConfigKey.of(FORMAT, "jsonl", "record value: jsonl or ocsf"),
                ConfigKey.of(HOSTNAME, "", "host name in record keys and OCSF events; default: the kernel's host name"),
                ConfigKey.of(CLOSE_TIMEOUT, "2s", "how long closing waits for outstanding records"),
                ConfigKey.family(PRODUCER_PREFIX, "Kafka producer settings (TLS, SASL, acks...), passed through", true));
    }

    @Override
    public AlertSink create(GuardConfig config) {
        KafkaSinkSettings settings = KafkaSinkSettings.from(config);
        for (String key : settings.weakenedGuarantees()) {
            LOG.warn("{} overrides the Kafka sink's safe default: a record may be lost without being counted as failed", key);
        }
        for (String key : settings.unknownToTheProducer()) {
            LOG.warn("{} is not a Kafka producer setting; it is passed on in case a producer plugin reads it", key);
        }
        KafkaProducer<byte[], byte[]> producer;
        try {
            producer = new KafkaProducer<>(settings.producerProperties(), new ByteArraySerializer(), new ByteArraySerializer());
        } catch (KafkaException e) {
            // Kafka's messages may quote a setting's value (a JAAS configuration, a password): only class names are kept.
            throw new IllegalArgumentException("the Kafka producer could not be created from the settings under "
                    + PRODUCER_PREFIX + " (" + causes(e) + "; messages are not repeated here, as they may quote a secret)");
        }
        KafkaAlertSink sink = new KafkaAlertSink(settings, producer);
        sink.fetchMetadataInBackground();
        return sink;
    }

    /** On when brokers are configured: setting them is how a user asks for Kafka. */
    @Override
    public boolean enabledByDefault(GuardConfig config) {
        return config.get(BOOTSTRAP_SERVERS).map(v -> !v.isBlank()).orElse(false);
    }

    private static String causes(Throwable t) {
        List<String> names = new ArrayList<>();
        for (Throwable c = t; c != null && names.size() < 5; c = c.getCause()) {
            names.add(c.getClass().getSimpleName());
        }
        return String.join(" caused by ", names);
    }
}
