package io.environguard.benchmarks.fanotify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The fanotify benchmark: the Java guard and a C reference listener with the same fanotify group and mark,
 * measured side by side in the same run, in rounds whose order alternates, reported as medians of per-round
 * values with their spread. Run it through {@code harness/run-fanotify-bench.sh} (as root), which builds the
 * C programs and this jar first.
 *
 * <p>Each round measures:
 * <ol>
 *   <li><b>drain</b>: the load generator stops the listener (SIGSTOP), queues a backlog of {@code /proc} opens
 *       over distinct files (so the kernel cannot merge them), opens a marker environ file last and resumes
 *       the listener; CPU per event is the listener's CPU time over the records it read, the drain rate those
 *       records over the time from SIGCONT until the marker came out of the listener;</li>
 *   <li><b>host overhead</b>: an open loop over {@code /proc/<pid>/stat} and repeated {@code ps aux}, with no
 *       listener, the C listener and the Java guard, in an order that rotates from round to round;</li>
 *   <li><b>latency</b>: fresh readers open a target's environ one at a time; each stamps CLOCK_MONOTONIC
 *       before its {@code open}, the sink stamps {@code System.nanoTime()} (the same clock) on arrival;</li>
 *   <li><b>sweep</b>: one reader opens the environ of N processes as fast as it can; every open must arrive.</li>
 * </ol>
 * One extra round runs first as a warm-up (JIT, page cache) and is not reported.
 *
 * <pre>{@code
 * java -cp environ-guard-benchmarks.jar io.environguard.benchmarks.fanotify.FanotifyBench \
 *     --bin=environ-guard-benchmarks/target/harness --rounds=7 --out=fanotify-bench.json
 * }</pre>
 * Only processes the harness starts are touched: its listeners, the load generator and the load generator's
 * own children (which die with it).
 */
public final class FanotifyBench {

