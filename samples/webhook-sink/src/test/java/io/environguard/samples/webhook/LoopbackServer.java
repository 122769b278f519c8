package io.environguard.samples.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntUnaryOperator;

/**
 * A real HTTP server on 127.0.0.1 (port chosen by the kernel) that answers the n-th request (from 0) with the
 * status {@code script} gives for n, or never answers when it gives {@link #STALL}, until {@link #close}.
 */
final class LoopbackServer implements AutoCloseable {

    /** Hold the request without answering until the server closes. */
    static final int STALL = -1;

    /** One request as the server saw it. */
    record Request(String method, String contentType, String body) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final IntUnaryOperator script;
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Request> requests = new ArrayList<>();

    LoopbackServer(IntUnaryOperator script) throws IOException {
        this.script = script;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/hook", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** {@code http://127.0.0.1:PORT/hook} plus {@code suffix} (a query, say). */
    URI uri(String suffix) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook" + suffix);
    }

    private void handle(HttpExchange exchange) throws IOException {
        int n;
        try (InputStream in = exchange.getRequestBody()) {
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            synchronized (this) {
                n = requests.size();
                requests.add(new Request(exchange.getRequestMethod(),
                        exchange.getRequestHeaders().getFirst("Content-Type"), body));
                notifyAll();
            }
        }
        int status = script.applyAsInt(n);
        if (status == STALL) {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            status = 503;
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Waits until at least {@code n} requests arrived. */
    synchronized List<Request> awaitRequests(int n, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (requests.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("waited for " + n + " request(s), got " + requests.size());
            }
            wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        }
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
