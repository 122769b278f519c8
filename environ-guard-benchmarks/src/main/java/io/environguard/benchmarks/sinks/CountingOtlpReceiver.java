package io.environguard.benchmarks.sinks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OTLP/HTTP logs endpoint on loopback that accepts every request (200, an empty ExportLogsServiceResponse) and
 * counts requests and bytes, as a collector that keeps up would.
 */
final class CountingOtlpReceiver implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;
    final LongAdder requests = new LongAdder();
    final LongAdder bytes = new LongAdder();

    CountingOtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "otlp-receiver");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/v1/logs", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                bytes.add(in.readAllBytes().length);
            }
            requests.increment();
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
