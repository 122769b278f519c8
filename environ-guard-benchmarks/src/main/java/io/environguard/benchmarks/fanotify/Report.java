package io.environguard.benchmarks.fanotify;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.LongStream;

/**
 * Turns the rounds into the results table (medians of per-round values, with min..max) and the
 * machine-readable JSON file, and says for each goal of issue 3 whether it was met.
 */
final class Report {

    static final double GOAL_CPU_RATIO = 1.5;
    static final double GOAL_DRAIN_RATE = 150_000;
    static final double GOAL_VS_OFF = 1.15;
    static final double GOAL_VS_C = 1.05;
    static final double GOAL_P50_MICROS = 250;
    static final double GOAL_P99_MICROS = 2000;

    private final FanotifyBench.Options options;
    private final Map<String, Object> environment;
    private final List<Measurements.Round> rounds;
    private final Map<String, Object> summary = new LinkedHashMap<>();
    private final StringBuilder table = new StringBuilder();

    Report(FanotifyBench.Options options, Map<String, Object> environment, List<Measurements.Round> rounds) {
        this.options = options;
        this.environment = environment;
        this.rounds = rounds;
        build();
    }

    static Map<String, Object> environment() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("date", Instant.now().toString());
        env.put("kernel", read("/proc/sys/kernel/osrelease"));
        env.put("java", System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vm.name")
                + ", " + System.getProperty("java.vendor") + ")");
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("cpu_model", cpuModel());
        env.put("fanotify_max_queued_events", read("/proc/sys/fs/fanotify/max_queued_events"));
        env.put("loadavg_start", loadAverage());
        return env;
    }

    static String loadAverage() {
        return read("/proc/loadavg");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** One read: an integer sysctl read from a non-zero offset returns end of file (Files.readString would get one digit). */
    private static String read(String path) {
        byte[] buffer = new byte[4096];
        try (InputStream in = new FileInputStream(path)) {
            int n = in.read(buffer);
            return n <= 0 ? "unknown" : new String(buffer, 0, n, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    String table() {
        return table.toString();
    }

    private void line(String format, Object... args) {
        table.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private void build() {
        line("environ-guard fanotify benchmark: %d round(s), medians of per-round values [min .. max]", rounds.size());
        line("kernel %s, Java %s, %s CPU(s), load average %s at start, %s at end", environment.get("kernel"),
                environment.get("java"), environment.get("cpus"), first3(environment.get("loadavg_start")),
                first3(environment.get("loadavg_end")));
        Summary.Spread background = spread(Measurements.Round::backgroundOpensPerSecond);
        line("background: other processes opened %,.0f /proc files per second [%,.0f .. %,.0f] (idle second per round)",
                background.median(), background.min(), background.max());
        summary.put("background_proc_opens_per_second", json(background));
        line("");
        drain();
        overhead();
        latency();
        sweep();
    }

    private static String first3(Object loadavg) {
        String[] w = String.valueOf(loadavg).split(" ");
        return w.length >= 3 ? w[0] + " " + w[1] + " " + w[2] : String.valueOf(loadavg);
    }

    // ---- drain -------------------------------------------------------------------------------------------

    private void drain() {
        Summary.Spread cCpu = spread(r -> r.drain().get("C").cpuMicrosPerEvent());
        Summary.Spread jCpu = spread(r -> r.drain().get("Java").cpuMicrosPerEvent());
        Summary.Spread jReader = spread(r -> r.drain().get("Java").readerCpuMicrosPerEvent());
        Summary.Spread ratio = spread(r -> r.drain().get("Java").cpuMicrosPerEvent() / r.drain().get("C").cpuMicrosPerEvent());
        Summary.Spread cRate = spread(r -> r.drain().get("C").eventsPerSecond());
        Summary.Spread jRate = spread(r -> r.drain().get("Java").eventsPerSecond());
        Summary.Spread cEvents = spread(r -> (double) r.drain().get("C").events());
        Summary.Spread jEvents = spread(r -> (double) r.drain().get("Java").events());
        line("Listener CPU per /proc event, draining a backlog of %d opens queued while it was stopped", options.burstEvents());
        line("  %-34s %-28s %-28s %s", "", "C reference", "Java guard", "Java / C");
        line("  %-34s %-28s %-28s %s", "CPU per event, whole process", us(cCpu), us(jCpu), ratio(ratio));
        line("  %-34s %-28s %-28s", "CPU per event, Java reader thread", "-", us(jReader));
        line("  %-34s %-28s %-28s", "drain rate", rate(cRate), rate(jRate));
        line("  %-34s %-28s %-28s", "events drained", count(cEvents), count(jEvents));
        boolean cpuMet = ratio.median() <= GOAL_CPU_RATIO;
        boolean rateMet = jRate.median() >= GOAL_DRAIN_RATE;
        line("  goal: Java CPU per event <= %.1fx C: %s; Java drain rate >= %,.0f/s: %s", GOAL_CPU_RATIO, met(cpuMet),
                GOAL_DRAIN_RATE, met(rateMet));
        line("");
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("cpu_us_per_event_c", json(cCpu));
        s.put("cpu_us_per_event_java", json(jCpu));
        s.put("cpu_us_per_event_java_reader_thread", json(jReader));
        s.put("cpu_ratio_java_to_c", json(ratio));
        s.put("events_per_second_c", json(cRate));
        s.put("events_per_second_java", json(jRate));
        s.put("goal_cpu_ratio_met", cpuMet);
        s.put("goal_drain_rate_met", rateMet);
        summary.put("drain", s);
    }

    // ---- host overhead -----------------------------------------------------------------------------------

    private void overhead() {
        line("Host overhead: workload time with a listener / without one (wall time; the workload's own CPU time)");
        line("  %-34s %-28s %-28s %s", "", "C listener / none", "Java guard / none", "Java / C");
        Map<String, Object> s = new LinkedHashMap<>();
        List<Boolean> goals = new ArrayList<>();
        for (String workload : List.of("ps", "opens")) {
            String label = workload.equals("ps") ? "ps aux x" + options.psRuns() : "open+read /proc/P/stat x" + options.opens();
            Function<Measurements.Overhead, Long> wall = workload.equals("ps") ? Measurements.Overhead::psNanos
                    : Measurements.Overhead::opensNanos;
            Function<Measurements.Overhead, Long> cpu = workload.equals("ps") ? Measurements.Overhead::psCpuNanos
                    : Measurements.Overhead::opensCpuNanos;
            Summary.Spread cOff = spread(r -> ratio(r, "C", "none", wall));
            Summary.Spread jOff = spread(r -> ratio(r, "Java", "none", wall));
            Summary.Spread jC = spread(r -> ratio(r, "Java", "C", wall));
            Summary.Spread cOffCpu = spread(r -> ratio(r, "C", "none", cpu));
            Summary.Spread jOffCpu = spread(r -> ratio(r, "Java", "none", cpu));
            Summary.Spread jCCpu = spread(r -> ratio(r, "Java", "C", cpu));
            Summary.Spread base = spread(r -> wall.apply(r.overhead().get("none")) / 1e6);
            line("  %-34s %-28s %-28s %s", label + ", wall", ratio(cOff), ratio(jOff), ratio(jC));
            line("  %-34s %-28s %-28s %s", label + ", CPU", ratio(cOffCpu), ratio(jOffCpu), ratio(jCCpu));
            line("  %-34s %.1f ms [%.1f .. %.1f]", "  (no listener: wall time)", base.median(), base.min(), base.max());
            boolean offMet = jOff.median() <= GOAL_VS_OFF;
            boolean cMet = jC.median() <= GOAL_VS_C;
            goals.add(offMet);
            goals.add(cMet);
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("wall_ratio_c_to_none", json(cOff));
            w.put("wall_ratio_java_to_none", json(jOff));
            w.put("wall_ratio_java_to_c", json(jC));
            w.put("cpu_ratio_c_to_none", json(cOffCpu));
            w.put("cpu_ratio_java_to_none", json(jOffCpu));
            w.put("cpu_ratio_java_to_c", json(jCCpu));
            w.put("wall_ms_none", json(base));
            w.put("goal_java_within_1_15_of_none_met", offMet);
            w.put("goal_java_within_1_05_of_c_met", cMet);
            s.put(workload, w);
        }
        // The listener's whole CPU time over the loop, not per event: a listener that suppresses repeated opens
        // of one file (ignore marks) reads a handful of events, and a per-event figure would mean nothing.
        Summary.Spread cSteady = spread(r -> r.overhead().get("C").opensListenerCpu() / 1e6);
        Summary.Spread jSteady = spread(r -> r.overhead().get("Java").opensListenerCpu() / 1e6);
        Summary.Spread cSteadyEv = spread(r -> (double) r.overhead().get("C").opensEvents());
        Summary.Spread jSteadyEv = spread(r -> (double) r.overhead().get("Java").opensEvents());
        Summary.Spread jSteadyRatio = spread(r -> (double) r.overhead().get("Java").opensListenerCpu()
                / r.overhead().get("C").opensListenerCpu());
        line("  %-34s %-28s %-28s %s", "listener CPU over the open loop", ms(cSteady), ms(jSteady), ratio(jSteadyRatio));
        line("  %-34s %-28s %-28s", "  events read in the open loop", count(cSteadyEv), count(jSteadyEv));
        line("  goals: ps aux, Java <= %.2fx none: %s, <= %.2fx C: %s; open loop, Java <= %.2fx none: %s,"
                + " <= %.2fx C: %s", GOAL_VS_OFF, met(goals.get(0)), GOAL_VS_C, met(goals.get(1)), GOAL_VS_OFF,
                met(goals.get(2)), GOAL_VS_C, met(goals.get(3)));
        line("");
        s.put("listener_cpu_ms_open_loop_c", json(cSteady));
        s.put("listener_cpu_ms_open_loop_java", json(jSteady));
        summary.put("overhead", s);
    }

    private static double ratio(Measurements.Round r, String a, String b, Function<Measurements.Overhead, Long> f) {
        return (double) f.apply(r.overhead().get(a)) / f.apply(r.overhead().get(b));
    }

    // ---- latency -----------------------------------------------------------------------------------------

    private void latency() {
        line("Latency from a reader's open() to the alert at the sink (Java) / to the listener noticing it (C),"
                + " %d samples per round", options.latencySamples());
        line("  %-34s %-28s %-28s %s", "", "p50", "p99", "pooled p50 / p99 / max, missing");
        Map<String, Object> s = new LinkedHashMap<>();
        for (String[] series : new String[][] {{"Java", "sink"}, {"Java", "source"}, {"Java", "read"}, {"C", "sink"}}) {
            String who = series[0];
            boolean atSink = series[1].equals("sink");
            Function<Measurements.Latency, long[]> pick = atSink ? Measurements.Latency::sinkNanos
                    : series[1].equals("source") ? Measurements.Latency::sourceNanos : Measurements.Latency::readNanos;
            Summary.Spread p50 = spread(r -> micros(pick.apply(r.latency().get(who)), 50));
            Summary.Spread p99 = spread(r -> micros(pick.apply(r.latency().get(who)), 99));
            long[] pooled = rounds.stream().flatMapToLong(r -> LongStream.of(pick.apply(r.latency().get(who)))).toArray();
            int missing = rounds.stream().mapToInt(r -> r.latency().get(who).missing()).sum();
            String label = who.equals("C") ? "C listener notices the open"
                    : atSink ? "Java: alert reaches the sink"
                    : series[1].equals("source") ? "Java: access leaves the source" : "Java: reader thread reads it";
            line("  %-34s %-28s %-28s %s", label, us(p50), us(p99), pooled.length == 0 ? "-"
                    : String.format(Locale.ROOT, "%.0f / %.0f / %.0f us, %d", Summary.percentile(pooled, 50) / 1e3,
                    Summary.percentile(pooled, 99) / 1e3, Arrays.stream(pooled).max().getAsLong() / 1e3,
                    missing));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("p50_us", json(p50));
            m.put("p99_us", json(p99));
            if (pooled.length > 0) {
                m.put("pooled_p50_us", Summary.percentile(pooled, 50) / 1e3);
                m.put("pooled_p99_us", Summary.percentile(pooled, 99) / 1e3);
                m.put("pooled_max_us", Arrays.stream(pooled).max().getAsLong() / 1e3);
            }
            m.put("samples_matched", pooled.length);
            if (atSink) {
                m.put("missing", missing);
            }
            s.put(who.toLowerCase(Locale.ROOT) + "_" + series[1], m);
        }
        Summary.Spread cpuJvm = spread(r -> r.latency().get("Java").cpu().process());
        Summary.Spread cpuResolver = spread(r -> r.latency().get("Java").cpu().resolver());
        Summary.Spread cpuReader = spread(r -> r.latency().get("Java").cpu().reader());
        Summary.Spread cpuC = spread(r -> r.latency().get("C").cpu().process());
        line("  CPU per environ access: Java %.0f us [%.0f .. %.0f] (resolver thread %.0f, kernel-read thread %.0f);"
                + " C %.1f us", cpuJvm.median(), cpuJvm.min(), cpuJvm.max(), cpuResolver.median(), cpuReader.median(),
                cpuC.median());
        s.put("java_cpu_us_per_access", json(cpuJvm));
        s.put("java_resolver_cpu_us_per_access", json(cpuResolver));
        s.put("java_reader_cpu_us_per_access", json(cpuReader));
        s.put("c_cpu_us_per_access", json(cpuC));
        Summary.Spread p50 = spread(r -> micros(r.latency().get("Java").sinkNanos(), 50));
        Summary.Spread p99 = spread(r -> micros(r.latency().get("Java").sinkNanos(), 99));
        boolean p50Met = p50.median() <= GOAL_P50_MICROS;
        boolean p99Met = p99.median() <= GOAL_P99_MICROS;
        line("  goal: Java p50 <= %.0f us: %s; p99 <= %.0f us: %s", GOAL_P50_MICROS, met(p50Met), GOAL_P99_MICROS, met(p99Met));
        line("");
        s.put("goal_p50_met", p50Met);
        s.put("goal_p99_met", p99Met);
        summary.put("latency", s);
    }

    private static double micros(long[] nanos, double p) {
        return nanos.length == 0 ? Double.NaN : Summary.percentile(nanos, p) / 1e3;
    }

    // ---- sweep -------------------------------------------------------------------------------------------

    private void sweep() {
        line("Sweep: one reader opens and reads the environ of %d processes as fast as it can", options.sweepTargets());
        Map<String, Object> s = new LinkedHashMap<>();
        boolean allSeen = true;
        for (String who : List.of("Java", "C")) {
            long missed = rounds.stream().mapToLong(r -> r.sweep().get(who).missed()).sum();
            long minDistinct = rounds.stream().mapToLong(r -> r.sweep().get(who).distinctTargets()).min().orElse(0);
            Summary.Spread elapsed = spread(r -> r.sweep().get(who).sweepElapsedNanos() / 1e6);
            Summary.Spread through = spread(r -> r.sweep().get(who).lastSeenNanos() < 0 ? Double.NaN
                    : r.sweep().get(who).lastSeenNanos() / 1e6);
            Map<String, Long> losses = new java.util.TreeMap<>();
            Map<String, Long> rules = new java.util.TreeMap<>();
            for (Measurements.Round r : rounds) {
                r.sweep().get(who).lossesByCause().forEach((k, v) -> losses.merge(k, v, Long::sum));
                r.sweep().get(who).alertsByRule().forEach((k, v) -> rules.merge(k, v, Long::sum));
            }
            line("  %-6s missed %d of %d opens over %d round(s); fewest distinct targets seen in a round %d;"
                    + " sweep took %.1f ms [%.1f .. %.1f]", who, missed, (long) options.sweepTargets() * rounds.size(),
                    rounds.size(), minDistinct, elapsed.median(), elapsed.min(), elapsed.max());
            line("         the last of the sweep's opens left the %s %.1f ms [%.1f .. %.1f] after the first was made",
                    who.equals("Java") ? "source" : "listener", through.median(), through.min(), through.max());
            if (who.equals("Java")) {
                line("         alerts for the sweeping reader, all rounds: %s", rules);
                allSeen = missed == 0 && minDistinct == options.sweepTargets();
            }
            line("         loss reports while the sweeps ran (host-wide, any process): %s", losses.isEmpty() ? "none" : losses);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("missed", missed);
            m.put("min_distinct_targets", minDistinct);
            m.put("elapsed_ms", json(elapsed));
            m.put("last_seen_ms", json(through));
            m.put("losses_host_wide", losses);
            if (who.equals("Java")) {
                m.put("alerts_for_reader", rules);
            }
            s.put(who.toLowerCase(Locale.ROOT), m);
        }
        line("  goal: zero of the sweep's events lost (Java): %s", met(allSeen));
        s.put("goal_zero_lost_met", allSeen);
        summary.put("sweep", s);
    }

    // ---- formatting --------------------------------------------------------------------------------------

    private Summary.Spread spread(ToDoubleFunction<Measurements.Round> f) {
        List<Double> values = new ArrayList<>();
        for (Measurements.Round r : rounds) {
            double v = f.applyAsDouble(r);
            if (!Double.isNaN(v)) {
                values.add(v);
            }
        }
        return Summary.spread(values);
    }

    private static String us(Summary.Spread s) {
        return String.format(Locale.ROOT, "%.2f us [%.2f .. %.2f]", s.median(), s.min(), s.max());
    }

    private static String ms(Summary.Spread s) {
        return String.format(Locale.ROOT, "%.1f ms [%.1f .. %.1f]", s.median(), s.min(), s.max());
    }

    private static String ratio(Summary.Spread s) {
        return String.format(Locale.ROOT, "%.3f [%.3f .. %.3f]", s.median(), s.min(), s.max());
    }

    private static String rate(Summary.Spread s) {
        return String.format(Locale.ROOT, "%,.0f/s [%,.0f .. %,.0f]", s.median(), s.min(), s.max());
    }

    private static String count(Summary.Spread s) {
        return String.format(Locale.ROOT, "%,.0f [%,.0f .. %,.0f]", s.median(), s.min(), s.max());
    }

    private static String met(boolean met) {
        return met ? "MET" : "MISSED";
    }

    private static Map<String, Object> json(Summary.Spread s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median", s.median());
        m.put("min", s.min());
        m.put("max", s.max());
        m.put("n", s.n());
        return m;
    }

    // ---- JSON --------------------------------------------------------------------------------------------

    String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("command", "bash environ-guard-benchmarks/harness/run-fanotify-bench.sh");
        root.put("environment", environment);
        root.put("options", Map.of("rounds", options.rounds(), "opens", options.opens(), "ps_runs", options.psRuns(),
                "burst_events", options.burstEvents(), "burst_children", options.burstChildren(),
                "latency_samples", options.latencySamples(), "latency_gap_us", options.latencyGapMicros(),
                "latency_hold_ms", options.latencyHoldMillis(), "sweep_targets", options.sweepTargets(),
                "listener_jvm_args", options.listenerJvmArgs()));
        root.put("summary", summary);
        List<Object> raw = new ArrayList<>();
        for (Measurements.Round r : rounds) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", r.index());
            m.put("order", r.order());
            m.put("background_proc_opens_per_second", r.backgroundOpensPerSecond());
            m.put("drain", r.drain());
            m.put("overhead_order", new ArrayList<>(r.overhead().keySet()));
            m.put("overhead", r.overhead());
            Map<String, Object> lat = new LinkedHashMap<>();
            r.latency().forEach((who, l) -> {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("samples", l.samples());
                x.put("missing", l.missing());
                x.put("sink_p50_us", micros(l.sinkNanos(), 50));
                x.put("sink_p99_us", micros(l.sinkNanos(), 99));
                x.put("source_p50_us", micros(l.sourceNanos(), 50));
                x.put("source_p99_us", micros(l.sourceNanos(), 99));
                x.put("read_p50_us", micros(l.readNanos(), 50));
                x.put("read_p99_us", micros(l.readNanos(), 99));
                x.put("cpu_us_per_access", l.cpu());
                lat.put(who, x);
            });
            m.put("latency", lat);
            m.put("sweep", r.sweep());
            raw.add(m);
        }
        root.put("rounds", raw);
        StringBuilder out = new StringBuilder();
        write(out, root, "");
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object v, String indent) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof Map<?, ?> map) {
            out.append("{");
            String inner = indent + "  ";
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(first ? "\n" : ",\n").append(inner);
                string(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), inner);
                first = false;
            }
            out.append(first ? "}" : "\n" + indent + "}");
        } else if (v instanceof List<?> list) {
            out.append("[");
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : ", ");
                write(out, list.get(i), indent);
            }
            out.append("]");
        } else if (v instanceof Record record) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (var c : record.getClass().getRecordComponents()) {
                try {
                    Object value = c.getAccessor().invoke(record);
                    fields.put(c.getName(), value instanceof long[] a ? a.length + " values" : value);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            write(out, fields, indent);
        } else if (v instanceof Double d) {
            out.append(d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.6g", d));
        } else if (v instanceof Number || v instanceof Boolean) {
            out.append(v);
        } else {
            string(out, v.toString());
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        out.append(String.format("\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        out.append('"');
    }
}
