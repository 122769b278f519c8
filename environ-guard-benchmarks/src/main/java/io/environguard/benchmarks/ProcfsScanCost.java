package io.environguard.benchmarks;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.linux.procfs.ProcfsPollingSource;
import io.environguard.linux.procfs.ProcfsSettings;
import io.environguard.linux.procfs.ScanResult;
import io.environguard.spi.AccessListener;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the CPU cost of the procfs polling source in thread CPU time (not wall time, which other load on
 * the machine inflates): per scan over simulated trees and over this machine's {@code /proc}, and the idle
 * cost of a running source at its default interval, as a share of one core.
 *
 * <pre>
 * java -cp environ-guard-benchmarks/target/environ-guard-benchmarks.jar io.environguard.benchmarks.ProcfsScanCost \
 *     [scans=N] [sizes=100,1000,5000] [fds=50] [idle=SECONDS] [hostProcesses=300] [simIdle=SECONDS]
 * </pre>
 * With {@code simIdle=SECONDS > 0}, it runs the source the same way over a simulated host of
 * {@code hostProcesses} processes with {@code fds} descriptors, a tenth of which run every second.
 * With {@code idle=SECONDS > 0}, it starts {@code sleep} processes (its own, ended afterwards) until the host
 * has {@code hostProcesses} processes, then scans once per default interval for that long, and reports the CPU
 * share, in all and apart from scans that met a burst of other jobs' processes.
 */
public final class ProcfsScanCost {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private ProcfsScanCost() {
    }