    /** The options, each {@code --name=value}; see {@link #parse}. */
    record Options(int rounds, int opens, int psRuns, int burstEvents, int burstChildren, int latencySamples,
                   int latencyGapMicros, int latencyHoldMillis, int sweepTargets, Path bin, Path out, Path log,
                   List<String> listenerJvmArgs) {

        static Options parse(String[] args) {
            Map<String, String> v = new HashMap<>();
            List<String> jvmArgs = new ArrayList<>();
            for (String a : args) {
                if (!a.startsWith("--") || !a.contains("=")) {
                    throw new IllegalArgumentException("expected --name=value, got " + a);
                }
                String name = a.substring(2, a.indexOf('='));
                String value = a.substring(a.indexOf('=') + 1);
                if (name.equals("listener-jvm-arg")) {
                    jvmArgs.add(value);
                } else {
                    v.put(name, value);
                }
            }
            Options o = new Options(
                    intOption(v, "rounds", 7, 1, 100),
                    intOption(v, "opens", 50_000, 1000, 10_000_000),
                    intOption(v, "ps-runs", 30, 1, 10_000),
                    intOption(v, "burst-events", 200_000, 1000, 10_000_000),
                    intOption(v, "burst-children", 800, 1, 4000),
                    intOption(v, "latency-samples", 500, 10, 100_000),
                    intOption(v, "latency-gap-us", 2000, 100, 1_000_000),
                    intOption(v, "latency-hold-ms", 50, 0, 10_000),
                    intOption(v, "sweep-targets", 1000, 10, 4000),
                    Path.of(v.getOrDefault("bin", "environ-guard-benchmarks/target/harness")),
                    Path.of(v.getOrDefault("out", "environ-guard-benchmarks/target/fanotify-bench.json")),
                    Path.of(v.getOrDefault("log", "environ-guard-benchmarks/target/fanotify-bench.log")),
                    List.copyOf(jvmArgs));
            v.keySet().removeAll(List.of("rounds", "opens", "ps-runs", "burst-events", "burst-children",
                    "latency-samples", "latency-gap-us", "latency-hold-ms", "sweep-targets", "bin", "out", "log"));
            if (!v.isEmpty()) {
                throw new IllegalArgumentException("unknown option(s): " + v.keySet());
            }
            return o;
        }

        private static int intOption(Map<String, String> v, String name, int def, int min, int max) {
            String s = v.get(name);
            if (s == null) {
                return def;
            }
            int n;
            try {
                n = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + ": not a number");
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException("--" + name + ": expected " + min + ".." + max);
            }
            return n;
        }
    }

    private static final Duration LONG = Duration.ofSeconds(120);

    private final Options options;

    private FanotifyBench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("fanotify bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(new FanotifyBench(options).run());
    }

    private int run() throws Exception {
        Files.createDirectories(options.out().toAbsolutePath().getParent());
        Files.deleteIfExists(options.log());
        Files.createFile(options.log());
        Map<String, Object> environment = Report.environment();
        System.out.printf("fanotify bench: %d round(s) after a warm-up round; harness log %s%n",
                options.rounds(), options.log());
        List<Measurements.Round> rounds = new ArrayList<>();
        try (Listener c = Listener.reference(options.bin(), options.log());
             Listener guard = Listener.guard(javaCommand(), options.log())) {
            for (int r = 0; r <= options.rounds(); r++) {
                long t0 = System.nanoTime();
                Measurements.Round round = round(r, c, guard);
                System.out.printf("  %s %d done in %.1f s%n", r == 0 ? "warm-up round" : "round", r,
                        (System.nanoTime() - t0) / 1e9);
                if (r > 0) {
                    rounds.add(round);
                }
            }
        }
        environment.put("loadavg_end", Report.loadAverage());
        Report report = new Report(options, environment, rounds);
        System.out.println();
        System.out.print(report.table());
        Files.writeString(options.out(), report.json());
        System.out.println("machine-readable results: " + options.out());
        return 0;
    }

    private List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        // This machine is shared: the guard may put ignore marks only on files of processes this harness
        // started (all of them descend from this JVM), never on other processes' files. Production guards
        // leave the key unset and mark any file that is neither environ nor mem.
        cmd.add("-Denvironguard.source.fanotify.ignore-marks-within=" + ProcessHandle.current().pid());
        cmd.addAll(options.listenerJvmArgs());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(GuardListenerMain.class.getName());
        return cmd;
    }

    private Measurements.Round round(int index, Listener c, Listener guard) throws InterruptedException {
        List<Listener> order = index % 2 == 0 ? List.of(c, guard) : List.of(guard, c);
        double background = background(c);
        Map<String, Measurements.Drain> drain = new LinkedHashMap<>();
        for (Listener l : order) {
            drain.put(l.name(), drain(l));
        }
        List<Listener> conditions = new ArrayList<>(Arrays.asList(null, c, guard));
        Collections.rotate(conditions, index);
        Map<String, Measurements.Overhead> overhead = new LinkedHashMap<>();
        for (Listener l : conditions) {
            overhead.put(l == null ? "none" : l.name(), overhead(l));
        }
        Map<String, Measurements.Latency> latency = new LinkedHashMap<>();
        for (Listener l : order) {
            latency.put(l.name(), latency(l));
        }
        Map<String, Measurements.Sweep> sweep = new LinkedHashMap<>();
        for (Listener l : order) {
            sweep.put(l.name(), sweep(l));
        }
        return new Measurements.Round(index, order.stream().map(Listener::name).toList(), background, drain, overhead,
                latency, sweep);
    }

    /**
     * {@code /proc} opens per second made by everything else on the machine (other builds, agents), counted by
     * the C listener over one idle second: the noise every figure of the round is measured against.
     */
    private static double background(Listener c) throws InterruptedException {
        c.start();
        try {
            ListenerStats before = c.stats();
            long t0 = System.nanoTime();
            Thread.sleep(1000);
            ListenerStats after = c.stats();
            return (after.events() - before.events()) * 1e9 / (System.nanoTime() - t0);
        } finally {
            c.stop();
        }
    }

    private LineProcess loadgen(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(options.bin().resolve("loadgen").toString());
        cmd.addAll(List.of(args));
        return LineProcess.start("loadgen " + args[0], cmd, options.log());
    }

    /** Runs a one-shot load generator mode and returns the numbers of its result line. */
    private Map<String, Long> runLoadgen(String resultPrefix, String... args) {
        try (LineProcess gen = loadgen(args)) {
            String line = gen.await(resultPrefix, LONG);
            int status = gen.waitFor(Duration.ofSeconds(30));
            if (status != 0) {
                throw new IllegalStateException("loadgen " + String.join(" ", args) + " failed (" + status + "): " + line);
            }
            return ListenerStats.keyValues(line);
        }
    }

    private Measurements.Drain drain(Listener l) throws InterruptedException {
        l.start();
        boolean resumed = false;
        try (LineProcess gen = loadgen("burst", Long.toString(l.pid()), Integer.toString(options.burstEvents()),
                Integer.toString(options.burstChildren()))) {
            gen.await("prepared", LONG);
            l.settle();
            ListenerStats before = l.stats();
            gen.send("go");
            Map<String, Long> burst = ListenerStats.keyValues(gen.await("burst ", LONG));
            resumed = true;
            long reader = burst.get("reader");
            if (!Listener.waitUntil(() -> l.seen(reader) >= 0, LONG)) {
                throw new IllegalStateException(l.name() + " listener never saw the marker of the drain");
            }
            long seenAt = l.seen(reader);
            ListenerStats after = l.stats();
            gen.send("done");
            gen.waitFor(Duration.ofSeconds(30));
            l.dump();
            return new Measurements.Drain(after.events() - before.events(), after.cpuNanos() - before.cpuNanos(),
                    after.readerCpuNanos() < 0 ? -1 : after.readerCpuNanos() - before.readerCpuNanos(),
                    seenAt - burst.get("cont_ns"));
        } finally {
            if (!resumed) {
                resume(l.pid());
            }
            l.stop();
        }
    }

    /**
     * Sends SIGCONT to a listener this harness started, in case the load generator stopped it and failed
     * before resuming it (Java has no API for SIGCONT; {@code kill} is given this one pid).
     */
    private static void resume(long listenerPid) {
        try {
            new ProcessBuilder("kill", "-CONT", Long.toString(listenerPid)).inheritIO().start().waitFor();
        } catch (IOException e) {
            System.err.println("fanotify bench: cannot resume listener " + listenerPid + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Measurements.Overhead overhead(Listener l) throws InterruptedException {
        if (l != null) {
            l.start();
            l.settle();
        }
        try {
            ListenerStats s0 = l == null ? null : l.stats();
            Map<String, Long> opens = runLoadgen("opens ", "opens", Integer.toString(options.opens()));
            if (l != null) {
                l.settle();
            }
            ListenerStats s1 = l == null ? null : l.stats();
            Map<String, Long> ps = runLoadgen("exec ", "exec", Integer.toString(options.psRuns()), "ps", "aux");
            if (l != null) {
                l.settle();
            }
            ListenerStats s2 = l == null ? null : l.stats();
            if (l != null) {
                l.dump();
            }
            return new Measurements.Overhead(opens.get("elapsed_ns"), opens.get("cpu_ns"), ps.get("elapsed_ns"),
                    ps.get("cpu_ns"),
                    l == null ? 0 : s1.events() - s0.events(), l == null ? 0 : s1.cpuNanos() - s0.cpuNanos(),
                    l == null ? 0 : s2.events() - s1.events(), l == null ? 0 : s2.cpuNanos() - s1.cpuNanos());
        } finally {
            if (l != null) {
                l.stop();
            }
        }
    }

    private Measurements.Latency latency(Listener l) throws InterruptedException {
        l.start();
        try (LineProcess gen = loadgen("latency", Integer.toString(options.latencySamples()),
                Integer.toString(options.latencyGapMicros()), Integer.toString(options.latencyHoldMillis()))) {
            ListenerStats before = l.stats();
            long hitsBefore = before.hits();
            Duration budget = Duration.ofMillis(30_000L
                    + 3L * options.latencySamples() * (options.latencyGapMicros() / 1000 + 1));
            Map<Long, Long> openedAt = new HashMap<>();
            Map<Long, Long> openedAtWall = new HashMap<>();
            long lastReader = -1;
            for (String line : gen.linesUntil("finished", budget)) {
                String[] w = line.split(" ");
                if (w[0].equals("open") && w.length == 5) {
                    lastReader = Long.parseLong(w[1]);
                    openedAt.put(lastReader, Long.parseLong(w[2]));
                    openedAtWall.put(lastReader, Long.parseLong(w[4]));
                }
            }
            long last = lastReader;
            Listener.waitUntil(() -> l.stats().hits() - hitsBefore >= openedAt.size() && l.seen(last) >= 0,
                    Duration.ofSeconds(10));
            Thread.sleep(200); // stragglers behind a foreign reader's alerts
            Measurements.AccessCpu cpu = Measurements.AccessCpu.between(before, l.stats());
            List<String> dump = l.dump();
            gen.send("done");
            gen.waitFor(Duration.ofSeconds(30));
            return matchLatencies(l, openedAt, openedAtWall, dump, cpu);
        } finally {
            l.stop();
        }
    }

    private static Measurements.Latency matchLatencies(Listener l, Map<Long, Long> openedAt,
                                                       Map<Long, Long> openedAtWall, List<String> dump,
                                                       Measurements.AccessCpu cpu) {
        Map<Long, Long> sink = new HashMap<>();
        Map<Long, Long> source = new HashMap<>();
        Map<Long, Long> read = new HashMap<>();
        for (String line : dump) {
            String[] w = line.split(" ");
            if (l.name().equals("C") && w[0].equals("hit")) {
                sink.putIfAbsent(Long.parseLong(w[2]), Long.parseLong(w[1]));
            } else if (w[0].equals("alert") && w.length >= 5) {
                sink.putIfAbsent(Long.parseLong(w[3]), Long.parseLong(w[1]));
            } else if (w[0].equals("access")) {
                source.putIfAbsent(Long.parseLong(w[2]), Long.parseLong(w[1]));
                read.putIfAbsent(Long.parseLong(w[2]), Long.parseLong(w[4]));
            }
        }
        List<Long> toSink = new ArrayList<>();
        List<Long> toSource = new ArrayList<>();
        List<Long> toRead = new ArrayList<>();
        int missing = 0;
        for (Map.Entry<Long, Long> e : openedAt.entrySet()) {
            Long s = sink.get(e.getKey());
            if (s == null) {
                missing++;
            } else {
                toSink.add(s - e.getValue());
            }
            Long a = source.get(e.getKey());
            if (a != null) {
                toSource.add(a - e.getValue());
                toRead.add(read.get(e.getKey()) - openedAtWall.get(e.getKey()));
            }
        }
        return new Measurements.Latency(openedAt.size(), toSink.stream().mapToLong(Long::longValue).toArray(),
                toSource.stream().mapToLong(Long::longValue).toArray(), toRead.stream().mapToLong(Long::longValue).toArray(),
                missing, cpu);
    }

    private Measurements.Sweep sweep(Listener l) throws InterruptedException {
        l.start();
        try (LineProcess gen = loadgen("sweep", Integer.toString(options.sweepTargets()))) {
            gen.await("prepared", LONG);
            l.settle();
            ListenerStats before = l.stats();
            gen.send("go");
            Map<String, Long> result = ListenerStats.keyValues(gen.await("sweep ", LONG));
            long reader = result.get("reader");
            long ok = result.get("ok");
            Listener.waitUntil(() -> l.count(reader) >= ok, Duration.ofSeconds(30));
            l.settle();
            ListenerStats after = l.stats();
            long seen = l.count(reader);
            List<String> dump = l.dump();
            gen.send("done");
            gen.waitFor(Duration.ofSeconds(30));
            Set<Long> targets = new HashSet<>();
            Map<String, Long> rules = new TreeMap<>();
            Map<String, Long> losses = new TreeMap<>();
            long last = Long.MIN_VALUE;
            for (String line : dump) {
                String[] w = line.split(" ");
                if (w[0].equals("hit") && Long.parseLong(w[2]) == reader) {
                    targets.add(pidInPath(w[3]));
                    last = Math.max(last, Long.parseLong(w[1]));
                } else if (w[0].equals("access") && Long.parseLong(w[2]) == reader) {
                    targets.add(Long.parseLong(w[3]));
                    last = Math.max(last, Long.parseLong(w[1]));
                } else if (w[0].equals("alert") && Long.parseLong(w[3]) == reader) {
                    rules.merge(w[2], 1L, Long::sum);
                } else if (w[0].equals("loss")) {
                    losses.merge(w[2], Long.parseLong(w[3]), Long::sum);
                }
            }
            if (l.name().equals("C") && after.lost() > before.lost()) {
                losses.put("fd_error_or_overflow", after.lost() - before.lost());
            }
            return new Measurements.Sweep((int) ok, seen, targets.size(), result.get("elapsed_ns"),
                    last == Long.MIN_VALUE ? -1 : last - result.get("start_ns"), rules, losses);
        } finally {
            l.stop();
        }
    }

    /** The pid in {@code /proc/<pid>/environ}, or -1. */
    static long pidInPath(String path) {
        String[] parts = path.split("/");
        if (parts.length >= 3 && parts[1].equals("proc")) {
            try {
                return Long.parseLong(parts[2]);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }
}
