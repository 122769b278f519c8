package io.environguard.sink.kafka;

import static io.environguard.sink.kafka.Alerts.awaitSinkStats;
import static io.environguard.sink.kafka.Alerts.memRead;
import static io.environguard.sink.kafka.Alerts.read;
import static io.environguard.sink.kafka.Alerts.total;
import static io.environguard.sink.kafka.LoopbackBroker.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.SinkStats;
import io.environguard.sink.AlertJson;
import io.environguard.sink.AlertOcsf;
import io.environguard.testkit.RecordingSink;
import io.environguard.testkit.ScriptedEventSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Kafka sink against a real KRaft broker on loopback, through the real pipeline (scripted source, policy,
 * dispatcher): what is consumed back is, field by field, what the guard's other sink received.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KafkaSinkTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOST = "test-host-1";

    private static LoopbackBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = LoopbackBroker.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static EnvironGuard.Builder guard(ScriptedEventSource source, RecordingSink recording, String topic,
                                              String bootstrap) {
        return EnvironGuard.builder()
                .set(EnvironGuard.SOURCE, ScriptedEventSource.NAME)
                .set("environguard.policy.sweep.threshold", "3")
                .set("environguard.policy.sweep.window", "60s")
                .set(KafkaSinkProvider.BOOTSTRAP_SERVERS, bootstrap)
                .set(KafkaSinkProvider.TOPIC, topic)
                .set(KafkaSinkProvider.HOSTNAME, HOST)
                .addSourceProvider(source)
                .addSink("recording", recording);
    }

    /** Single reads, a mem read, a sweep and a loss: each alert comes back as one record equal to its AlertJson line. */
    @Test
    void everyAlertComesBackAsOneRecordFieldByField() throws Exception {
        String topic = "alerts-jsonl";
        broker.createTopic(topic, 3);
        List<ScriptedEventSource.Step> script = List.of(
                ScriptedEventSource.Step.access(read(5001, 51)),
                ScriptedEventSource.Step.access(memRead(5002, 52)),
                ScriptedEventSource.Step.access(read(7000, 60)),
                ScriptedEventSource.Step.access(read(7000, 61)),
                ScriptedEventSource.Step.access(read(7000, 62)),
                ScriptedEventSource.Step.loss(new LossReport("queue_overflow", 17, "test")));
        ScriptedEventSource source = ScriptedEventSource.of(script);
        RecordingSink recording = new RecordingSink();
        EnvironGuard guard = guard(source, recording, topic, broker.bootstrapServers()).build().start();
        try {
            recording.awaitAlerts(6, WAIT);
            awaitSinkStats(guard, KafkaSinkProvider.NAME, s -> s.delivered() == 6, WAIT);
        } finally {
            guard.close();
        }
        // Closing may add alerts (the end of the sweep): every alert the other sink got was delivered to Kafka too.
        List<Alert> alerts = recording.alerts();
        SinkStats kafka = Alerts.sinkStats(guard, KafkaSinkProvider.NAME);
        assertEquals(alerts.size(), kafka.delivered(), kafka.toString());
        assertEquals(0, kafka.failed() + kafka.dropped() + kafka.undelivered(), kafka.toString());
        assertTrue(alerts.stream().anyMatch(a -> a.rule().equals(Rules.ENVIRON_SWEEP)), "a sweep: " + rules(alerts).toString());
        assertTrue(alerts.stream().anyMatch(a -> a.rule().equals(Rules.MEM_READ)), rules(alerts).toString());
        assertTrue(alerts.stream().anyMatch(a -> a.rule().equals(Rules.EVENTS_LOST)), rules(alerts).toString());

        List<ConsumerRecord<byte[], byte[]>> records = broker.consume(topic, alerts.size(), WAIT);
        assertEquals(alerts.size(), records.size(), "one record per alert, no duplicates");
        Map<String, ConsumerRecord<byte[], byte[]>> byValue = new HashMap<>();
        records.forEach(r -> byValue.put(text(r.value()), r));
        Map<String, Integer> partitionOfKey = new HashMap<>();
        for (Alert alert : alerts) {
            String line = AlertJson.toJson(alert);
            ConsumerRecord<byte[], byte[]> r = byValue.get(line);
            assertNotNull(r, "no record holds the alert's JSON line " + line);
            assertEquals(AlertRecords.key(HOST, alert), text(r.key()));
            assertEquals(alert.time().toEpochMilli(), r.timestamp());
            assertEquals(alert.rule(), header(r, "environguard.rule"));
            assertEquals(alert.severity().id(), header(r, "environguard.severity"));
            assertEquals("jsonl", header(r, "environguard.format"));
            assertEquals("application/json", header(r, "content-type"));
            JsonNode json = JSON.readTree(r.value());
            assertEquals(alert.rule(), json.get("rule").asText());
            assertEquals(alert.severity().id(), json.get("severity").asText());
            assertEquals(alert.time().toString(), json.get("time").asText());
            if (alert.hasAccess()) {
                EnvironAccess a = alert.access();
                ProcessInfo reader = a.reader();
                assertEquals(HOST + "/" + reader.pid() + ":" + reader.startTime(), text(r.key()));
                assertEquals(a.path(), json.get("path").asText());
                assertEquals(reader.pid(), json.get("reader").get("pid").asInt());
                assertEquals(reader.exe(), json.get("reader").get("exe").asText());
                assertEquals(a.target().pid(), json.get("target").get("pid").asInt());
                assertEquals(a.target().containerId(), json.get("target").get("container").asText());
                assertEquals(alert.mitre().techniqueId(), json.get("mitre").get("technique").asText());
            } else {
                assertEquals(HOST, text(r.key()), "a loss has no reader: keyed by host");
                assertEquals(17, json.get("lost").get("queue_overflow").asInt());
            }
            // One key, one partition: a reader's alerts stay in order.
            Integer earlier = partitionOfKey.putIfAbsent(text(r.key()), r.partition());
            assertTrue(earlier == null || earlier == r.partition(), "key " + text(r.key()) + " spread over partitions");
        }
        long ofSweeper = alerts.stream().filter(a -> a.hasAccess() && a.blamed().pid() == 7000).count();
        List<Long> offsetsOfSweeper = records.stream().filter(r -> text(r.key()).equals(HOST + "/7000:70000"))
                .map(ConsumerRecord::offset).toList();
        assertTrue(ofSweeper >= 3, "reader 7000: two reads and the sweep, at least: " + rules(alerts));
        assertEquals(ofSweeper, offsetsOfSweeper.size(), "all of reader 7000's alerts under its key");
    }

    @Test
    void theOcsfFormatWritesTheAlertsOcsfEvent() throws Exception {
        String topic = "alerts-ocsf";
        broker.createTopic(topic, 1);
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(read(5101, 151), read(5102, 152)));
        RecordingSink recording = new RecordingSink();
        List<Alert> alerts;
        try (EnvironGuard guard = guard(source, recording, topic, broker.bootstrapServers())
                .set(KafkaSinkProvider.FORMAT, "ocsf").build().start()) {
            alerts = recording.awaitAlerts(2, WAIT);
            awaitSinkStats(guard, KafkaSinkProvider.NAME, s -> s.delivered() == 2, WAIT);
        }
        List<ConsumerRecord<byte[], byte[]>> records = broker.consume(topic, 2, WAIT);
        assertEquals(2, records.size());
        AlertOcsf ocsf = new AlertOcsf(HOST, AlertOcsf.class.getPackage().getImplementationVersion());
        Set<String> values = new HashSet<>();
        records.forEach(r -> values.add(text(r.value())));
        for (Alert alert : alerts) {
            assertTrue(values.contains(ocsf.toJson(alert)), "no record holds the alert's OCSF event");
        }
        for (ConsumerRecord<byte[], byte[]> r : records) {
            assertEquals("ocsf", header(r, "environguard.format"));
            JsonNode json = JSON.readTree(r.value());
            assertEquals(1001, json.get("class_uid").asInt());
            assertEquals(HOST, json.get("device").get("hostname").asText());
        }
    }

    /**
     * The broker stops while alerts keep coming, then returns. The other sink gets every alert on time; the Kafka
     * sink counts each alert exactly once, and every alert it did not count as failed (or dropped) is in the topic.
     */
    @Test
    void aBrokerStoppedMidStreamLosesNothingUncountedAndDelaysNoOtherSink() throws Exception {
        String topic = "alerts-restart";
        broker.createTopic(topic, 2);
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RecordingSink recording = new RecordingSink();
        int before = 20;
        int whileDown = 20;
        int after = 20;
        int n = before + whileDown + after;
        SinkStats last;
        try (EnvironGuard guard = guard(source, recording, topic, broker.bootstrapServers())
                .set(KafkaSinkProvider.PRODUCER_PREFIX + "max.block.ms", "1000")
                .set(KafkaSinkProvider.PRODUCER_PREFIX + "delivery.timeout.ms", "20000")
                .set(KafkaSinkProvider.PRODUCER_PREFIX + "request.timeout.ms", "2000")
                .set(KafkaSinkProvider.PRODUCER_PREFIX + "linger.ms", "0")
                .set(KafkaSinkProvider.CLOSE_TIMEOUT, "5s")
                .set(EnvironGuard.CLOSE_TIMEOUT, "10s")
                .build().start()) {
            for (int i = 0; i < before; i++) {
                source.emit(read(10_000 + i, 100 + i));
            }
            awaitSinkStats(guard, KafkaSinkProvider.NAME, s -> s.delivered() == before, WAIT);

            broker.stopBroker();
            try {
                for (int i = before; i < before + whileDown; i++) {
                    source.emit(read(10_000 + i, 100 + i));
                }
                // The other sink is not held back by a broker that is down.
                recording.awaitAlerts(before + whileDown, Duration.ofSeconds(10));
            } finally {
                broker.restartBroker();
            }
            for (int i = before + whileDown; i < n; i++) {
                source.emit(read(10_000 + i, 100 + i));
            }
            recording.awaitAlerts(n, WAIT);
            last = awaitSinkStats(guard, KafkaSinkProvider.NAME, s -> s.delivered() + s.failed() + s.dropped() == n, WAIT);
        }
        assertEquals(n, total(last), "every alert in exactly one counter: " + last);
        Set<Integer> inTopic = new HashSet<>();
        List<ConsumerRecord<byte[], byte[]>> records = broker.consume(topic, (int) last.delivered(), WAIT);
        for (ConsumerRecord<byte[], byte[]> r : records) {
            int pid = JSON.readTree(r.value()).get("reader").get("pid").asInt();
            assertTrue(inTopic.add(pid), "reader " + pid + " twice in the topic: idempotence should prevent it");
        }
        assertTrue(inTopic.size() >= last.delivered(), "every delivered alert is in the topic: " + inTopic.size() + " vs " + last);
        assertTrue(inTopic.size() <= n - last.dropped(), last.toString());
        long missing = n - inTopic.size();
        assertTrue(missing <= last.failed() + last.dropped(),
                missing + " alerts are missing from the topic but only " + last + " were counted as not delivered");
        // Before the stop and after the restart, every alert is delivered. While the broker is down, the producer
        // has no metadata for the topic: each send waits max.block.ms and fails, counted (or waits in the queue).
        for (int i = 0; i < before; i++) {
            assertTrue(inTopic.contains(10_000 + i), "alert " + i + " (before the stop) is missing");
        }
        for (int i = before + whileDown; i < n; i++) {
            assertTrue(inTopic.contains(10_000 + i), "alert " + i + " (after the restart) is missing: delivery resumed");
        }
    }

    /** A broker that is down when the guard starts: the guard starts, the other sink works, and Kafka catches up. */
    @Test
    void aBrokerDownAtStartDoesNotStopTheGuardAndDeliveryResumes() throws Exception {
        String topic = "alerts-late";
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RecordingSink recording = new RecordingSink();
        broker.stopBroker();
        boolean restarted = false;
        try (EnvironGuard guard = guard(source, recording, topic, broker.bootstrapServers())
                .set(KafkaSinkProvider.PRODUCER_PREFIX + "max.block.ms", "500")
                .build().start()) {
            source.emit(read(20_001, 201));
            recording.awaitAlerts(1, WAIT);
            // No broker: send cannot get the topic's metadata within max.block.ms, and the alert fails.
            SinkStats down = awaitSinkStats(guard, KafkaSinkProvider.NAME, s -> s.failed() == 1, WAIT);
            assertEquals(0, down.delivered(), down.toString());

            broker.restartBroker();
            restarted = true;
            // The broker creates the topic on first use: the first sends may still fail while it appears.
            long deadline = System.nanoTime() + WAIT.toNanos();
            int pid = 20_002;
            while (Alerts.sinkStats(guard, KafkaSinkProvider.NAME).delivered() == 0 && System.nanoTime() < deadline) {
                source.emit(read(pid++, 202));
                Thread.sleep(200);
            }
            SinkStats up = awaitSinkStats(guard, KafkaSinkProvider.NAME, s -> s.delivered() >= 1, WAIT);
            assertTrue(up.delivered() >= 1, up.toString());
            List<Alert> all = recording.awaitAlerts(pid - 20_001, WAIT);
            assertEquals(pid - 20_001, all.size(), "the other sink got every alert");
        } finally {
            if (!restarted) {
                broker.restartBroker();
            }
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static List<String> rules(List<Alert> alerts) {
        List<String> out = new ArrayList<>();
        alerts.forEach(a -> out.add(a.rule()));
        return out;
    }
}
