package io.environguard.samples.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.environguard.EnvironGuard;
import io.environguard.micrometer.EnvironGuardMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host monitor's HTTP endpoint, on the JDK's own server ({@code com.sun.net.httpserver}, module
 * {@code jdk.httpserver}): {@code GET /metrics} is the Prometheus text of the guard's meters
 * ({@link EnvironGuardMetrics}) and the JVM's (memory, GC, threads, CPU, file descriptors, uptime), through
 * {@code micrometer-registry-prometheus}; {@code GET /healthz} is 200 {@code watching with source NAME} while
 * the guard watches, and 503 {@code not watching: REASON} once it is closed or its source failed
 * ({@link EnvironGuard#failure()}). Two daemon threads serve requests; nothing a client sends reaches the guard.
 *
 * <pre>{@code
 * try (MetricsServer server = MetricsServer.start(guard, MetricsAddress.parse("127.0.0.1:9464"))) {
 *     System.err.println("serving on " + server.address());
 * }
 * }</pre>
 */
final class MetricsServer implements AutoCloseable {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String PLAIN = "text/plain; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final EnvironGuardMetrics guardMetrics;
    private final JvmGcMetrics gcMetrics;

    private MetricsServer(HttpServer server, ExecutorService executor, EnvironGuardMetrics guardMetrics, JvmGcMetrics gc) {
        this.server = server;
        this.executor = executor;
        this.guardMetrics = guardMetrics;
        this.gcMetrics = gc;
    }

    /**
     * Binds {@code address} and serves until {@link #close()}.
     *
     * @throws IOException when the address cannot be bound (in use, not an address of this host)
     */
    static MetricsServer start(EnvironGuard guard, MetricsAddress address) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        EnvironGuardMetrics guardMetrics = new EnvironGuardMetrics(guard);
        guardMetrics.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);

        HttpServer server;
        try {
            server = HttpServer.create(address.socketAddress(), 16);
        } catch (IOException | RuntimeException e) {
            guardMetrics.close();
            gc.close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "environ-guard-cli-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> respond(exchange, () -> new Reply(200, PROMETHEUS_TEXT, registry.scrape())));
        server.createContext("/healthz", exchange -> respond(exchange, () -> health(guard)));
        server.createContext("/", exchange -> respond(exchange, () -> new Reply(404, PLAIN, "not found: try /metrics or /healthz\n")));
        server.start();
        return new MetricsServer(server, executor, guardMetrics, gc);
    }

    /** 200 while the guard watches, 503 with the reason once it does not. */
    static Reply health(EnvironGuard guard) {
        Optional<String> failure = guard.failure();
        if (failure.isEmpty()) {
            return new Reply(200, PLAIN, "watching with source " + guard.sourceName() + "\n");
        }
        return new Reply(503, PLAIN, "not watching: " + HostMonitor.oneLine(failure.get()) + "\n");
    }

    /** The address it listens on (with the port chosen, when 0 was asked for). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        guardMetrics.close();
        gcMetrics.close();
    }

    record Reply(int status, String contentType, String body) {
    }

    private static void respond(HttpExchange exchange, java.util.function.Supplier<Reply> reply) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            Reply r;
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                r = new Reply(405, PLAIN, "only GET and HEAD\n");
            } else {
                try {
                    r = reply.get();
                } catch (RuntimeException e) {
                    r = new Reply(500, PLAIN, "error: " + e.getClass().getSimpleName() + "\n");
                }
            }
            byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", r.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(r.status(), -1);
                return;
            }
            exchange.sendResponseHeaders(r.status(), body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
