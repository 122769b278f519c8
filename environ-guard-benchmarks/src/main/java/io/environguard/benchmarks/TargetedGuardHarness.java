package io.environguard.benchmarks;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.policy.PolicyConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end cost of the targeted source guarding this JVM, for BENCHMARKS.md: for each thread count, the
 * marks and descriptors it holds, the heap and RSS it adds, the CPU of its thread while idle, the latency
 * from a read of {@code /proc/<pid>/environ} by another process to the alert in a sink, and the slowdown of
 * a {@code /proc}-heavy workload. Run it as root (readers named through pidfds) and as an ordinary user
 * (readers hidden, best-effort attribution): {@code environ-guard-benchmarks/run-targeted.sh} does both.
 *
 * <pre>
 * java -cp environ-guard-benchmarks.jar io.environguard.benchmarks.TargetedGuardHarness --threads 50,200 --reads 300
 * </pre>
 *
 * <p>Latency uses CLOCK_MONOTONIC on both sides: the reader (python) stamps {@code time.monotonic_ns()}
 * just before its {@code open}, the sink stamps {@link System#nanoTime()} (CLOCK_MONOTONIC on Linux) when
 * the alert is published. The workload alternates rounds without and with the guard and reports the median
 * of per-round ratios (the machine is shared and noisy).
 */
public final class TargetedGuardHarness {

    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    private static final String READER = "import sys, time\n"
            + "path = sys.argv[1]\n"
            + "for line in sys.stdin:\n"
            + "    t = time.monotonic_ns()\n"
            + "    f = open(path, 'rb', buffering=0)\n"
            + "    f.read(1)\n"
            + "    f.close()\n"
            + "    print(t, flush=True)\n";

    private TargetedGuardHarness() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> threadCounts = List.of(50, 200);
        int reads = 300;
        Duration idle = Duration.ofSeconds(20);
        int rounds = 7;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads": threadCounts = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList(); break;
                case "--reads": reads = Integer.parseInt(args[++i]); break;
                case "--idle": idle = GuardConfig.of(Map.of("environguard.x", args[++i])).getDuration("environguard.x", idle); break;
                case "--rounds": rounds = Integer.parseInt(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        boolean root = uid() == 0;
        System.out.printf(Locale.ROOT, "# targeted source, %s, pid %d, %s, %d CPUs%n", root ? "root (privileged)" : "uid " + uid()
                + " (unprivileged)", ProcessHandle.current().pid(), System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.println("| threads | marks | fds added | heap added | RSS added | guard CPU idle | read->alert p50 | p99 | max | /proc stat loop CPU | ps aux CPU |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        CountDownLatch release = new CountDownLatch(1);
        for (int n : threadCounts) {
            topUpThreads(n, release);
            System.out.println(measure(n, reads, idle, rounds));
        }
        release.countDown();
    }

    private static String measure(int threads, int reads, Duration idle, int rounds) throws Exception {
        long self = ProcessHandle.current().pid();
        // Footprint: what starting the guard adds.
        settle();
        long fdsBefore = count(Path.of("/proc/self/fd"));
        long heapBefore = usedHeap();
        long rssBefore = rssKiB();
        LatencySink sink = new LatencySink();
        EnvironGuard guard = start(sink);
        String marks;
        long fdsAdded;
        long heapAdded;
        long rssAdded;
        double idleCpu;
        int threadChanges = 0;
        int foreignReads;
        long[] latencies;
        try {
            settle();
            fdsAdded = count(Path.of("/proc/self/fd")) - fdsBefore;
            heapAdded = usedHeap() - heapBefore;
            rssAdded = rssKiB() - rssBefore;
            marks = guard.coverage().watching().get(0).replaceAll(" inode mark.*", "");

            // Idle: CPU of the guard's own thread over the window (no reads, no new threads).
            Thread guardThread = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("targeted-guard")).findFirst().orElseThrow();
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            // Other processes on the host may read this JVM's environ meanwhile (ps, monitoring): each is an event
            // the guard rightly handles. They are counted, so that idle means idle.
            sink.published.clear();
            long cpuBefore = mx.getThreadCpuTime(guardThread.getId());
            long t0 = System.nanoTime();
            // The JVM starts and stops threads of its own (compiler threads, for one); each change makes the
            // guard re-plan its marks, which is work, not polling: count them so the figure can be read.
            java.util.Set<String> last = taskSet();
            while (System.nanoTime() - t0 < idle.toNanos()) {
                Thread.sleep(100);
                java.util.Set<String> now = taskSet();
                if (!now.equals(last)) {
                    threadChanges++;
                    last = now;
                }
            }
            long cpu = mx.getThreadCpuTime(guardThread.getId()) - cpuBefore;
            idleCpu = 100.0 * cpu / (System.nanoTime() - t0);
            foreignReads = sink.published.size();

            latencies = latencies(self, reads, sink);
        } finally {
            guard.close();
        }
        Arrays.sort(latencies);
        double statRatio = workloadRatio(rounds, TargetedGuardHarness::statLoop);
        double psRatio = workloadRatio(rounds, TargetedGuardHarness::psAux);
        return String.format(Locale.ROOT, "| %d | %s | %d | %.1f MiB | %.1f MiB | %.3f%% of a core (%d thread changes, %d reads by others) | %.2f ms | %.2f ms | %.2f ms | %.3fx | %.3fx |",
                threads, marks, fdsAdded, heapAdded / 1048576.0, rssAdded / 1024.0, idleCpu, threadChanges, foreignReads,
                pct(latencies, 50) / 1e6, pct(latencies, 99) / 1e6, latencies[latencies.length - 1] / 1e6,
                statRatio, psRatio);
    }

    private static java.util.Set<String> taskSet() {
        try (var s = Files.list(Path.of("/proc/self/task"))) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static EnvironGuard start(LatencySink sink) throws Exception {
        return EnvironGuard.builder()
                .config(GuardConfig.builder().load() // -Denvironguard.source.targeted.max-marks=... and friends apply
                        .set(EnvironGuard.SOURCE, "targeted").set(PolicyConfig.DEDUPE_WINDOW, "0s").build())
                .addSink("latency", sink)
                .build()
                .start();
    }

    /** One python reader, driven line by line; each read's open-time against the alert's publish time. */
    private static long[] latencies(long self, int reads, LatencySink sink) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-c", READER, "/proc/" + self + "/environ")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process reader = pb.start();
        long[] out = new long[reads];
        try (Writer in = new OutputStreamWriter(reader.getOutputStream(), StandardCharsets.US_ASCII);
             BufferedReader said = new BufferedReader(new InputStreamReader(reader.getInputStream(), StandardCharsets.US_ASCII))) {
            for (int i = -20; i < reads; i++) { // 20 warm-up reads
                sink.published.clear();
                in.write("r\n");
                in.flush();
                long opened = Long.parseLong(said.readLine().trim());
                Long alerted = sink.published.poll(5, TimeUnit.SECONDS);
                if (alerted == null) {
                    throw new IllegalStateException("no alert within 5 s for read " + i);
                }
                if (i >= 0) {
                    out[i] = alerted - opened;
                }
                Thread.sleep(5);
            }
        } finally {
            reader.destroyForcibly();
            reader.waitFor(10, TimeUnit.SECONDS);
        }
        return out;
    }

    /** Alerts about reads of this JVM by other processes, stamped on arrival. */
    private static final class LatencySink implements io.environguard.spi.AlertSink {
        final LinkedBlockingQueue<Long> published = new LinkedBlockingQueue<>();

        @Override
        public void publish(Alert alert) {
            long now = System.nanoTime();
            if (alert.hasAccess() && alert.access().target().pid() == ProcessHandle.current().pid()) {
                published.add(now);
            }
        }
    }

    // ---- workload: rounds alternate without and with the guard; median of per-round ratios ----

    private interface Workload {
        long run() throws Exception;
    }

    private static double workloadRatio(int rounds, Workload workload) throws Exception {
        workload.run(); // warm-up
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            // Alternate which comes first, and let the JIT and GC settle after starting or stopping the guard
            // (marking thousands of aliases is work of its own, not the workload's slowdown).
            long without = 0;
            if (r % 2 == 0) {
                settle();
                without = workload.run();
            }
            long with;
            try (EnvironGuard guard = start(new LatencySink())) {
                settle();
                with = workload.run();
            }
            if (r % 2 == 1) {
                settle();
                without = workload.run();
            }
            ratios[r] = (double) with / without;
        }
        Arrays.sort(ratios);
        return ratios[rounds / 2];
    }

    /**
     * 20000 open+read+close of this JVM's /proc/P/stat (a sibling of the marked files, same superblock), as
     * the CPU time of the reading thread: the kernel's share of a mark is paid by the opener, and CPU time
     * leaves out the other tenants of a shared machine.
     */
    private static long statLoop() throws IOException {
        Path stat = Path.of("/proc/" + ProcessHandle.current().pid() + "/stat");
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        byte[] sink = new byte[0];
        long t0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < 20_000; i++) {
            sink = Files.readAllBytes(stat);
        }
        long t = mx.getCurrentThreadCpuTime() - t0;
        if (sink.length == 0) {
            throw new IllegalStateException("empty stat");
        }
        return t;
    }

    /**
     * 20 runs of {@code ps aux} (procps opens every process's stat, status, cmdline and environ, this JVM's
     * included), as the CPU time of the ps processes (user + system, from getrusage of a python wrapper).
     */
    private static long psAux() throws Exception {
        Process p = new ProcessBuilder(PYTHON, "-c", "import resource, subprocess\n"
                + "for _ in range(20):\n"
                + "    subprocess.run(['ps', 'aux'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                + "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                + "print(int((r.ru_utime + r.ru_stime) * 1e9))\n")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("ps aux did not finish");
        }
        return Long.parseLong(out);
    }

    // ---- the process ----

    /** Starts parked threads until this JVM has {@code n} tasks. */
    private static void topUpThreads(int n, CountDownLatch release) throws InterruptedException {
        long have = count(Path.of("/proc/self/task"));
        for (long i = have; i < n; i++) {
            Thread t = new Thread(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "parked-" + i);
            t.setDaemon(true);
            t.start();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count(Path.of("/proc/self/task")) < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static int uid() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    private static long count(Path dir) {
        try (var s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }




    private static double pct(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
