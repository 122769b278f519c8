package io.environguard.sink.kafka;

import io.environguard.api.Alert;
import io.environguard.spi.AsyncAlertSink;
import io.environguard.spi.DeliveryReceipt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each alert as one Kafka record ({@link AlertRecords}) and reports its outcome when the broker answers:
 * {@code delivered} once every in-sync replica has it ({@code acks=all}), {@code failed} when the producer gives
 * up (after {@code delivery.timeout.ms}, on a refusal such as a missing ACL, or when {@code send} cannot get
 * metadata or buffer space within {@code max.block.ms}).
 *
 * <p>{@code publish} never waits longer than {@code max.block.ms} (5 s by default): the producer sends in the
 * background, and a broker that is down only fills the bounded buffer, whose records fail after the delivery
 * timeout. While the producer has no metadata for the topic (the broker has been unreachable since the sink started,
 * or since it lost its connection), each {@code send} waits up to {@code max.block.ms} for it and then fails. The
 * producer reconnects by itself, so delivery resumes when the broker is back. {@link #close()} waits up to the close
 * timeout for outstanding records, then fails them.
 */
final class KafkaAlertSink implements AsyncAlertSink {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaAlertSink.class);

    private final Producer<byte[], byte[]> producer;
    private final AlertRecords records;
    private final KafkaSinkSettings settings;

    KafkaAlertSink(KafkaSinkSettings settings, Producer<byte[], byte[]> producer) {
        this.settings = settings;
        this.producer = producer;
        this.records = new AlertRecords(settings.topic(), settings.format(), settings.hostname());
    }

    /**
     * Fetches the topic's metadata on a short-lived daemon thread, so that the first alert does not wait for the
     * connection, the metadata and the idempotent producer's id (more than a second on a busy host). A broker that is
     * down makes this end after {@code max.block.ms}, quietly: the first alert then reports the failure.
     */
    void fetchMetadataInBackground() {
        Thread t = new Thread(() -> {
            try {
                producer.partitionsFor(settings.topic());
            } catch (RuntimeException e) {
                LOG.debug("kafka sink: no metadata for topic {} yet: {}", settings.topic(), e.toString());
            }
        }, "environ-guard-kafka-metadata");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void publish(Alert alert, DeliveryReceipt receipt) {
        producer.send(records.toRecord(alert), (metadata, error) -> {
            if (error == null) {
                receipt.delivered();
            } else {
                receipt.failed(error);
            }
        });
    }

    /** Sends one alert and waits for the broker's acknowledgement, at most {@code max.block.ms + delivery.timeout.ms}. */
    @Override
    public void publish(Alert alert) throws Exception {
        long bound = settings.maxBlockMillis() + settings.deliveryTimeoutMillis();
        try {
            producer.send(records.toRecord(alert)).get(bound, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    @Override
    public void close() {
        producer.close(settings.closeTimeout());
    }

    @Override
    public String toString() {
        return "KafkaAlertSink[" + settings.bootstrapServers() + " -> " + settings.topic() + "]";
    }
}
