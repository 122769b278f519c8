package io.environguard.benchmarks;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.linux.procfs.ProcfsPollingSource;
import io.environguard.linux.procfs.ProcfsSettings;
import io.environguard.linux.procfs.ScanResult;
import io.environguard.spi.AccessListener;
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

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Wall time of one scan of the procfs polling source, over simulated trees ({@code root=sim}: 100, 1,000 and
 * 5,000 processes with 50 descriptors each, see {@link SimulatedHosts}) or over this machine's {@code /proc}
 * ({@code root=host}; {@code processes} and {@code fds} are then ignored).
 * <ul>
 *   <li>{@code fullScan}: every process re-read: stat, command line, descriptor list and every link
 *       ({@code full-scan-interval=0s}); the cost of a first scan, or of a host where everything runs;</li>
 *   <li>{@code idleScan}: the steady state of a host where nothing ran since the last scan: one
 *       {@code schedstat} read per process (on {@code host}: whatever really ran meanwhile);</li>
 *   <li>{@code tenthRanScan}: a tenth of the processes ran since the last scan (simulated trees only; the
 *       untimed setup makes them run).</li>
 * </ul>
 * Single-threaded: on an otherwise idle machine wall time is the CPU time of one core; the
 * {@link ProcfsScanCost} harness measures thread CPU time directly.
 *
 * <p>Run: {@code java -jar environ-guard-benchmarks/target/environ-guard-benchmarks.jar ProcfsScanBenchmark}
 * and {@code ... ProcfsScanBenchmark -p root=host -p processes=0}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Threads(1)
public class ProcfsScanBenchmark {

    private static final AccessListener SINK = new AccessListener() {
        @Override
        public void onAccess(EnvironAccess access) {
        }

        @Override
        public void onLoss(LossReport loss) {
        }
    };

    /** A tree and two sources over it, primed by one scan each. */
    @State(Scope.Benchmark)
    public static class Tree {
        @Param({"sim"})
        public String root;

        @Param({"100", "1000", "5000"})
        public int processes;

        @Param({"50"})
        public int fds;

        SimulatedHosts.Host host;
        ProcfsPollingSource full;
        ProcfsPollingSource incremental;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            Path procRoot;
            if (root.equals("host")) {
                procRoot = Path.of("/proc");
            } else {
                host = SimulatedHosts.create(processes, fds);
                procRoot = host.fs().root();
            }
            // no budget to speak of: the cost of a whole scan is what is measured
            ProcfsSettings settings = ProcfsSettings.defaults(procRoot).withScanBudget(Duration.ofMinutes(1));
            full = new ProcfsPollingSource(settings.withFullScanInterval(Duration.ZERO));
            incremental = new ProcfsPollingSource(settings);
            full.scanOnce(SINK);
            incremental.scanOnce(SINK);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            full.close();
            incremental.close();
            if (host != null) {
                host.close();
            }
        }
    }

    /** Before each invocation, untimed: a tenth of the simulated processes run. */
    @State(Scope.Thread)
    public static class TenthRan {
        private final SplittableRandom random = new SplittableRandom(42);

        @Setup(Level.Invocation)
        public void run(Tree tree) {
            if (tree.host != null) {
                int n = tree.host.processes().size();
                for (int i = 0; i < n / 10; i++) {
                    tree.host.fs().run(tree.host.processes().get(random.nextInt(n)).pid());
                }
            }
        }
    }

    @Benchmark
    public ScanResult fullScan(Tree tree) throws IOException {
        return tree.full.scanOnce(SINK);
    }

    @Benchmark
    public ScanResult idleScan(Tree tree) throws IOException {
        return tree.incremental.scanOnce(SINK);
    }

    @Benchmark
    public ScanResult tenthRanScan(Tree tree, TenthRan ran) throws IOException {
        return tree.incremental.scanOnce(SINK);
    }
}
