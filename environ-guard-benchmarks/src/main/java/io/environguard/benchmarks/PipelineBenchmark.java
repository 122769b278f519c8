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
import io.environguard.spi.AccessListener;
import io.environguard.spi.AlertSink;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Events per second through the resolver-free part of the pipeline, driven through the public API exactly as
 * a source drives it: {@link AccessListener#onAccess}, i.e. the policy, then dispatch to a no-op sink on its own
 * thread. {@code selfRead} never alerts; {@code alertingRead} alerts on every event: dedupe is off, and
 * each reader touches only a few targets, far below the sweep threshold, so that every access is judged in full
 * and becomes an {@link Alert}. {@code foldedRead} is a shell loop's family after its sweep: short-lived readers
 * (each its own pid and start time, with a lineage) under one parent whose sweep already had its alert, so that
 * every access is folded into the sweep and listed (or, past the listing cap, counted) for its closing alert.
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
                "environguard.policy.dedupe.window", "0ms",
                "environguard.policy.sweep.threshold", "1024",
                // every access carries the same time: with the default window the guard's ticker would see the
                // family go quiet after 10 s of wall time and end its sweep mid-run
                "environguard.policy.sweep.window", "1h",
                "environguard.policy.protect.self", "false"));
        CapturingSource source = new CapturingSource();
        AlertSink noop = alert -> { };
        guard = EnvironGuard.builder().config(config).addSourceProvider(source).addSink("noop", noop).build().start();
        listener = source.listener;

        SplittableRandom random = new SplittableRandom(42);
        Instant now = Instant.parse("2026-11-26T12:00:00Z");
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

    @TearDown(Level.Trial)
    public void tearDown() {
        guard.close();
        GuardStats stats = guard.stats();
        for (SinkStats s : stats.sinks()) {
            // Printed so that a reader of the run sees whether the no-op sink kept up (a dropped alert still cost
            // the policy and the enqueue attempt, which is what this measures).
            System.out.printf("%nsink %s: delivered %d, dropped %d; alerts %d, suppressed %d, outcomes %s%n",
                    s.sink(), s.delivered(), s.dropped(), stats.alerts(), stats.suppressed(), stats.outcomes());
        }
    }
}
