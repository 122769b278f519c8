package io.environguard.benchmarks.fanotify;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.api.ProcessInfo;
import io.environguard.spi.AlertSink;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * What the process table (issue 11) costs and buys, measured with the real guard (fanotify host source, default
 * policy) in this JVM, as root:
 * <ul>
 *   <li>{@code catch N}: N short {@code cat} readers of one target's environ, run by a shell loop; how many of
 *       their alerts name the reader by exe, comm, ppid, uid and start time.</li>
 *   <li>{@code cost N ROUNDS}: N runs of {@code /bin/true} from a shell loop, with the guard off and on in
 *       alternating rounds (the order flips every round); the wall time ratio per pair, and the guard's CPU per
 *       exec (this JVM's CPU over the loop, divided by N).</li>
 *   <li>{@code starts N}: N background {@code sleep} processes forked and exec'd by a shell, with the table fed
 *       by the proc connector alone (no exec log, so each exec is read from {@code /proc}): how many start times
 *       derived from the fork message's timestamp the exact value from {@code /proc} confirmed or corrected.</li>
 *   <li>{@code idle SECONDS [EXTRA]}: this JVM's CPU while the guard watches and nothing of ours runs, with
 *       EXTRA idle {@code sleep} processes started first (to simulate a bigger host); the process events the
 *       guard saw meanwhile (other jobs on a shared machine) are reported next to it.</li>
 * </ul>
 * Every process it touches it started; ignore marks are limited to its own tree.
 *
 * <pre>
 * java -cp environ-guard-benchmarks.jar io.environguard.benchmarks.fanotify.ProcessTableBench catch 1000
 * java -cp environ-guard-benchmarks.jar io.environguard.benchmarks.fanotify.ProcessTableBench cost 20000 6
 * java -cp environ-guard-benchmarks.jar io.environguard.benchmarks.fanotify.ProcessTableBench idle 60 230
 * </pre>
 */
public final class ProcessTableBench {

    private ProcessTableBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: ProcessTableBench catch N | cost N ROUNDS | idle SECONDS [EXTRA] | starts N");
            System.exit(2);
        }
        System.out.println("load average at start: " + load());
        switch (args[0]) {
            case "catch" -> catchRate(Integer.parseInt(args[1]));
            case "cost" -> cost(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            case "idle" -> idle(Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 0);
            case "starts" -> starts(Integer.parseInt(args[1]));
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.println("load average at end: " + load());
    }

    private static EnvironGuard guard(AlertSink sink) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put("environguard.source", "fanotify");
        config.put("environguard.dispatch.queue.capacity", "65536");
        config.put("environguard.source.fanotify.ignore-marks-within", Long.toString(ProcessHandle.current().pid()));
        // -Denvironguard.process-table.exec-log=false and the like, for comparisons
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("environguard."))
                .forEach(k -> config.put(k, System.getProperty(k)));
        EnvironGuard.Builder b = EnvironGuard.builder().config(GuardConfig.of(config));
        b.addSink("bench", sink);
        return b.build().start();
    }

    /** Keeps alerts. */
    private static final class Collect implements AlertSink {
        final List<Alert> alerts = new CopyOnWriteArrayList<>();

        @Override
        public void publish(Alert alert) {
            alerts.add(alert);
        }
    }

    private static void catchRate(int n) throws Exception {
        Collect sink = new Collect();
        Process target = new ProcessBuilder("sleep", "600").start();
        try (EnvironGuard g = guard(sink)) {
            Process loop = new ProcessBuilder("sh", "-c", "for i in $(seq " + n + "); do cat /proc/" + target.pid()
                    + "/environ > /dev/null; done").start();
            if (!loop.waitFor(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the loop did not finish");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            List<ProcessInfo> readers = readersOf(sink, target.pid(), loop.pid());
            while (readers.size() < n && System.nanoTime() < deadline) {
                Thread.sleep(50);
                readers = readersOf(sink, target.pid(), loop.pid());
            }
            long exe = readers.stream().filter(r -> r.exe() != null && r.exe().endsWith("/cat")).count();
            long comm = readers.stream().filter(r -> "cat".equals(r.comm())).count();
            long full = readers.stream().filter(r -> r.exe() != null && r.exe().endsWith("/cat") && "cat".equals(r.comm())
                    && r.ppid() == loop.pid() && r.uid() >= 0 && r.startTime() > 0).count();
            long cmdline = readers.stream().filter(r -> !r.cmdline().isEmpty()).count();
            System.out.printf(Locale.ROOT, "catch: %d short cat readers, %d alerts; named by exe %d, comm %d, exe+comm+ppid"
                    + "+uid+start %d, with command line %d%n", n, readers.size(), exe, comm, full, cmdline);
            System.out.println("source metrics: " + g.stats().source());
        } finally {
            target.destroyForcibly();
        }
    }

    private static List<ProcessInfo> readersOf(Collect sink, long target, long loop) {
        return sink.alerts.stream().filter(a -> a.hasAccess() && a.access().target().pid() == target
                && a.access().reader().ppid() == loop && !"seq".equals(a.access().reader().comm()))
                .map(a -> a.access().reader()).toList();
    }

    private static void cost(int n, int rounds) throws Exception {
        List<Double> ratios = new ArrayList<>();
        List<Double> cpuPerExec = new ArrayList<>();
        List<Long> offMillis = new ArrayList<>();
        List<Long> onMillis = new ArrayList<>();
        runLoop(200); // warm the page cache and the shell
        for (int round = 0; round < rounds; round++) {
            boolean onFirst = round % 2 == 1;
            long off = 0;
            long on = 0;
            for (int leg = 0; leg < 2; leg++) {
                boolean guarded = (leg == 0) == onFirst;
                if (guarded) {
                    Collect sink = new Collect();
                    try (EnvironGuard g = guard(sink)) {
                        Thread.sleep(500); // the start's scan and JIT settle
                        Map<String, Long> threadsBefore = threadCpu();
                        long cpu = ProcessCpuClock.nanos();
                        on = runLoop(n);
                        long spent = ProcessCpuClock.nanos() - cpu;
                        Map<String, Long> threadsAfter = threadCpu();
                        StringBuilder perThread = new StringBuilder();
                        threadsAfter.forEach((name, t) -> {
                            long d = t - threadsBefore.getOrDefault(name, 0L);
                            if (d > 10_000_000L) {
                                perThread.append(String.format(Locale.ROOT, " %s=%.0fms", name, d / 1e6));
                            }
                        });
                        System.out.println("  threads:" + perThread);
                        Thread.sleep(200);
                        cpuPerExec.add((ProcessCpuClock.nanos() - cpu) / (double) n / 1000.0);
                        System.out.printf(Locale.ROOT, "  round %d guard on: %d ms, guard CPU %.1f ms over the loop"
                                + " (%.1f us per exec); events %s%n", round, on / 1_000_000, spent / 1e6,
                                spent / (double) n / 1000.0, g.stats().source());
                    }
                } else {
                    off = runLoop(n);
                    System.out.printf(Locale.ROOT, "  round %d guard off: %d ms%n", round, off / 1_000_000);
                }
            }
            ratios.add(on / (double) off);
            offMillis.add(off / 1_000_000);
            onMillis.add(on / 1_000_000);
        }
        System.out.printf(Locale.ROOT, "cost: %d x /bin/true, %d paired rounds; wall on/off median %.3f [%.3f .. %.3f];"
                        + " off %s ms, on %s ms; guard CPU per exec median %.1f us [%.1f .. %.1f]%n", n, rounds,
                median(ratios), Collections.min(ratios), Collections.max(ratios), offMillis, onMillis,
                median(cpuPerExec), Collections.min(cpuPerExec), Collections.max(cpuPerExec));
    }

    /** Runs the loop and returns its wall time in nanoseconds. */
    private static long runLoop(int n) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", "i=0; while [ $i -lt " + n + " ]; do /bin/true; i=$((i+1)); done")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("the loop did not finish");
        }
        return System.nanoTime() - t0;
    }

    private static void idle(int seconds, int extra) throws Exception {
        List<Process> sleepers = new ArrayList<>();
        try {
            for (int i = 0; i < extra; i++) {
                sleepers.add(new ProcessBuilder("sleep", Integer.toString(seconds + 120)).start());
            }
            long processes;
            try (var dirs = Files.list(Path.of("/proc"))) {
                processes = dirs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).count();
            }
            Collect sink = new Collect();
            try (EnvironGuard g = guard(sink)) {
                Thread.sleep(5_000); // start-up settles
                Map<String, Long> before = g.stats().source();
                long cpu = ProcessCpuClock.nanos();
                Thread.sleep(seconds * 1000L);
                long spent = ProcessCpuClock.nanos() - cpu;
                Map<String, Long> after = g.stats().source();
                long events = after.getOrDefault("process_events_read", 0L) - before.getOrDefault("process_events_read", 0L);
                long opens = after.getOrDefault("kernel_events_read", 0L) - before.getOrDefault("kernel_events_read", 0L);
                System.out.printf(Locale.ROOT, "idle: %d processes on the host (%d extra sleepers); guard CPU %.3f%% of"
                                + " a core over %d s (%.1f ms); meanwhile %d process events and %d /proc opens by other"
                                + " jobs; JVM threads %d%n", processes, extra, 100.0 * spent / (seconds * 1e9), seconds,
                        spent / 1e6, events, opens, ManagementFactory.getThreadMXBean().getThreadCount());
            }
        } finally {
            sleepers.forEach(Process::destroyForcibly);
        }
    }

    private static void starts(int n) throws Exception {
        java.nio.file.Path proc = Path.of("/proc");
        io.environguard.linux.process.ProcessTableSettings settings =
                io.environguard.linux.process.ProcessTableSettings.defaults().withExecLog(false);
        io.environguard.linux.process.ProcessTable table = new io.environguard.linux.process.ProcessTable(settings);
        try (io.environguard.linux.process.ProcConnectorFeed feed = io.environguard.linux.process.ProcConnectorFeed.start(
                table, settings, io.environguard.linux.process.ProcessProbe.host(proc,
                        io.environguard.linux.process.ContainerIds.forHost(proc),
                        io.environguard.linux.proc.ProcessInspector.BeforeOpen.NONE), loss -> { })) {
            Process loop = new ProcessBuilder("sh", "-c", "for i in $(seq " + n + "); do sleep 2 & done; wait").start();
            if (!loop.waitFor(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the loop did not finish");
            }
            feed.catchUp(TimeUnit.SECONDS.toNanos(5));
            long[] d = feed.derivedStarts();
            System.out.printf(Locale.ROOT, "starts: %d sleep processes; fork-derived start times confirmed by /proc %d,"
                    + " corrected %d (other processes on the host count too)%n", n, d[0], d[1]);
        }
    }

    /** CPU time of each live thread of this JVM, by name (threads of one name summed). */
    private static Map<String, Long> threadCpu() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> out = new HashMap<>();
        for (long id : mx.getAllThreadIds()) {
            java.lang.management.ThreadInfo info = mx.getThreadInfo(id);
            long t = mx.getThreadCpuTime(id);
            if (info != null && t > 0) {
                out.merge(info.getThreadName(), t, Long::sum);
            }
        }
        return out;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
