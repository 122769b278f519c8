package io.environguard.samples.webhook;

import io.environguard.api.GuardConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The webhook sink's configuration, read from the keys of {@link WebhookSinkProvider}.
 *
 * <pre>{@code
 * WebhookSettings s = WebhookSettings.from(GuardConfig.of(Map.of(
 *         "environguard.sink.webhook.url", "https://siem.example.com/hooks/environ-guard",
 *         "environguard.sink.webhook.retries", "5")));
 * }</pre>
 *
 * @param url     where each alert is POSTed; may hold credentials, so it is never logged whole (see {@link #target()})
 * @param retries further attempts after a failed first one (0 = try once)
 * @param backoff the wait before the first retry; each later retry waits twice as long, up to {@link #MAX_BACKOFF}
 * @param timeout the bound of one attempt, from connecting to the end of the response
 */
public record WebhookSettings(URI url, int retries, Duration backoff, Duration timeout) {

    public static final int DEFAULT_RETRIES = 3;
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(500);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** No single wait between retries is longer than this. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** More retries than this would hold one alert for many minutes and starve the queue behind it. */
    public static final int MAX_RETRIES = 20;

    public WebhookSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(timeout, "timeout");
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw new IllegalArgumentException(WebhookSinkProvider.URL + ": expected an absolute http or https URL"
                    + " with a host (the value is not repeated here, as it may hold a secret)");
        }
        if (retries < 0 || retries > MAX_RETRIES) {
            throw new IllegalArgumentException(WebhookSinkProvider.RETRIES + ": expected 0 to " + MAX_RETRIES);
        }
        if (backoff.isNegative()) {
            throw new IllegalArgumentException(WebhookSinkProvider.BACKOFF + ": expected a duration of 0 or more");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(WebhookSinkProvider.TIMEOUT + ": expected a positive duration");
        }
    }

    /** Reads the settings; throws {@link IllegalArgumentException} naming the key (never the value) when one is wrong. */
    public static WebhookSettings from(GuardConfig config) {
        String raw = config.get(WebhookSinkProvider.URL).map(String::trim).orElse("");
        if (raw.isEmpty()) {
            throw new IllegalArgumentException(WebhookSinkProvider.URL + " is not set; the webhook sink needs the URL to POST alerts to");
        }
        URI url;
        try {
            url = new URI(raw);
        } catch (URISyntaxException e) {
            // The exception's message quotes the input, which may hold a token: it is not chained.
            throw new IllegalArgumentException(WebhookSinkProvider.URL + ": not a valid URL (the value is not repeated here,"
                    + " as it may hold a secret)");
        }
        return new WebhookSettings(url,
                config.getInt(WebhookSinkProvider.RETRIES, DEFAULT_RETRIES),
                config.getDuration(WebhookSinkProvider.BACKOFF, DEFAULT_BACKOFF),
                config.getDuration(WebhookSinkProvider.TIMEOUT, DEFAULT_TIMEOUT));
    }

    /**
     * Scheme, host and port only, e.g. {@code https://siem.example.com:443}: what logs and errors show of the URL.
     * The path, the query and any user info are left out, since webhook URLs often carry their token there.
     */
    public String target() {
        int port = url.getPort() >= 0 ? url.getPort() : ("https".equalsIgnoreCase(url.getScheme()) ? 443 : 80);
        String host = url.getHost();
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return url.getScheme().toLowerCase(Locale.ROOT) + "://" + host + ":" + port;
    }

    /** The wait before retry number {@code retry} (0 for the first retry): {@code backoff * 2^retry}, capped at {@link #MAX_BACKOFF}. */
    public Duration backoffBeforeRetry(int retry) {
        if (retry < 0) {
            throw new IllegalArgumentException("retry must be 0 or more");
        }
        if (backoff.isZero()) {
            return Duration.ZERO;
        }
        // Doubling past 2^31 overflows long nanos long before; anything that large is capped anyway.
        if (retry >= 31) {
            return MAX_BACKOFF;
        }
        Duration d;
        try {
            d = backoff.multipliedBy(1L << retry);
        } catch (ArithmeticException e) {
            return MAX_BACKOFF;
        }
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    @Override
    public String toString() {
        return "WebhookSettings[target=" + target() + ", retries=" + retries + ", backoff=" + backoff + ", timeout=" + timeout + "]";
    }
}