    public static void main(String[] args) throws Exception {
        int scans = 60;
        int fds = 50;
        int idleSeconds = 0;
        int hostProcesses = 300;
        int simIdle = 0;
        List<Integer> sizes = List.of(100, 1000, 5000);
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            switch (kv[0]) {
                case "scans": scans = Integer.parseInt(kv[1]); break;
                case "fds": fds = Integer.parseInt(kv[1]); break;
                case "idle": idleSeconds = Integer.parseInt(kv[1]); break;
                case "hostProcesses": hostProcesses = Integer.parseInt(kv[1]); break;
                case "simIdle": simIdle = Integer.parseInt(kv[1]); break;
                case "sizes": sizes = Arrays.stream(kv[1].split(",")).filter(s -> !s.isBlank()).map(Integer::parseInt).toList(); break;
                default: throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        System.out.printf(Locale.ROOT, "%-22s %-9s %10s %10s %10s %12s %12s%n", "tree", "scan", "cpu p50", "cpu p90",
                "wall p50", "examined", "fds read");
        for (int n : sizes) {
            try (SimulatedHosts.Host host = SimulatedHosts.create(n, fds)) {
                measure(n + " x " + fds + " (sim)", host.fs().root(), scans, host);
            }
        }
        measure("this host /proc", Path.of("/proc"), scans, null);
        if (idleSeconds > 0) {
            idleCost(Duration.ofSeconds(idleSeconds), hostProcesses);
        }
        if (simIdle > 0) {
            simulatedIdleCost(Duration.ofSeconds(simIdle), hostProcesses, fds);
        }
    }

    private static void measure(String name, Path root, int scans, SimulatedHosts.Host host) throws IOException {
        ProcfsSettings settings = ProcfsSettings.defaults(root).withScanBudget(Duration.ofMinutes(1));
        ProcfsPollingSource full = new ProcfsPollingSource(settings.withFullScanInterval(Duration.ZERO));
        ProcfsPollingSource incremental = new ProcfsPollingSource(settings);
        Sink sink = new Sink();
        long c0 = THREADS.getCurrentThreadCpuTime();
        ScanResult first = new ProcfsPollingSource(settings).scanOnce(sink);
        System.out.printf(Locale.ROOT, "%-22s %-9s %10.2f %10s %10.2f %12d %12d%n", name, "first", ms(THREADS.getCurrentThreadCpuTime() - c0),
                "(cold)", ms(first.nanos()), first.examined(), first.fdsRead());
        run(name, "full", full, scans, sink, null);
        run(name, "idle", incremental, scans, sink, null);
        if (host != null) {
            SplittableRandom random = new SplittableRandom(7);
            run(name, "tenthRan", incremental, scans, sink, () -> {
                int n = host.processes().size();
                for (int i = 0; i < n / 10; i++) {
                    host.fs().run(host.processes().get(random.nextInt(n)).pid());
                }
            });
        }
    }

    private static void run(String name, String mode, ProcfsPollingSource source, int scans, Sink sink, Runnable before)
            throws IOException {
        long[] cpu = new long[scans];
        long[] wall = new long[scans];
        ScanResult r = null;
        for (int i = -Math.max(5, scans / 3); i < scans; i++) { // warm-up first
            if (before != null) {
                before.run();
            }
            long c0 = THREADS.getCurrentThreadCpuTime();
            r = source.scanOnce(sink);
            long c1 = THREADS.getCurrentThreadCpuTime();
            if (i >= 0) {
                cpu[i] = c1 - c0;
                wall[i] = r.nanos();
            }
        }
        Arrays.sort(cpu);
        Arrays.sort(wall);
        System.out.printf(Locale.ROOT, "%-22s %-9s %10.2f %10.2f %10.2f %12d %12d%n", name, mode, ms(cpu[scans / 2]),
                ms(cpu[scans * 9 / 10]), ms(wall[scans / 2]), r.examined(), r.fdsRead());
    }

    /**
     * One scan per default interval over this machine's {@code /proc}, topped up with {@code sleep} processes
     * to {@code hostProcesses}, for {@code duration}: the CPU share of one core in all, and apart from scans
     * that met a burst of more than 50 new or vanished processes (other jobs on a shared machine).
     */
    private static void idleCost(Duration duration, int hostProcesses) throws Exception {
        List<Process> sleepers = new ArrayList<>();
        try {
            while (countProcesses() < hostProcesses && sleepers.size() < hostProcesses) {
                sleepers.add(new ProcessBuilder("sleep", Long.toString(duration.toSeconds() + 60)).start());
            }
            int processes = countProcesses();
            ProcfsPollingSource source = new ProcfsPollingSource(ProcfsSettings.defaults(Path.of("/proc")));
            Sink sink = new Sink();
            source.scanOnce(sink);
            long interval = ProcfsSettings.DEFAULT_INTERVAL.toNanos();
            long total = 0;
            long bursts = 0;
            int burstScans = 0;
            List<Long> quiet = new ArrayList<>();
            long end = System.nanoTime() + duration.toNanos();
            while (System.nanoTime() < end) {
                TimeUnit.NANOSECONDS.sleep(interval);
                long c0 = THREADS.getCurrentThreadCpuTime();
                ScanResult r = source.scanOnce(sink);
                long cpu = THREADS.getCurrentThreadCpuTime() - c0;
                total += cpu;
                if (r.newProcesses() > 50 || r.vanished() > 50) {
                    bursts += cpu;
                    burstScans++;
                } else {
                    quiet.add(cpu);
                }
            }
            int scans = burstScans + quiet.size();
            long quietSum = quiet.stream().mapToLong(Long::longValue).sum();
            quiet.sort(null);
            System.out.printf(Locale.ROOT, "idle cost at the default interval (%s) on this host with %d processes, %d scans:"
                            + " %.3f%% of one core in all; %d scans met a burst of >50 new or vanished processes"
                            + " (%.1f ms CPU); the other %d: median %.2f ms, p90 %.2f ms per scan, %.3f%% of one core%n",
                    ProcfsSettings.DEFAULT_INTERVAL, processes, scans, 100.0 * total / (scans * (double) interval),
                    burstScans, ms(bursts), quiet.size(), ms(quiet.get(quiet.size() / 2)),
                    ms(quiet.get(quiet.size() * 9 / 10)), 100.0 * quietSum / (quiet.size() * (double) interval));
        } finally {
            for (Process p : sleepers) {
                p.destroyForcibly();
            }
            for (Process p : sleepers) {
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * The running source at its defaults over a simulated host of {@code n} processes with {@code fds}
     * descriptors, a tenth of which run (untimed, on another thread) every second: the CPU time of the
     * polling thread over {@code duration}, as a share of one core. Controlled, unlike a shared machine.
     */
    private static void simulatedIdleCost(Duration duration, int n, int fds) throws Exception {
        try (SimulatedHosts.Host host = SimulatedHosts.create(n, fds)) {
            ProcfsPollingSource source = new ProcfsPollingSource(ProcfsSettings.defaults(host.fs().root()));
            Sink sink = new Sink();
            source.start(sink);
            Thread poller = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("environ-guard-procfs")).findFirst().orElseThrow();
            SplittableRandom random = new SplittableRandom(3);
            long c0 = THREADS.getThreadCpuTime(poller.getId());
            long t0 = System.nanoTime();
            long end = t0 + duration.toNanos();
            while (System.nanoTime() < end) {
                for (int i = 0; i < n / 10; i++) {
                    host.fs().run(host.processes().get(random.nextInt(n)).pid());
                }
                Thread.sleep(1000);
            }
            long c1 = THREADS.getThreadCpuTime(poller.getId());
            long t1 = System.nanoTime();
            source.close();
            System.out.printf(Locale.ROOT, "running source at the default interval (%s) on a simulated host of %d x %d, a"
                            + " tenth running every second: %.3f%% of one core (%.1f ms CPU in %.1f s)%n",
                    ProcfsSettings.DEFAULT_INTERVAL, n, fds, 100.0 * (c1 - c0) / (t1 - t0), ms(c1 - c0), (t1 - t0) / 1e9);
        }
    }

    private static int countProcesses() throws IOException {
        try (var s = Files.list(Path.of("/proc"))) {
            return (int) s.filter(p -> Character.isDigit(p.getFileName().toString().charAt(0))).count();
        }
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static final class Sink implements AccessListener {
        final AtomicLong accesses = new AtomicLong();

        @Override
        public void onAccess(EnvironAccess access) {
            accesses.incrementAndGet();
        }

        @Override
        public void onLoss(LossReport loss) {
        }
    }
}
