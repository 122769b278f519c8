package io.environguard.samples.webhook;

import io.environguard.api.Alert;
import io.environguard.sink.AlertJson;
import io.environguard.spi.AlertSink;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs each alert as one JSON object ({@link AlertJson}, {@code Content-Type: application/json}) and
 * returns once the server answered 2xx.
 *
 * <p>An attempt fails on an I/O error, on no complete response within the timeout, or on a status other than
 * 2xx. Connection errors, timeouts, 408, 425, 429 and 5xx are retried after {@code backoff}, {@code 2 * backoff},
 * {@code 4 * backoff}... (capped at 30 s) up to {@code retries} times; any other status (a 3xx, since
 * redirects are not followed, or a 4xx such as 401) will not get better by repeating the request and fails at
 * once. When an alert finally fails, {@link #publish} throws, and the guard counts it as {@code failed} for this
 * sink. Waits and attempts happen on this sink's own dispatcher thread, so a slow or stalled server delays only
 * this sink's alerts: the others are delivered by their own threads meanwhile. Each attempt is bounded by the
 * timeout as a whole (connect, headers and body), not only until the first byte.
 *
 * <p>Logs and exception messages show the URL as {@code scheme://host:port} only, never its path, query or user
 * info, which commonly hold the webhook's token.
 */
final class WebhookSink implements AlertSink {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookSink.class);

    private final WebhookSettings settings;
    private final String target;
    private final ExecutorService executor;
    private final HttpClient client;

    WebhookSink(WebhookSettings settings) {
        this.settings = settings;
        this.target = settings.target();
        // Our own executor, so that close() can stop the client's threads (HttpClient.close() is Java 21+).
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "environ-guard-webhook-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .executor(executor)
                .build();
    }

    @Override
    public void publish(Alert alert) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(settings.url())
                .timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("User-Agent", "environ-guard-webhook-sink")
                .POST(HttpRequest.BodyPublishers.ofByteArray(AlertJson.toJson(alert).getBytes(StandardCharsets.UTF_8)))
                .build();
        int attempts = settings.retries() + 1;
        for (int attempt = 1; ; attempt++) {
            Outcome outcome = attempt(request);
            if (outcome.delivered()) {
                return;
            }
            if (!outcome.retryable() || attempt == attempts) {
                throw new IOException("webhook " + target + ": gave up on a " + alert.rule() + " alert after "
                        + attempt + " attempt(s); last: " + outcome.detail()
                        + (outcome.retryable() ? "" : " (not retried)"));
            }
            Duration wait = settings.backoffBeforeRetry(attempt - 1);
            LOG.debug("webhook {}: attempt {} of {} failed ({}); retrying in {} ms",
                    target, attempt, attempts, outcome.detail(), wait.toMillis());
            TimeUnit.NANOSECONDS.sleep(wait.toNanos());
        }
    }

    /** One request, bounded by the timeout from start to the end of the response body. */
    private Outcome attempt(HttpRequest request) throws InterruptedException {
        CompletableFuture<HttpResponse<Void>> response = client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
        try {
            int status = response.get(settings.timeout().toNanos(), TimeUnit.NANOSECONDS).statusCode();
            if (status >= 200 && status < 300) {
                return new Outcome(true, false, "HTTP " + status);
            }
            boolean retryable = status == 408 || status == 425 || status == 429 || status >= 500;
            return new Outcome(false, retryable, "HTTP " + status);
        } catch (TimeoutException e) {
            // Since Java 16, cancelling the future aborts the exchange and frees the connection.
            response.cancel(true);
            return new Outcome(false, true, "no complete response within " + settings.timeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof HttpTimeoutException) {
                return new Outcome(false, true, "no response within " + settings.timeout().toMillis() + " ms");
            }
            return new Outcome(false, true, cause.getClass().getSimpleName() + scrubbed(cause.getMessage()));
        } catch (InterruptedException e) {
            response.cancel(true);
            throw e;
        }
    }

    /** A JDK message, with any part of the URL beyond scheme, host and port cut out; {@code ""} when there is none. */
    private String scrubbed(String message) {
        if (message == null || message.isBlank()) {
            return "";
        }
        String out = message;
        for (String secret : new String[] {settings.url().toString(), settings.url().getRawQuery(),
                settings.url().getRawUserInfo(), settings.url().getRawPath(), settings.url().getRawFragment()}) {
            if (secret != null && secret.length() > 1) {
                out = out.replace(secret, "...");
            }
        }
        return ": " + out;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "WebhookSink[" + target + "]";
    }

    /** The result of one attempt. */
    private record Outcome(boolean delivered, boolean retryable, String detail) {
    }
}
