package io.environguard.sink.otel;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntUnaryOperator;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP logs receiver on loopback, as an OpenTelemetry Collector's {@code /v1/logs} endpoint: it decodes each
 * request with the OTLP protobuf classes and answers what the test scripts, by request number: a status code, or
 * {@link #HANG} (no answer until the receiver closes).
 */
final class OtlpReceiver implements AutoCloseable {

    /** Answer nothing: the request hangs until the receiver is closed. */
    static final int HANG = -1;

    private final HttpServer server;
    private final ExecutorService executor;
    private final IntUnaryOperator statusForRequest;
    private final List<ExportLogsServiceRequest> requests = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    OtlpReceiver(IntUnaryOperator statusForRequest) throws IOException {
        this.statusForRequest = statusForRequest;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "otlp-receiver");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/v1/logs", this::handle);
        server.start();
    }

    /** The base URL, for {@code otel.exporter.otlp.endpoint}. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        int n;
        ExportLogsServiceRequest request;
        try (InputStream raw = exchange.getRequestBody();
             InputStream body = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                     ? new GZIPInputStream(raw) : raw) {
            request = ExportLogsServiceRequest.parseFrom(body);
        }
        synchronized (this) {
            n = requests.size();
            requests.add(request);
            notifyAll();
        }
        int status = statusForRequest.applyAsInt(n);
        if (status == HANG) {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
            return;
        }
        byte[] answer = status == 200 ? ExportLogsServiceResponse.getDefaultInstance().toByteArray() : new byte[0];
        exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
        }
    }

    synchronized List<ExportLogsServiceRequest> requests() {
        return List.copyOf(requests);
    }

    /** Every log record received so far, with its resource and scope, in arrival order. */
    synchronized List<Received> records() {
        List<Received> out = new ArrayList<>();
        for (ExportLogsServiceRequest r : requests) {
            for (ResourceLogs rl : r.getResourceLogsList()) {
                for (ScopeLogs sl : rl.getScopeLogsList()) {
                    for (LogRecord lr : sl.getLogRecordsList()) {
                        out.add(new Received(rl, sl, lr));
                    }
                }
            }
        }
        return out;
    }

    synchronized void awaitRequests(int n, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (requests.size() < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException(requests.size() + " of " + n + " requests within " + timeout);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Answers hanging requests (with a closed connection) and stops the server. */
    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    record Received(ResourceLogs resource, ScopeLogs scope, LogRecord record) {
    }
}
