package io.environguard.benchmarks;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.Coverage;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.ProcessInfo;
import io.environguard.api.SinkStats;
import io.environguard.micrometer.EnvironGuardMetrics;
import io.environguard.spi.AccessListener;
import io.environguard.spi.AlertSink;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Events per second through the resolver-free part of the pipeline, driven through the public API exactly as
 * a source drives it: {@link AccessListener#onAccess}, i.e. the policy, then dispatch to a no-op sink on its own
 * thread. {@code selfRead} never alerts; {@code alertingRead} alerts on every event: dedupe is off, and
 * each reader touches only a few targets, far below the sweep threshold, so that every access is judged in full
 * and becomes an {@link Alert}. {@code foldedRead} is a shell loop's family after its sweep: short-lived readers
 * (each its own pid and start time, with a lineage) under one parent whose sweep already had its alert, so that
 * every access is folded into the sweep and listed (or, past the listing cap, counted) for its closing alert.
 *
 * <p>{@code plugin}: {@code none} runs the no-op sink alone; {@code kafka-down} adds the Kafka sink plugin, pointed at
 * a loopback port where no broker listens, so that its lane is stuck (each send waits {@code max.block.ms}) and its
 * queue full: the caller's cost, and the no-op sink's deliveries, should not change.
 *
 * <p>{@code sink}: {@code noop} delivers every alert to a sink that does nothing, on the sink's own thread, which parks
 * whenever it has emptied its queue and is woken by a later alert: on two vCPUs that hand-off, not the policy, sets
 * much of the rate, and how often it happens moves with the load. {@code held}: the one sink's first delivery waits
 * (on a latch the trial's end releases), so that its queue is full from the 65,537th alert on and every later alert is
 * judged, observed and counted as dropped on the benchmark's thread alone: the pipeline's own cost without the
 * hand-off.
 *
 * <p>{@code metrics=true} binds {@link EnvironGuardMetrics} to a Prometheus registry (what the host monitor serves)
 * before the run: every alert then also feeds the alert counters and the latency timer, on the producer's thread.
 * {@code metrics=alternate} attaches a fresh binder (and registry) to the same guard for every other iteration, in the
 * order off, on, on, off, off, on... (so that a drift in the machine's speed cancels over each four), and prints each
 * iteration's alerts/s and CPU per alert with whether the binder was on: the two sides then share one JVM, its JIT
 * and its heap, and seconds of time, which a shared machine's load moves far less than it moves separate forks.
 *
 * <p>Run: {@code java -jar environ-guard-benchmarks/target/environ-guard-benchmarks.jar PipelineBenchmark -prof gc}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xmx1g"})
@Threads(1)
@State(Scope.Thread)
public class PipelineBenchmark {

    private static final int DISTINCT = 4096;

    @Param({"none", "kafka-down"})
    public String plugin;
    /** The one sink: {@code noop}, or {@code held} (never returns until the trial ends; its queue stays full). */
    @Param({"noop", "held"})
    public String sink;
    private final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

    /** Whether the Micrometer binder is attached: {@code false}, {@code true}, or {@code alternate} (every other iteration). */
    @Param({"false", "true", "alternate"})
    public String metrics;

    private EnvironGuardMetrics binder;
    private PrometheusMeterRegistry registry;

    /**
     * CPU time of the benchmark thread per operation in each measured iteration, printed as {@code cpu-per-op NS}: on
     * a shared machine whose other jobs take CPU away, throughput moves with the load, CPU time per alert much less.
     */
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long cpuAtStart;
    private long wallAtStart;
    private int opsAtStart;
    /** Iterations begun (warm-up and measured), for {@code metrics=alternate}. */
    private int iterations;
    /** Context switches (voluntary: parked or waited; involuntary: preempted) at the iteration's start, for alternate. */
    private long[] producerSwitchesAtStart;
    private long[] sinkSwitchesAtStart;
    private java.nio.file.Path sinkTask;
    private long metricsThreadCpuAtStart;

    private EnvironGuard guard;
    private AccessListener listener;
    private EnvironAccess[] selfReads;
    private EnvironAccess[] crossReads;
    private EnvironAccess[] familyReads;
    private int next;

    /** Hands the guard's listener to the benchmark: what a real source would push into. */
    private static final class CapturingSource implements EventSourceProvider, EventSource {
        volatile AccessListener listener;

        @Override public String name() { return "bench"; }
        @Override public int priority() { return 0; }
        @Override public Availability availability() { return Availability.available("in memory"); }
        @Override public EventSource create(GuardConfig config) { return this; }
        @Override public void start(AccessListener l) { listener = l; }
        @Override public Coverage coverage() { return new Coverage("bench", List.of(), List.of()); }
        @Override public void close() { }
    }

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        GuardConfig config = GuardConfig.of(Map.of(
                "environguard.source", "bench",
                "environguard.dispatch.queue.capacity", "65536",
                "environguard.dispatch.close.timeout", "1s",
                "environguard.policy.dedupe.window", "0ms",
                "environguard.policy.sweep.threshold", "1024",
                // every access carries the same time: with the default window the guard's ticker would see the
                // family go quiet after 10 s of wall time and end its sweep mid-run
                "environguard.policy.sweep.window", "1h",
                "environguard.policy.protect.self", "false"));
        if (plugin.equals("kafka-down")) {
            // Nothing listens on port 1: the Kafka sink's lane waits on metadata that never comes.
            config = config.with("environguard.sink.kafka.bootstrap.servers", "127.0.0.1:1")
                    .with("environguard.sink.kafka.close.timeout", "0s");
        }
        CapturingSource source = new CapturingSource();
        AlertSink noop = sink.equals("held") ? alert -> release.await(1, TimeUnit.HOURS) : alert -> { };
        guard = EnvironGuard.builder().config(config).addSourceProvider(source).addSink("noop", noop).build().start();
        listener = source.listener;
        if (metrics.equals("true")) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            binder = new EnvironGuardMetrics(guard);
            binder.bindTo(registry);
        }

        SplittableRandom random = new SplittableRandom(42);
        // Accesses stamped now, as a source stamps them: the latency timer then records realistic values.
        Instant now = Instant.now();
        selfReads = new EnvironAccess[DISTINCT];
        crossReads = new EnvironAccess[DISTINCT];
        familyReads = new EnvironAccess[DISTINCT];
        List<Ancestor> loop = List.of(new Ancestor(900, 4000, "bash", "/usr/bin/bash"), new Ancestor(1, 1, "systemd",
                "/usr/lib/systemd/systemd"));
        for (int i = 0; i < DISTINCT; i++) {
            int a = 1000 + random.nextInt(30_000);
            int b = a + 1 + random.nextInt(1000);
            ProcessInfo reader = process(a, "/usr/bin/cat", "cat");
            ProcessInfo target = process(b, "/usr/sbin/nginx", "nginx");
            selfReads[i] = EnvironAccess.builder().time(now).source("bench").path("/proc/self/environ")
                    .alias(AliasKind.SELF).reader(reader).target(reader).build();
            crossReads[i] = EnvironAccess.builder().time(now).source("bench").path("/proc/" + b + "/environ")
                    .alias(AliasKind.PROCESS).reader(reader).target(target).build();
            ProcessInfo child = ProcessInfo.builder(40_000 + i).tid(40_000 + i).ppid(900).uid(0).gid(0)
                    .exe("/usr/bin/cat").comm("cat").startTime(50_000L + i).ancestors(loop).build();
            familyReads[i] = EnvironAccess.builder().time(now).source("bench").path("/proc/" + b + "/environ")
                    .alias(AliasKind.PROCESS).reader(child).target(target).build();
        }
        // the loop's first 1,024 distinct targets make its sweep; every later read of the family is folded into it
        for (EnvironAccess a : familyReads) {
            listener.onAccess(a);
        }
    }

    private static ProcessInfo process(int pid, String exe, String comm) {
        return ProcessInfo.builder(pid).tid(pid).ppid(1).uid(1000).gid(1000).exe(exe).comm(comm)
                .cmdline(java.util.List.of(exe, "--config", "/etc/app.conf")).startTime(12345L + pid).build();
    }

    @Benchmark
    public void selfRead() {
        listener.onAccess(selfReads[next++ & (DISTINCT - 1)]);
    }

    @Benchmark
    public void alertingRead() {
        listener.onAccess(crossReads[next++ & (DISTINCT - 1)]);
    }

    @Benchmark
    public void foldedRead() {
        listener.onAccess(familyReads[next++ & (DISTINCT - 1)]);
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        if (metrics.equals("alternate") && alternateOn(iterations)) {
            registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            binder = new EnvironGuardMetrics(guard);
            binder.bindTo(registry);
        }
        iterations++;
        if (metrics.equals("alternate")) {
            producerSwitchesAtStart = switches(java.nio.file.Path.of("/proc/thread-self"));
            sinkSwitchesAtStart = switches(sinkTask());
            metricsThreadCpuAtStart = metricsThreadCpu();
        }
        cpuAtStart = threads.getCurrentThreadCpuTime();
        wallAtStart = System.nanoTime();
        opsAtStart = next;
    }

    /** Off, on, on, off, off, on, on, off...: iteration {@code i} (from 0) with the binder attached. */
    static boolean alternateOn(int i) {
        return (i + 1) / 2 % 2 == 1;
    }

    @TearDown(Level.Iteration)
    public void endIteration(IterationParams iteration) {
        long cpu = threads.getCurrentThreadCpuTime() - cpuAtStart;
        long wall = System.nanoTime() - wallAtStart;
        int ops = next - opsAtStart;
        if (iteration.getType() == IterationType.MEASUREMENT && ops > 0) {
            System.out.printf("%ncpu-per-op %.1f%n", (double) cpu / ops);
        }
        if (metrics.equals("alternate")) {
            // Read before the binder closes: its thread ends then.
            long metricsCpu = metricsThreadCpu() - metricsThreadCpuAtStart;
            long[] producer = switches(java.nio.file.Path.of("/proc/thread-self"));
            long[] sink = switches(sinkTask());
            boolean on = binder != null;
            if (on) {
                binder.close();
                binder = null;
                registry.close();
                registry = null;
            }
            if (iteration.getType() == IterationType.MEASUREMENT && ops > 0) {
                // Switches per 1,000 alerts: the sink thread parks (a voluntary switch) whenever it has emptied its
                // queue, and each such park costs the producer an unpark on a later alert.
                System.out.printf("%nalternate binder=%s ops-per-s %.0f cpu-per-op %.1f producer-switches %.2f %.2f"
                                + " sink-switches %.2f %.2f metrics-thread-cpu-per-op %.1f%n", on ? "on" : "off", ops * 1e9 / wall,
                        (double) cpu / ops,
                        1000.0 * (producer[0] - producerSwitchesAtStart[0]) / ops,
                        1000.0 * (producer[1] - producerSwitchesAtStart[1]) / ops,
                        1000.0 * (sink[0] - sinkSwitchesAtStart[0]) / ops, 1000.0 * (sink[1] - sinkSwitchesAtStart[1]) / ops,
                        (double) metricsCpu / ops);
            }
        }
    }

    /** CPU time of the binder's threads ({@code environ-guard-metrics}) so far, in nanoseconds; 0 when there is none. */
    private long metricsThreadCpu() {
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("environ-guard-metrics")) {
                sum += Math.max(0, threads.getThreadCpuTime(t.getId()));
            }
        }
        return sum;
    }

    /** The {@code /proc} task directory of the no-op sink's thread ({@code comm} is cut to 15 characters). */
    private java.nio.file.Path sinkTask() {
        if (sinkTask == null) {
            try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
                for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                    if (java.nio.file.Files.readString(t.resolve("comm")).strip().equals("environ-guard-s")) {
                        sinkTask = t;
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return sinkTask;
    }

    /** Voluntary and involuntary context switches of one task, from its {@code status}; zeros where unreadable. */
    private static long[] switches(java.nio.file.Path task) {
        long[] out = new long[2];
        if (task == null) {
            return out;
        }
        try {
            for (String line : java.nio.file.Files.readAllLines(task.resolve("status"))) {
                if (line.startsWith("voluntary_ctxt_switches:")) {
                    out[0] = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                    out[1] = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return out;
        }
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        release.countDown();
        if (binder != null) {
            binder.close();
            System.out.printf("%nmetrics: %.0f alerts counted by the binder%n", registry.find("environguard.alerts")
                    .functionCounters().stream().mapToDouble(c -> c.count()).sum());
        }
        guard.close();
        GuardStats stats = guard.stats();
        for (SinkStats s : stats.sinks()) {
            // Printed so that a reader of the run sees whether the no-op sink kept up (a dropped alert still cost
            // the policy and the enqueue attempt, which is what this measures).
            System.out.printf("%nsink %s: delivered %d, dropped %d, failed %d; alerts %d, suppressed %d, outcomes %s%n",
                    s.sink(), s.delivered(), s.dropped(), s.failed(), stats.alerts(), stats.suppressed(), stats.outcomes());
        }
    }
}
