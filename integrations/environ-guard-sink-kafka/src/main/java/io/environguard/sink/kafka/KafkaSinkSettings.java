package io.environguard.sink.kafka;

import io.environguard.api.GuardConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka sink's configuration, read from the keys of {@link KafkaSinkProvider}.
 *
 * <pre>{@code
 * KafkaSinkSettings s = KafkaSinkSettings.from(GuardConfig.of(Map.of(
 *         "environguard.sink.kafka.bootstrap.servers", "kafka-1:9093,kafka-2:9093",
 *         "environguard.sink.kafka.producer.security.protocol", "SASL_SSL",
 *         "environguard.sink.kafka.producer.sasl.mechanism", "SCRAM-SHA-512")));
 * Properties p = s.producerProperties();   // the safe defaults, overridden by the producer.* keys
 * }</pre>
 *
 * <p>Producer settings may hold secrets (SASL JAAS configuration, key store passwords): {@link #toString()} and
 * every error message name keys only, never values.
 *
 * @param bootstrapServers where the producer connects first
 * @param topic            the topic every alert goes to
 * @param format           what a record's value holds
 * @param hostname         the host name in keys and in OCSF events
 * @param closeTimeout     how long close waits for outstanding records before failing them
 * @param producerSettings producer configuration given under {@value KafkaSinkProvider#PRODUCER_PREFIX}, by Kafka key
 */
public record KafkaSinkSettings(String bootstrapServers, String topic, KafkaFormat format, String hostname,
                                Duration closeTimeout, Map<String, String> producerSettings) {

    /** The topic when {@link KafkaSinkProvider#TOPIC} is unset. */
    public static final String DEFAULT_TOPIC = "environ-guard-alerts";
    /** The close timeout when {@link KafkaSinkProvider#CLOSE_TIMEOUT} is unset: 2 seconds. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(2);
    /**
     * The longest {@code max.block.ms} accepted: {@code send} waits up to that long for metadata or buffer space on
     * the sink's thread, and the alerts behind it wait too.
     */
    public static final long MAX_BLOCK_MS_LIMIT = 60_000;

    /**
     * Producer defaults that neither lose alerts silently nor block for long: every replica acknowledges, retries
     * cannot duplicate, the buffer is bounded, and a record that cannot be delivered within 30 s fails (and is
     * counted) instead of waiting for minutes.
     */
    static final Map<String, String> SAFE_DEFAULTS = defaults();
    /** Keys the sink sets itself and will not take from configuration. */
    private static final Set<String> OWN_KEYS = Set.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    /** Kafka's legal topic names. */
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /**
     * Checks the fields, producer settings included, and keeps a sorted, unmodifiable copy of {@code producerSettings}.
     *
     * @param bootstrapServers brokers as {@code host:port}, comma-separated; not blank
     * @param topic            a legal Kafka topic name
     * @param format           what a record's value holds
     * @param hostname         the host name in keys and in OCSF events
     * @param closeTimeout     how long close waits for outstanding records; zero or more
     * @param producerSettings producer configuration by Kafka key; empty for the defaults
     * @throws IllegalArgumentException naming the key (never the value) when a field or a producer setting is wrong: a
     *                                  value Kafka would reject, a key the sink sets itself, {@code acks} weakened on an
     *                                  idempotent producer, {@code max.block.ms} over {@link #MAX_BLOCK_MS_LIMIT}
     */
    public KafkaSinkSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        producerSettings = Collections.unmodifiableMap(new TreeMap<>(producerSettings));
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException(KafkaSinkProvider.BOOTSTRAP_SERVERS
                    + " is not set; the Kafka sink needs the brokers to connect to (host:port, comma-separated)");
        }
        if (!TOPIC_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException(KafkaSinkProvider.TOPIC
                    + ": expected a Kafka topic name (1 to 249 of a-z, A-Z, 0-9, '.', '_', '-')");
        }
        if (closeTimeout.isNegative()) {
            throw new IllegalArgumentException(KafkaSinkProvider.CLOSE_TIMEOUT + ": expected a duration of 0 or more");
        }
        validateProducerSettings(producerSettings);
    }

    /**
     * Reads the settings from the {@code environguard.sink.kafka.*} keys of {@code config}.
     *
     * @param config the guard's configuration
     * @return the settings, with the defaults for unset keys (the local host name when no host name is set)
     * @throws IllegalArgumentException naming the key (never the value) when one is wrong or the brokers are not set
     */
    public static KafkaSinkSettings from(GuardConfig config) {
        String prefix = GuardConfig.normalize(KafkaSinkProvider.PRODUCER_PREFIX);
        Map<String, String> producer = new LinkedHashMap<>();
        config.asMap().forEach((key, value) -> {
            // Keys match loosely (ENVIRONGUARD_SINK_KAFKA_PRODUCER_SASL_MECHANISM); Kafka's keys are lower case with dots.
            String normalized = GuardConfig.normalize(key);
            if (normalized.startsWith(prefix) && normalized.length() > prefix.length()) {
                producer.put(normalized.substring(prefix.length()), value);
            }
        });
        String hostname = config.get(KafkaSinkProvider.HOSTNAME).map(String::trim).filter(h -> !h.isEmpty())
                .orElseGet(HostName::local);
        return new KafkaSinkSettings(
                config.getString(KafkaSinkProvider.BOOTSTRAP_SERVERS, "").trim(),
                config.getString(KafkaSinkProvider.TOPIC, DEFAULT_TOPIC).trim(),
                KafkaFormat.parse(KafkaSinkProvider.FORMAT, config.getString(KafkaSinkProvider.FORMAT, "jsonl")),
                hostname,
                config.getDuration(KafkaSinkProvider.CLOSE_TIMEOUT, DEFAULT_CLOSE_TIMEOUT),
                producer);
    }

    /**
     * The producer's configuration: the safe defaults, then the configured producer settings, then what the sink owns
     * (the brokers and the byte-array serializers).
     *
     * @return a new {@code Properties} for {@code KafkaProducer}; it may hold secrets
     */
    public Properties producerProperties() {
        Properties p = new Properties();
        p.putAll(SAFE_DEFAULTS);
        p.putAll(producerSettings);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** @return the producer's {@code max.block.ms}, in milliseconds: how long one {@code send} may wait on the sink's thread */
    public long maxBlockMillis() {
        return Long.parseLong(effective(ProducerConfig.MAX_BLOCK_MS_CONFIG));
    }

    /**
     * @return the producer's {@code delivery.timeout.ms}, in milliseconds: how long a record may wait for
     *         acknowledgement before it fails
     */
    public long deliveryTimeoutMillis() {
        return Long.parseLong(effective(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
    }

    /**
     * @return the configured producer keys (as {@code environguard.sink.kafka.producer.*}) that weaken what the
     *         defaults promise (acknowledgement by every replica, no duplicates); empty when none does
     */
    public List<String> weakenedGuarantees() {
        List<String> out = new ArrayList<>();
        for (String key : List.of(ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)) {
            String v = producerSettings.get(key);
            if (v != null && !v.trim().equalsIgnoreCase(SAFE_DEFAULTS.get(key))
                    && !(key.equals(ProducerConfig.ACKS_CONFIG) && v.trim().equals("-1"))) {
                out.add(KafkaSinkProvider.PRODUCER_PREFIX + key);
            }
        }
        return out;
    }

    /**
     * @return the configured producer keys (as {@code environguard.sink.kafka.producer.*}) that Kafka's producer does
     *         not define (a plugin such as a login callback may read them); empty when there are none
     */
    public List<String> unknownToTheProducer() {
        Map<String, ConfigDef.ConfigKey> known = ProducerConfig.configDef().configKeys();
        return producerSettings.keySet().stream().filter(k -> !known.containsKey(k))
                .map(k -> KafkaSinkProvider.PRODUCER_PREFIX + k).toList();
    }

    private String effective(String key) {
        String v = producerSettings.get(key);
        return (v != null ? v : SAFE_DEFAULTS.get(key)).trim();
    }

    /**
     * Checks each producer setting the way Kafka will (type and allowed values), so that a mistake is reported
     * with its key before the producer is built, and without the value: Kafka's own messages quote values.
     */
    private static void validateProducerSettings(Map<String, String> settings) {
        Map<String, ConfigDef.ConfigKey> known = ProducerConfig.configDef().configKeys();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String name = e.getKey();
            String key = KafkaSinkProvider.PRODUCER_PREFIX + name;
            if (name.equals(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
                throw new IllegalArgumentException(key + " is not used: set " + KafkaSinkProvider.BOOTSTRAP_SERVERS);
            }
            if (OWN_KEYS.contains(name)) {
                throw new IllegalArgumentException(key + " cannot be set: the sink writes byte arrays, without transactions");
            }
            ConfigDef.ConfigKey def = known.get(name);
            if (def == null) {
                continue;
            }
            Object parsed;
            try {
                parsed = ConfigDef.parseType(name, e.getValue(), def.type);
            } catch (ConfigException | IllegalArgumentException x) {
                throw new IllegalArgumentException(key + ": expected a value of type " + def.type.name().toLowerCase(java.util.Locale.ROOT)
                        + " (the value is not repeated here, as it may be a secret)");
            }
            if (def.validator != null) {
                try {
                    def.validator.ensureValid(name, parsed);
                } catch (ConfigException | IllegalArgumentException x) {
                    throw new IllegalArgumentException(key + ": not accepted by the Kafka producer (expected " + def.validator
                            + "; the value is not repeated here, as it may be a secret)");
                }
            }
        }
        String acks = settings.getOrDefault(ProducerConfig.ACKS_CONFIG, "all").trim();
        String idempotence = settings.getOrDefault(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true").trim();
        if (!(acks.equalsIgnoreCase("all") || acks.equals("-1")) && idempotence.equalsIgnoreCase("true")) {
            throw new IllegalArgumentException(KafkaSinkProvider.PRODUCER_PREFIX + ProducerConfig.ACKS_CONFIG
                    + ": an idempotent producer needs acks=all; to weaken acks, set " + KafkaSinkProvider.PRODUCER_PREFIX
                    + ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG + "=false as well");
        }
        String maxBlock = settings.get(ProducerConfig.MAX_BLOCK_MS_CONFIG);
        if (maxBlock != null && Long.parseLong(maxBlock.trim()) > MAX_BLOCK_MS_LIMIT) {
            throw new IllegalArgumentException(KafkaSinkProvider.PRODUCER_PREFIX + ProducerConfig.MAX_BLOCK_MS_CONFIG
                    + ": at most " + MAX_BLOCK_MS_LIMIT + " (each send may wait that long on the sink's thread)");
        }
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(ProducerConfig.ACKS_CONFIG, "all");
        d.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        d.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(8L * 1024 * 1024));
        d.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        d.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        d.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        d.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        d.put(ProducerConfig.CLIENT_ID_CONFIG, "environ-guard");
        return Collections.unmodifiableMap(d);
    }

    /** Keys only: producer settings may hold secrets. */
    @Override
    public String toString() {
        return "KafkaSinkSettings[bootstrapServers=" + bootstrapServers + ", topic=" + topic + ", format=" + format.id()
                + ", hostname=" + hostname + ", closeTimeout=" + closeTimeout + ", producer keys=" + producerSettings.keySet() + "]";
    }
}
