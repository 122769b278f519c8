package io.environguard.samples.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.api.SinkStats;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.testkit.RecordingSink;
import io.environguard.testkit.ScriptedEventSource;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class WebhookSinkTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void postsTheAlertAsJson() throws Exception {
        try (LoopbackServer server = new LoopbackServer(n -> 204);
             WebhookSink sink = sink(server.uri(""), 0, Duration.ofSeconds(10))) {
            sink.publish(alert(4242, 42));
            List<LoopbackServer.Request> requests = server.requests();
            assertEquals(1, requests.size());
            assertEquals("POST", requests.get(0).method());
            assertEquals("application/json", requests.get(0).contentType());
            JsonNode body = JSON.readTree(requests.get(0).body());
            assertEquals(Rules.ENVIRON_READ, body.get("rule").asText());
            assertEquals("high", body.get("severity").asText());
            assertEquals(4242, body.get("reader").get("pid").asInt());
            assertEquals(42, body.get("target").get("pid").asInt());
        }
    }

    @Test
    void aServerErrorIsRetriedAndTheRetrySucceeds() throws Exception {
        try (LoopbackServer server = new LoopbackServer(n -> n == 0 ? 500 : 200);
             WebhookSink sink = sink(server.uri(""), 3, Duration.ofSeconds(10))) {
            sink.publish(alert(4242, 42));
            List<LoopbackServer.Request> requests = server.requests();
            assertEquals(2, requests.size(), "one failure, one retry, then no more");
            assertEquals(requests.get(0).body(), requests.get(1).body());
        }
    }

    @Test
    void aClientErrorIsNotRetried() throws Exception {
        try (LoopbackServer server = new LoopbackServer(n -> 401);
             WebhookSink sink = sink(server.uri(""), 3, Duration.ofSeconds(10))) {
            IOException e = assertThrows(IOException.class, () -> sink.publish(alert(4242, 42)));
            assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
            assertTrue(e.getMessage().contains("not retried"), e.getMessage());
            assertEquals(1, server.requests().size());
        }
    }

    @Test
    void aStalledServerTimesOutAndTheMessageHoldsNoSecret() throws Exception {
        try (LoopbackServer server = new LoopbackServer(n -> LoopbackServer.STALL);
             WebhookSink sink = sink(server.uri("/T0K3N?token=s3cret-query"), 1, Duration.ofMillis(300))) {
            IOException e = assertThrows(IOException.class, () -> sink.publish(alert(4242, 42)));
            assertTrue(e.getMessage().contains("gave up"), e.getMessage());
            assertTrue(e.getMessage().contains("response within 300 ms"), e.getMessage());
            assertTrue(e.getMessage().contains("after 2 attempt(s)"), e.getMessage());
            assertNoSecret(e);
            assertEquals(2, server.requests().size());
        }
    }

    @Test
    void aRefusedConnectionIsReportedWithoutTheUrl() throws Exception {
        URI closed;
        try (LoopbackServer server = new LoopbackServer(n -> 200)) {
            closed = server.uri("/T0K3N?token=s3cret-query");
        }
        // The port was just released: nothing listens there now (another process could take it, and answer, but
        // then the assertions on the message still hold or the test fails loudly rather than passing wrongly).
        try (WebhookSink sink = sink(closed, 0, Duration.ofSeconds(5))) {
            IOException e = assertThrows(IOException.class, () -> sink.publish(alert(4242, 42)));
            assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
            assertNoSecret(e);
        }
    }

    @Test
    void isFoundThroughServiceLoaderAndEnabledByItsUrl() {
        List<String> names = new ArrayList<>();
        AlertSinkProvider webhook = null;
        for (AlertSinkProvider p : ServiceLoader.load(AlertSinkProvider.class)) {
            names.add(p.name());
            if (p.name().equals(WebhookSinkProvider.NAME)) {
                webhook = p;
            }
        }
        assertTrue(names.contains(WebhookSinkProvider.NAME), names.toString());
        assertFalse(webhook.enabledByDefault(io.environguard.api.GuardConfig.empty()));
        assertFalse(webhook.enabledByDefault(io.environguard.api.GuardConfig.of(java.util.Map.of(WebhookSinkProvider.URL, " "))));
        assertTrue(webhook.enabledByDefault(io.environguard.api.GuardConfig.of(java.util.Map.of(WebhookSinkProvider.URL, "http://127.0.0.1/x"))));
    }

    @Test
    void alwaysFailingGivesUpAfterTheRetriesAndCountsOneFailure() throws Exception {
        try (LoopbackServer server = new LoopbackServer(n -> 503)) {
            ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(access(4242, 42)));
            RecordingSink recording = new RecordingSink();
            try (EnvironGuard guard = EnvironGuard.builder()
                    .set(WebhookSinkProvider.URL, server.uri("").toString())
                    .set(WebhookSinkProvider.RETRIES, "2")
                    .set(WebhookSinkProvider.BACKOFF, "10ms")
                    .addSourceProvider(source)
                    .addSink("recording", recording)
                    .build().start()) {
                recording.awaitAlerts(1, WAIT);
                SinkStats webhook = awaitSinkStats(guard, s -> s.failed() + s.delivered() >= 1);
                assertEquals(1, webhook.failed());
                assertEquals(0, webhook.delivered());
                assertEquals(3, server.requests().size(), "the first attempt and 2 retries");
            }
        }
    }

    @Test
    void aStalledServerDoesNotHoldBackTheOtherSinks() throws Exception {
        try (LoopbackServer server = new LoopbackServer(n -> LoopbackServer.STALL)) {
            ScriptedEventSource source = ScriptedEventSource.of(List.of());
            RecordingSink recording = new RecordingSink();
            try (EnvironGuard guard = EnvironGuard.builder()
                    .set(WebhookSinkProvider.URL, server.uri("").toString())
                    .set(WebhookSinkProvider.RETRIES, "0")
                    .set(WebhookSinkProvider.TIMEOUT, "2s")
                    .set(EnvironGuard.CLOSE_TIMEOUT, "100ms")
                    .addSourceProvider(source)
                    .addSink("recording", recording)
                    .build().start()) {
                source.emit(access(5001, 51));
                // The webhook's first request is now held by the server, unanswered.
                server.awaitRequests(1, WAIT);
                for (int i = 2; i <= 5; i++) {
                    source.emit(access(5000 + i, 50 + i));
                }
                List<Alert> got = recording.awaitAlerts(5, WAIT);
                assertEquals(5, got.size());
                SinkStats webhook = sinkStats(guard);
                assertEquals(0, webhook.delivered(), "the server has not answered yet: " + webhook);
                assertEquals(1, server.requests().size(), "the webhook still waits for its first answer");
                // The timeout then frees the webhook's thread: each alert fails on its own, none is stuck for good.
                SinkStats after = awaitSinkStats(guard, s -> s.failed() >= 2);
                assertTrue(after.failed() >= 2, after.toString());
            }
        }
    }

    private interface StatsCondition {
        boolean test(SinkStats s);
    }

    private static SinkStats awaitSinkStats(EnvironGuard guard, StatsCondition condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            SinkStats s = sinkStats(guard);
            if (condition.test(s)) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("webhook sink stats never matched: " + s);
            }
            Thread.sleep(10);
        }
    }

    private static SinkStats sinkStats(EnvironGuard guard) {
        return guard.stats().sinks().stream().filter(s -> s.sink().equals(WebhookSinkProvider.NAME)).findFirst()
                .orElseThrow(() -> new AssertionError("no webhook sink in " + guard.stats().sinks()));
    }

    private static void assertNoSecret(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String s = String.valueOf(t);
            assertFalse(s.contains("s3cret"), s);
            assertFalse(s.contains("T0K3N"), s);
        }
    }

    private static WebhookSink sink(URI uri, int retries, Duration timeout) {
        return new WebhookSink(new WebhookSettings(uri, retries, Duration.ofMillis(10), timeout));
    }

    static EnvironAccess access(int readerPid, int targetPid) {
        return EnvironAccess.builder()
                .source(ScriptedEventSource.NAME)
                .path("/proc/" + targetPid + "/environ")
                .alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(readerPid).ppid(1).uid(1000).comm("cat").exe("/usr/bin/cat")
                        .cmdline(List.of("cat", "/proc/" + targetPid + "/environ")).build())
                .target(ProcessInfo.builder(targetPid).uid(1000).comm("sleep").exe("/usr/bin/sleep").build())
                .build();
    }

    private static Alert alert(int readerPid, int targetPid) {
        return Alert.of(access(readerPid, targetPid), Rules.ENVIRON_READ, Severity.HIGH,
                Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("no allow rule matches"));
    }
}
