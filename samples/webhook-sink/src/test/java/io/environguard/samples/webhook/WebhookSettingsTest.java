package io.environguard.samples.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.GuardConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSettingsTest {

    private static final String SECRET_URL = "https://alice:s3cret-pw@siem.example.com/hooks/T0K3N-PATH?token=s3cret-query";

    @Test
    void defaults() {
        WebhookSettings s = WebhookSettings.from(GuardConfig.of(Map.of(WebhookSinkProvider.URL, "http://127.0.0.1:8080/x")));
        assertEquals(WebhookSettings.DEFAULT_RETRIES, s.retries());
        assertEquals(WebhookSettings.DEFAULT_BACKOFF, s.backoff());
        assertEquals(WebhookSettings.DEFAULT_TIMEOUT, s.timeout());
    }

    @Test
    void readsEveryKey() {
        WebhookSettings s = WebhookSettings.from(GuardConfig.of(Map.of(
                WebhookSinkProvider.URL, " https://siem.example.com/h ",
                "ENVIRONGUARD_SINK_WEBHOOK_RETRIES", "7",
                WebhookSinkProvider.BACKOFF, "250ms",
                WebhookSinkProvider.TIMEOUT, "2s")));
        assertEquals(URI.create("https://siem.example.com/h"), s.url());
        assertEquals(7, s.retries());
        assertEquals(Duration.ofMillis(250), s.backoff());
        assertEquals(Duration.ofSeconds(2), s.timeout());
    }

    @Test
    void targetShowsSchemeHostAndPortOnly() {
        WebhookSettings s = WebhookSettings.from(GuardConfig.of(Map.of(WebhookSinkProvider.URL, SECRET_URL)));
        assertEquals("https://siem.example.com:443", s.target());
        assertFalse(s.toString().contains("s3cret"), s.toString());
        assertFalse(s.toString().contains("T0K3N"), s.toString());
        assertEquals("http://[::1]:80", new WebhookSettings(URI.create("http://[::1]/x"), 0, Duration.ZERO, Duration.ofSeconds(1)).target());
    }

    @Test
    void aMissingUrlSaysWhichKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WebhookSettings.from(GuardConfig.empty()));
        assertTrue(e.getMessage().contains(WebhookSinkProvider.URL), e.getMessage());
    }

    @Test
    void aBadUrlIsNeverEchoed() {
        for (String bad : new String[] {"ftp://host/s3cret", "not a url s3cret", "/relative/s3cret", "https:///s3cret", "http://[s3cret"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WebhookSettings.from(GuardConfig.of(Map.of(WebhookSinkProvider.URL, bad))), bad);
            assertTrue(e.getMessage().contains(WebhookSinkProvider.URL), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
            assertEquals(null, e.getCause(), "a cause would quote the value");
        }
    }

    @Test
    void outOfRangeValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> settings(WebhookSinkProvider.RETRIES, "-1"));
        assertThrows(IllegalArgumentException.class, () -> settings(WebhookSinkProvider.RETRIES, "21"));
        assertThrows(IllegalArgumentException.class, () -> settings(WebhookSinkProvider.TIMEOUT, "0s"));
        assertThrows(IllegalArgumentException.class, () -> settings(WebhookSinkProvider.BACKOFF, "soon"));
    }

    @Test
    void backoffDoublesUpToTheCap() {
        WebhookSettings s = new WebhookSettings(URI.create("http://h/"), 20, Duration.ofMillis(500), Duration.ofSeconds(1));
        assertEquals(Duration.ofMillis(500), s.backoffBeforeRetry(0));
        assertEquals(Duration.ofMillis(1000), s.backoffBeforeRetry(1));
        assertEquals(Duration.ofMillis(2000), s.backoffBeforeRetry(2));
        assertEquals(Duration.ofMillis(16000), s.backoffBeforeRetry(5));
        assertEquals(WebhookSettings.MAX_BACKOFF, s.backoffBeforeRetry(6));
        assertEquals(WebhookSettings.MAX_BACKOFF, s.backoffBeforeRetry(19));
        assertEquals(WebhookSettings.MAX_BACKOFF, s.backoffBeforeRetry(1000));
        assertEquals(Duration.ZERO, new WebhookSettings(URI.create("http://h/"), 3, Duration.ZERO, Duration.ofSeconds(1)).backoffBeforeRetry(2));
        WebhookSettings huge = new WebhookSettings(URI.create("http://h/"), 3, Duration.ofDays(365_000), Duration.ofSeconds(1));
        assertEquals(WebhookSettings.MAX_BACKOFF, huge.backoffBeforeRetry(30));
    }

    private static WebhookSettings settings(String key, String value) {
        return WebhookSettings.from(GuardConfig.of(Map.of(WebhookSinkProvider.URL, "http://127.0.0.1/x", key, value)));
    }
}
