package io.environguard.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the time of {@code environ-guard run -- true} goes, for BENCHMARKS.md: runs it {@code --runs} times with the
 * guard's phase lines on ({@code -Dorg.slf4j.simpleLogger.log.io.environguard=debug}, and for the pipeline's
 * {@code ...log.io.environguard.EnvironGuard=debug}: each {@code phase: ...} DEBUG line
 * of the CLI, the CI guard, the pipeline and the fanotify source, time-stamped to the millisecond), and prints, per
 * phase, the median time from the JVM's launch (taken by this harness just before it starts the process) and the
 * median of each run's wall time and CPU time ({@code /usr/bin/time}). Run as root (the host source).
 *
 * <pre>
 * java -cp environ-guard-benchmarks/target/classes io.environguard.benchmarks.CiRunPhases \
 *     (--cli-jar samples/cli/target/environ-guard-cli.jar | --launcher DIST/bin/environ-guard) --runs 9 \
 *     [--java-option -XX:TieredStopAtLevel=1]...
 * </pre>
 *
 * <p>Phases come in the order the run makes them; one that a run did not log (a source other than fanotify) is left
 * out. The guard's ignore marks are restricted to this harness's processes ({@code ignore-marks-within}), as every
 * harness on a shared machine must.
 */
public final class CiRunPhases {

    private static final Pattern PHASE = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(?:Z|[+-]\\d\\d:\\d\\d)) \\[DEBUG\\] \\S+ - phase: ([^:]+?)(?:: .*)?$");

    private CiRunPhases() {
    }

    public static void main(String[] args) throws Exception {
        Path cliJar = null;
        Path launcher = null;
        int runs = 9;
        List<String> javaOptions = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cli-jar": cliJar = Path.of(args[++i]).toAbsolutePath(); break;
                case "--launcher": launcher = Path.of(args[++i]).toAbsolutePath(); break;
                case "--runs": runs = Integer.parseInt(args[++i]); break;
                case "--java-option": javaOptions.add(args[++i]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if ((cliJar == null) == (launcher == null) || !Files.isRegularFile(cliJar != null ? cliJar : launcher)) {
            throw new IllegalArgumentException("one of --cli-jar PATH (the shaded environ-guard-cli.jar) or --launcher PATH"
                    + " (bin/environ-guard of an unpacked distribution)");
        }
        Path dir = Files.createTempDirectory("eg-ci-phases-");
        try {
            List<String> options = new ArrayList<>(javaOptions);
            options.addAll(List.of("-Denvironguard.source.fanotify.ignore-marks-within=" + ProcessHandle.current().pid(),
                    "-Dorg.slf4j.simpleLogger.log.io.environguard=debug",
                    "-Dorg.slf4j.simpleLogger.log.io.environguard.EnvironGuard=debug"));
            List<String> command = new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %U %S", "-o",
                    dir.resolve("time.txt").toString()));
            Map<String, String> env = new HashMap<>();
            if (launcher != null) {
                // the launcher's own JVM options (C1 only, its class data sharing archive) come first, JAVA_OPTS after
                command.add(launcher.toString());
                env.put("JAVA_OPTS", String.join(" ", options));
            } else {
                command.add(ProcessHandle.current().info().command().orElse("java"));
                command.addAll(options);
                command.addAll(List.of("-jar", cliJar.toString()));
            }
            command.addAll(List.of("run", "--", "true"));
            System.out.printf(Locale.ROOT, "JDK %s; %d CPUs; %s; options %s; load %s%n", System.getProperty("java.version"),
                    Runtime.getRuntime().availableProcessors(), launcher != null ? launcher : cliJar, javaOptions, load());
            run(command, env, dir); // warm-up (the page cache), not counted
            Map<String, List<Double>> phases = new LinkedHashMap<>();
            double[] wall = new double[runs];
            double[] cpu = new double[runs];
            for (int r = 0; r < runs; r++) {
                Map<String, Double> one = run(command, env, dir);
                String[] t = Files.readString(dir.resolve("time.txt")).trim().split("\\s+");
                wall[r] = Double.parseDouble(t[t.length - 3]);
                cpu[r] = Double.parseDouble(t[t.length - 2]) + Double.parseDouble(t[t.length - 1]);
                one.forEach((k, v) -> phases.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            }
            System.out.printf(Locale.ROOT, "%-92s %9s %9s %9s%n", "phase (ms from launch)", "median", "min", "max");
            for (Map.Entry<String, List<Double>> e : phases.entrySet()) {
                double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
                System.out.printf(Locale.ROOT, "%-92s %9.0f %9.0f %9.0f%n", e.getKey() + " (" + v.length + " runs)", median(v),
                        Arrays.stream(v).min().orElse(0), Arrays.stream(v).max().orElse(0));
            }
            System.out.printf(Locale.ROOT, "run -- true: wall median %.2f s (min %.2f, max %.2f), CPU median %.2f s; load %s%n",
                    median(wall), Arrays.stream(wall).min().orElse(0), Arrays.stream(wall).max().orElse(0), median(cpu), load());
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** One run: each phase's first time, in ms from the launch; the JVM's exit as "process ended". */
    private static Map<String, Double> run(List<String> command, Map<String, String> env, Path dir)
            throws IOException, InterruptedException {
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        long launchedMillis = System.currentTimeMillis();
        long launched = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new IllegalStateException("the run did not end within 2 minutes");
        }
        double ended = (System.nanoTime() - launched) / 1e6;
        if (p.exitValue() != 0) {
            throw new IllegalStateException("the run exited with " + p.exitValue() + ":\n" + Files.readString(err));
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
            Matcher m = PHASE.matcher(line);
            if (m.matches()) {
                long at = OffsetDateTime.parse(m.group(1)).toInstant().toEpochMilli();
                out.putIfAbsent(m.group(2).trim(), (double) (at - launchedMillis));
            }
        }
        out.put("process ended (the JVM exited)", ended);
        return out;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().replaceAll(" [0-9]+/[0-9]+ [0-9]+$", "");
        } catch (IOException e) {
            return "?";
        }
    }

    private static double median(double[] values) {
        return OrderBalance.median(values);
    }
}
