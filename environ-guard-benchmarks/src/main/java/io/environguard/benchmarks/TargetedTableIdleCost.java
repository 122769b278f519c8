package io.environguard.benchmarks;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The idle CPU cost of the targeted source's process table when it is polled from {@code /proc} (no proc
 * connector: an ordinary user, or {@code proc-connector=false}): the guard guards this JVM and nothing reads it;
 * over a window, the CPU time of the table's threads ({@code process-table-*}: the poller and the command-line
 * reader threads) and of the guard's own thread ({@code targeted-guard}) is read from the JVM, for each poll
 * interval asked for.
 *
 * <pre>
 * java -cp environ-guard-benchmarks.jar io.environguard.benchmarks.TargetedTableIdleCost --window 60s --poll 1s,250ms
 * </pre>
 *
 * Prints one Markdown row per poll interval: processes on the host, polls done, mean CPU per poll, the table's
 * threads' CPU and the guard thread's CPU as a share of one core, and how many alerts (reads by other processes of
 * this JVM's environ, which the guard rightly handles) came in meanwhile.
 */
public final class TargetedTableIdleCost {

    private TargetedTableIdleCost() {
    }

    public static void main(String[] args) throws Exception {
        Duration window = Duration.ofSeconds(60);
        List<String> polls = List.of("1s");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--window": window = GuardConfig.of(Map.of("environguard.x", args[++i]))
                        .getDuration("environguard.x", window); break;
                case "--poll": polls = List.of(args[++i].split(",")); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.println("uid " + uid() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, JDK "
                + System.getProperty("java.version") + ", load average at start " + loadAverage());
        System.out.println("| poll interval | processes | polls | CPU per poll | table threads CPU | guard thread CPU"
                + " | alerts meanwhile | coverage |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (String poll : polls) {
            System.out.println(measure(poll, window));
        }
        System.out.println("load average at end " + loadAverage());
    }

    private static String measure(String poll, Duration window) throws Exception {
        AtomicInteger alerts = new AtomicInteger();
        AlertSink counting = new AlertSink() {
            @Override
            public void publish(Alert alert) {
                alerts.incrementAndGet();
            }
        };
        try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
                .set("environguard.source", "targeted")
                .set("environguard.source.targeted.proc-connector", "false")
                .set("environguard.process-table.poll-interval", poll)
                .addSink("count", counting)
                .build().start()) {
            Thread.sleep(3_000); // let the start-up scan's command-line reads and the JIT settle
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            Map<Long, Long> tableBefore = cpuOf("process-table", mx);
            Map<Long, Long> guardBefore = cpuOf("targeted-guard", mx);
            long pollsBefore = guard.stats().source().getOrDefault("process_table_polls", 0L);
            long pollMicrosBefore = guard.stats().source().getOrDefault("process_table_poll_micros", 0L);
            int alertsBefore = alerts.get();
            long t0 = System.nanoTime();
            Thread.sleep(window.toMillis());
            long elapsed = System.nanoTime() - t0;
            long tableCpu = delta(tableBefore, cpuOf("process-table", mx));
            long guardCpu = delta(guardBefore, cpuOf("targeted-guard", mx));
            long polls = guard.stats().source().getOrDefault("process_table_polls", 0L) - pollsBefore;
            long pollMicros = guard.stats().source().getOrDefault("process_table_poll_micros", 0L) - pollMicrosBefore;
            String fed = guard.coverage().watching().stream().filter(w -> w.startsWith("process table"))
                    .findFirst().orElse("?").replaceAll(" \\(.*", "");
            return String.format("| %s | %d | %d | %.2f ms wall | %.3f%% | %.3f%% | %d | %s |", poll, processes(), polls,
                    polls == 0 ? 0.0 : pollMicros / 1000.0 / polls, 100.0 * tableCpu / elapsed,
                    100.0 * guardCpu / elapsed, alerts.get() - alertsBefore, fed);
        }
    }

    /** CPU time of every live thread whose name starts with {@code prefix}, by thread id. */
    private static Map<Long, Long> cpuOf(String prefix, ThreadMXBean mx) {
        Map<Long, Long> out = new HashMap<>();
        for (Thread t : new ArrayList<>(Thread.getAllStackTraces().keySet())) {
            if (t.getName().startsWith(prefix)) {
                long cpu = mx.getThreadCpuTime(t.getId());
                if (cpu >= 0) {
                    out.put(t.getId(), cpu);
                }
            }
        }
        return out;
    }

    /** CPU used between two snapshots; a thread that appeared meanwhile counts from 0. */
    private static long delta(Map<Long, Long> before, Map<Long, Long> after) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }

    private static long processes() throws Exception {
        try (var dirs = Files.list(Path.of("/proc"))) {
            return dirs.filter(p -> p.getFileName().toString().matches("[1-9][0-9]*")).count();
        }
    }

    private static String loadAverage() throws Exception {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    private static String uid() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                return line.split("\\s+")[1];
            }
        }
        return "?";
    }
}
