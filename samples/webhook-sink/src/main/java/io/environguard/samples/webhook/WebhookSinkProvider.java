package io.environguard.samples.webhook;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import java.util.List;

/**
 * The {@code webhook} sink: POSTs each alert, as the one-line JSON of
 * {@link io.environguard.sink.AlertJson}, to a URL, with bounded retries and exponential back-off.
 *
 * <p>A sample of a third-party sink plugin: it is registered in
 * {@code META-INF/services/io.environguard.spi.AlertSinkProvider}, so putting this jar on the classpath is
 * all it takes. It runs whenever {@value #URL} is set (and {@code environguard.sinks} is not), or when
 * {@code environguard.sinks} names {@code webhook}.
 *
 * <pre>{@code
 * EnvironGuard guard = EnvironGuard.builder()
 *         .set("environguard.sink.webhook.url", "https://siem.example.com/hooks/environ-guard")
 *         .set("environguard.sink.webhook.retries", "5")
 *         .build().start();
 * }</pre>
 *
 * <p>Keys: {@value #URL} (required), {@value #RETRIES} (default 3), {@value #BACKOFF} (default 500ms, doubled
 * per retry, at most 30s), {@value #TIMEOUT} (default 5s, per attempt). See {@link WebhookSink} for what is
 * retried.
 */
public final class WebhookSinkProvider implements AlertSinkProvider {

    /** The sink's name, for {@code environguard.sinks}. */
    public static final String NAME = "webhook";
    /** The http or https URL to POST to. It may carry a token: only its scheme, host and port are ever logged. */
    public static final String URL = "environguard.sink.webhook.url";
    /** Attempts after a failed first one. */
    public static final String RETRIES = "environguard.sink.webhook.retries";
    /** The wait before the first retry; doubled for each further retry. */
    public static final String BACKOFF = "environguard.sink.webhook.backoff";
    /** The bound of one attempt, from connecting to the end of the response. */
    public static final String TIMEOUT = "environguard.sink.webhook.timeout";

    /** Public and cheap, for {@link java.util.ServiceLoader}. */
    public WebhookSinkProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AlertSink create(GuardConfig config) {
        return new WebhookSink(WebhookSettings.from(config));
    }

    /** The keys, declared so that a misspelt one is warned about; the URL is secret (it often holds a token). */
    @Override
    public List<ConfigKey> keys() {
        return List.of(
                ConfigKey.secret(URL, "http or https URL to POST to (required); only scheme://host:port is ever logged"),
                ConfigKey.of(RETRIES, "3", "attempts after a failed first one (0-20)"),
                ConfigKey.of(BACKOFF, "500ms", "wait before the first retry; doubled for each further retry, at most 30s"),
                ConfigKey.of(TIMEOUT, "5s", "bound of one attempt, from connecting to the end of the response"));
    }

    /** On when a URL is configured: setting the URL is how a user asks for the webhook. */
    @Override
    public boolean enabledByDefault(GuardConfig config) {
        return config.get(URL).map(v -> !v.isBlank()).orElse(false);
    }
}
