package io.environguard.sink.kafka;

import io.environguard.api.Alert;
import io.environguard.api.ProcessInfo;
import io.environguard.sink.AlertJson;
import io.environguard.sink.AlertOcsf;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Turns an alert into one Kafka record: the value is the alert in the configured format, the key keeps one
 * actor's alerts in one partition (so in order), and headers carry what a consumer routes on without parsing.
 *
 * <p>Key: {@code <host>/<pid>:<start time>} of the process the alert blames ({@link Alert#blamed()}: the reader, or
 * the parent of a family sweep), so that pid reuse starts a new key; {@code <host>} alone for lost-events alerts
 * and for readers the source could not identify. Headers: {@value #RULE_HEADER}, {@value #SEVERITY_HEADER},
 * {@value #FORMAT_HEADER} and {@code content-type: application/json}. The record's timestamp is the alert's time.
 */
final class AlertRecords {

    static final String RULE_HEADER = "environguard.rule";
    static final String SEVERITY_HEADER = "environguard.severity";
    static final String FORMAT_HEADER = "environguard.format";
    static final String CONTENT_TYPE_HEADER = "content-type";
    private static final byte[] JSON = "application/json".getBytes(StandardCharsets.US_ASCII);

    private final String topic;
    private final KafkaFormat format;
    private final String hostname;
    private final AlertOcsf ocsf;
    private final byte[] formatId;

    AlertRecords(String topic, KafkaFormat format, String hostname) {
        this.topic = topic;
        this.format = format;
        this.hostname = hostname;
        this.ocsf = new AlertOcsf(hostname, AlertOcsf.class.getPackage().getImplementationVersion());
        this.formatId = format.id().getBytes(StandardCharsets.US_ASCII);
    }

    ProducerRecord<byte[], byte[]> toRecord(Alert alert) {
        String value = format == KafkaFormat.OCSF ? ocsf.toJson(alert) : AlertJson.toJson(alert);
        List<Header> headers = List.of(
                new RecordHeader(RULE_HEADER, alert.rule().getBytes(StandardCharsets.UTF_8)),
                new RecordHeader(SEVERITY_HEADER, alert.severity().id().getBytes(StandardCharsets.US_ASCII)),
                new RecordHeader(FORMAT_HEADER, formatId),
                new RecordHeader(CONTENT_TYPE_HEADER, JSON));
        return new ProducerRecord<>(topic, null, alert.time().toEpochMilli(),
                key(hostname, alert).getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** {@code host/pid:start} of the blamed process, or {@code host} when there is none (lost events) or it is unknown. */
    static String key(String hostname, Alert alert) {
        ProcessInfo blamed = alert.blamed();
        if (blamed == null || !blamed.isKnown()) {
            return hostname;
        }
        return hostname + "/" + blamed.pid() + ":" + blamed.startTime();
    }
}
