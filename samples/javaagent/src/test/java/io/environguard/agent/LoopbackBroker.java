package io.environguard.agent;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-broker Kafka cluster in KRaft mode (one controller, one broker, in this JVM) listening on
 * loopback only; a stopped broker comes back on the same port, where the producer looks for it.
 *
 * <pre>{@code
 * try (LoopbackBroker broker = LoopbackBroker.start()) {
 *     broker.createTopic("alerts", 1);
 *     ... broker.bootstrapServers() ...
 *     List<ConsumerRecord<byte[], byte[]>> got = broker.consume("alerts", 10, Duration.ofSeconds(20));
 * }
 * }</pre>
 */
final class LoopbackBroker implements AutoCloseable {

    private static final int BROKER_ID = 0;

    private final KafkaClusterTestKit kit;
    private final String bootstrapServers;

    private LoopbackBroker(KafkaClusterTestKit kit, String bootstrapServers) {
        this.kit = kit;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Formats and starts the cluster, and waits until the broker is ready. The test kit binds its listeners on
     * loopback ports of its choosing before the servers start, and keeps each node's port across a restart.
     */
    static LoopbackBroker start() throws Exception {
        TestKitNodes nodes = new TestKitNodes.Builder()
                .setCombined(false)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .build();
        KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "true")
                .build();
        try {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
        } catch (Exception | Error e) {
            kit.close();
            throw e;
        }
        return new LoopbackBroker(kit, kit.bootstrapServers());
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(20, TimeUnit.SECONDS);
        }
    }

    /** Stops the broker (the controller keeps running); producers see connections refused. */
    void stopBroker() {
        BrokerServer broker = kit.brokers().get(BROKER_ID);
        broker.shutdown();
        broker.awaitShutdown();
    }

    /** Starts the stopped broker again on the same port and waits until it is ready. */
    void restartBroker() throws Exception {
        kit.brokers().get(BROKER_ID).startup();
        kit.waitForReadyBrokers();
        if (!kit.bootstrapServers().equals(bootstrapServers)) {
            throw new IllegalStateException("the broker came back on another port: " + kit.bootstrapServers());
        }
    }

    /**
     * Reads the topic from the beginning until {@code atLeast} records arrived or {@code timeout} passed, then
     * returns everything read (callers assert on the count).
     */
    List<ConsumerRecord<byte[], byte[]>> consume(String topic, int atLeast, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.isEmpty() && System.nanoTime() < deadline) {
                consumer.partitionsFor(topic, Duration.ofSeconds(5))
                        .forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            // A short extra poll catches records beyond the expected count (duplicates would show here).
            consumer.poll(Duration.ofMillis(300)).forEach(out::add);
        }
        return out;
    }

    static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        kit.close();
    }
}
