package io.environguard.benchmarks.sinks;

import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.sink.kafka.KafkaSinkProvider;
import io.environguard.sink.otel.OtelSinkProvider;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AsyncAlertSink;
import io.environguard.spi.DeliveryReceipt;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Throughput and latency of a sink plugin on loopback, driven as the guard's dispatcher drives it: one thread calls
 * {@link AsyncAlertSink#publish(Alert, DeliveryReceipt)}, and the receipts say when the destination has the alert
 * (the broker acknowledged it with {@code acks=all}; the OTLP receiver answered 200).
 *
 * <ol>
 *   <li><b>Sustained throughput</b>: {@code N} alerts as fast as the sink takes them, with at most {@code WINDOW}
 *       outstanding (a dispatcher queue's worth); alerts per second from the first publish to the last receipt.</li>
 *   <li><b>Latency at a steady rate</b>: alerts paced at {@code RATE}/s; per alert, the time spent in {@code publish}
 *       (what the sink's thread pays) and from {@code publish} to the receipt; p50, p99, max.</li>
 * </ol>
 *
 * <p>Run: {@code java -cp environ-guard-benchmarks/target/environ-guard-benchmarks.jar
 * io.environguard.benchmarks.sinks.SinkThroughput kafka|otel [N] [RATE]}
 */
public final class SinkThroughput {

    private static final int WINDOW = 1024;

    private SinkThroughput() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "kafka";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
        System.out.printf("sink %s; JDK %s; %d CPUs; load average before: %s%n", which, Runtime.version(),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        Alert[] alerts = alerts(4096);
        switch (which) {
            case "kafka" -> {
                try (LoopbackKafka kafka = LoopbackKafka.start()) {
                    kafka.createTopic("bench", 3);
                    GuardConfig config = GuardConfig.of(Map.of(
                            KafkaSinkProvider.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                            KafkaSinkProvider.TOPIC, "bench",
                            KafkaSinkProvider.CLOSE_TIMEOUT, "10s"));
                    run("kafka", new KafkaSinkProvider().create(config), alerts, n, rate);
                }
            }
            case "otel" -> {
                try (CountingOtlpReceiver receiver = new CountingOtlpReceiver()) {
                    GuardConfig config = GuardConfig.of(Map.of(
                            OtelSinkProvider.PREFIX + "exporter.otlp.endpoint", receiver.endpoint(),
                            OtelSinkProvider.PREFIX + "blrp.schedule.delay", "100",
                            OtelSinkProvider.PREFIX + "blrp.max.queue.size", Integer.toString(4 * WINDOW),
                            OtelSinkProvider.FLUSH_TIMEOUT, "10s"));
                    run("otel", new OtelSinkProvider().create(config), alerts, n, rate);
                    System.out.printf("receiver: %d requests, %.1f MB%n", receiver.requests.sum(), receiver.bytes.sum() / 1e6);
                }
            }
            default -> throw new IllegalArgumentException("kafka or otel");
        }
        System.out.printf("load average after: %s%n", loadAverage());
    }

    private static void run(String name, AlertSink created, Alert[] alerts, int n, int rate) throws Exception {
        AsyncAlertSink sink = (AsyncAlertSink) created;
        try {
            // Warm-up: connections, metadata, JIT.
            throughput(sink, alerts, Math.min(n, 20_000));
            Outcome t = throughput(sink, alerts, n);
            System.out.printf("%s throughput: %d alerts in %.2f s = %.0f alerts/s sustained (%d failed)%n",
                    name, n, t.seconds, n / t.seconds, t.failed);
            latency(name, sink, alerts, Math.max(1, rate * 10), rate);
        } finally {
            sink.close();
        }
    }

    private record Outcome(double seconds, long failed) {
    }

    private static Outcome throughput(AsyncAlertSink sink, Alert[] alerts, int n) throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        DeliveryReceipt receipt = new DeliveryReceipt() {
            @Override
            public void delivered() {
                done.incrementAndGet();
            }

            @Override
            public void failed(Throwable cause) {
                failed.incrementAndGet();
                done.incrementAndGet();
            }
        };
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            while (i - done.get() >= WINDOW) {
                LockSupport.parkNanos(20_000);
            }
            sink.publish(alerts[i & (alerts.length - 1)], receipt);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (done.get() < n && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000);
        }
        if (done.get() < n) {
            throw new IllegalStateException("only " + done.get() + " of " + n + " receipts within 120 s");
        }
        return new Outcome((System.nanoTime() - start) / 1e9, failed.get());
    }

    private static void latency(String name, AsyncAlertSink sink, Alert[] alerts, int n, int rate) throws Exception {
        long[] inPublish = new long[n];
        long[] toReceipt = new long[n];
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
            while (System.nanoTime() < next) {
                Thread.onSpinWait();
            }
            next += interval;
            final int k = i;
            final long t0 = System.nanoTime();
            sink.publish(alerts[i & (alerts.length - 1)], new DeliveryReceipt() {
                @Override
                public void delivered() {
                    toReceipt[k] = System.nanoTime() - t0;
                    done.incrementAndGet();
                }

                @Override
                public void failed(Throwable cause) {
                    toReceipt[k] = System.nanoTime() - t0;
                    failed.incrementAndGet();
                    done.incrementAndGet();
                }
            });
            inPublish[i] = System.nanoTime() - t0;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (done.get() < n && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000);
        }
        System.out.printf("%s at %d alerts/s (%d alerts, %d failed): publish call p50 %s, p99 %s, max %s;"
                        + " publish to acknowledgement p50 %s, p99 %s, max %s%n",
                name, rate, n, failed.get(), us(inPublish, 50), us(inPublish, 99), us(inPublish, 100),
                us(toReceipt, 50), us(toReceipt, 99), us(toReceipt, 100));
    }

    private static String us(long[] nanos, double percentile) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int index = percentile >= 100 ? sorted.length - 1 : (int) Math.ceil(percentile / 100 * sorted.length) - 1;
        return String.format("%.0f µs", sorted[Math.max(0, index)] / 1e3);
    }

    private static Alert[] alerts(int count) {
        Alert[] out = new Alert[count];
        Instant now = Instant.now();
        for (int i = 0; i < count; i++) {
            int reader = 10_000 + i;
            EnvironAccess access = EnvironAccess.builder().time(now).source("bench").path("/proc/" + (i + 2) + "/environ")
                    .alias(AliasKind.PROCESS)
                    .reader(ProcessInfo.builder(reader).tid(reader).ppid(1).uid(1000).gid(1000).comm("cat")
                            .exe("/usr/bin/cat").cmdline(List.of("cat", "/proc/" + (i + 2) + "/environ")).startTime(reader * 7L).build())
                    .target(ProcessInfo.builder(i + 2).uid(1000).comm("nginx").exe("/usr/sbin/nginx").startTime(5).build())
                    .build();
            out[i] = Alert.of(access, Rules.ENVIRON_READ, Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY,
                    List.of("Another process's environment holds its secrets (passwords, keys, tokens)"));
        }
        return out;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (Exception e) {
            return String.valueOf(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }
}
