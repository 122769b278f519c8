package io.environguard.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The wall-time cost of {@code environ-guard run} on a real build, for BENCHMARKS.md: {@code mvn -q -o -B verify} of a
 * generated multi-module project (each module: main classes, JUnit 5 tests run in a forked JVM, a jar), plainly and
 * under {@code java -jar environ-guard-cli.jar run --} or, with {@code --launcher}, under the distribution's
 * {@code bin/environ-guard run --} (what users run: its JVM options and its class data sharing archive), in pairs whose order alternates (plain first, then guarded
 * first), each build from a clean tree. Reports each pair's wall-time ratio and CPU-time ratio (user + system of the
 * whole process tree, guard included, from {@code /usr/bin/time}: less sensitive than wall time to other load on a
 * shared machine), their medians, and the load average before and after; then the ratio split by order and balanced
 * over it ({@link OrderBalance}: the second build of a pair can profit from what the first left in the page cache, so
 * plain-first and guarded-first pairs err in opposite directions), and the order-balanced extra seconds of a guarded
 * build. {@code --warm-up-each} puts an uncounted build of the same command before every counted one, so that each
 * counted build follows one like it (twice the time).
 *
 * <pre>
 * java -cp environ-guard-benchmarks/target/classes io.environguard.benchmarks.CiRunOverhead \
 *     (--cli-jar samples/cli/target/environ-guard-cli.jar | --launcher DIST/bin/environ-guard) --modules 4 --pairs 8 \
 *     [--source targeted] [--guard-java-option -XX:TieredStopAtLevel=1]... [--warm-up-each]
 * </pre>
 *
 * <p>With {@code --launcher}, the guard's Java options go through {@code JAVA_OPTS} (set for the plain builds too, which
 * ignore it), and the harness says how many class data sharing archives the launcher's cache directory held before and
 * after the uncounted warm-up build: the warm-up writes the archive when there was none, so the counted builds run warm.
 *
 * <p>Offline against the local repository ({@code ~/.m2}): the generated project pins the plugin versions of this
 * project's own build. Run as root for the host source; the guard places ignore marks only on files of this harness's
 * processes ({@code ignore-marks-within}), as every harness on a shared machine must.
 */
public final class CiRunOverhead {

    private static final String JUNIT = "5.14.4";
    private static final String[][] PLUGINS = {
        {"maven-resources-plugin", "3.5.0"}, {"maven-compiler-plugin", "3.16.0"},
        {"maven-surefire-plugin", "3.6.1"}, {"maven-jar-plugin", "3.5.1"}};

    private CiRunOverhead() {
    }

    public static void main(String[] args) throws Exception {
        Path cliJar = null;
        Path launcher = null;
        int modules = 4;
        int pairs = 8;
        String source = null;
        boolean warmUpEach = false;
        List<String> javaOptions = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--cli-jar": cliJar = Path.of(args[++i]).toAbsolutePath(); break;
                case "--launcher": launcher = Path.of(args[++i]).toAbsolutePath(); break;
                case "--modules": modules = Integer.parseInt(args[++i]); break;
                case "--pairs": pairs = Integer.parseInt(args[++i]); break;
                case "--source": source = args[++i]; break;
                case "--guard-java-option": javaOptions.add(args[++i]); break;
                case "--warm-up-each": warmUpEach = true; break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if ((cliJar == null) == (launcher == null)
                || !Files.isRegularFile(cliJar != null ? cliJar : launcher)) {
            throw new IllegalArgumentException("one of --cli-jar PATH (the shaded environ-guard-cli.jar) or --launcher PATH"
                    + " (bin/environ-guard of an unpacked distribution)");
        }
        Path project = Files.createTempDirectory("eg-ci-overhead-");
        try {
            generate(project, modules);
            List<String> plain = List.of("mvn", "-q", "-o", "-B", "verify");
            String ignoreMarks = "-Denvironguard.source.fanotify.ignore-marks-within=" + ProcessHandle.current().pid();
            List<String> guarded = new ArrayList<>();
            Map<String, String> env = new HashMap<>(Map.of("MAVEN_SKIP_RC", "true"));
            if (launcher != null) {
                guarded.addAll(List.of(launcher.toString(), "run"));
                List<String> opts = new ArrayList<>(javaOptions);
                opts.add(ignoreMarks);
                env.put("JAVA_OPTS", String.join(" ", opts));
                System.out.println("guarded: " + guarded + " with JAVA_OPTS=" + env.get("JAVA_OPTS"));
            } else {
                guarded.add(javaCommand());
                guarded.addAll(javaOptions);
                guarded.addAll(List.of(ignoreMarks, "-jar", cliJar.toString(), "run"));
                System.out.println("guarded: " + guarded);
            }
            if (source != null) {
                guarded.addAll(List.of("--source", source));
            }
            guarded.add("--");
            guarded.addAll(plain);

            System.out.printf(Locale.ROOT, "project: %d modules at %s; JDK %s; %d CPUs; load %s%n", modules, project,
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), load());
            System.out.println("warm-up: one plain and one guarded build (not counted)");
            build(project, plain, env);
            String archivesBefore = launcher != null ? cdsArchives() : null;
            build(project, guarded, env);
            if (launcher != null) {
                System.out.println("launcher CDS archives before the guarded warm-up: " + archivesBefore + "; after: " + cdsArchives());
            }
            if (warmUpEach) {
                System.out.println("each counted build follows an uncounted build of the same command (--warm-up-each)");
            }
            double[] ratios = new double[pairs];
            double[] cpuRatios = new double[pairs];
            double[] plainSeconds = new double[pairs];
            double[] guardedSeconds = new double[pairs];
            for (int p = 0; p < pairs; p++) {
                boolean plainFirst = p % 2 == 0;
                double[] a = timedBuild(project, plainFirst ? plain : guarded, env, warmUpEach);
                double[] b = timedBuild(project, plainFirst ? guarded : plain, env, warmUpEach);
                double[] pl = plainFirst ? a : b;
                double[] gu = plainFirst ? b : a;
                plainSeconds[p] = pl[0];
                guardedSeconds[p] = gu[0];
                ratios[p] = gu[0] / pl[0];
                cpuRatios[p] = gu[1] / pl[1];
                System.out.printf(Locale.ROOT, "pair %d (%s first): plain %.2f s wall %.2f s CPU, guarded %.2f s wall %.2f s"
                                + " CPU, ratio wall %.3f CPU %.3f; load %s%n", p + 1, plainFirst ? "plain" : "guarded", pl[0],
                        pl[1], gu[0], gu[1], ratios[p], cpuRatios[p], load());
            }
            System.out.printf(Locale.ROOT, "median ratio wall %.3f (min %.3f, max %.3f), CPU %.3f (min %.3f, max %.3f);"
                            + " median plain %.2f s, median guarded %.2f s; load %s%n", median(ratios),
                    Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0), median(cpuRatios),
                    Arrays.stream(cpuRatios).min().orElse(0), Arrays.stream(cpuRatios).max().orElse(0),
                    median(plainSeconds), median(guardedSeconds), load());
            System.out.println(OrderBalance.of(ratios, plainSeconds, guardedSeconds).describe());
        } finally {
            deleteTree(project);
        }
    }

    /**
     * A counted build; with {@code warmUp}, after an uncounted build of the same command, so that every counted build
     * follows one like it (the page cache and the files the build reads are as warm
     * for both legs) instead of depending on which build the order put before it.
     */
    private static double[] timedBuild(Path project, List<String> command, Map<String, String> env, boolean warmUp)
            throws IOException, InterruptedException {
        if (warmUp) {
            build(project, command, env);
        }
        return build(project, command, env);
    }

    /** One clean build: its wall time and the CPU time (user + system) of its whole process tree, in seconds. */
    private static double[] build(Path project, List<String> command, Map<String, String> env)
            throws IOException, InterruptedException {
        try (var dirs = Files.walk(project, 2)) {
            for (Path target : (Iterable<Path>) dirs.filter(d -> d.getFileName().toString().equals("target"))::iterator) {
                deleteTree(target);
            }
        }
        Path times = project.resolve("time.txt");
        List<String> timed = new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %U %S", "-o", times.toString()));
        timed.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(timed).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(project.resolve("build.log").toFile());
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new IllegalStateException("the build did not end within 30 minutes");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() == 97 && command.contains("run")) {
            // findings: on a shared host, a foreign reader of every environ may hit the guard or the harness; the
            // build ran in full, so its time counts
            System.out.println("  (the guarded build ended with findings, status 97: see " + project.resolve("build.log") + ")");
        } else if (p.exitValue() != 0) {
            throw new IllegalStateException("the build " + command + " failed with " + p.exitValue() + ":\n"
                    + Files.readString(project.resolve("build.log")));
        }
        String[] t = Files.readString(times).trim().split("\\s+");
        return new double[] {seconds, Double.parseDouble(t[t.length - 2]) + Double.parseDouble(t[t.length - 1])};
    }

    private static void generate(Path root, int modules) throws IOException {
        StringBuilder moduleList = new StringBuilder();
        StringBuilder plugins = new StringBuilder();
        for (String[] p : PLUGINS) {
            plugins.append("<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>").append(p[0])
                    .append("</artifactId><version>").append(p[1]).append("</version></plugin>");
        }
        for (int m = 0; m < modules; m++) {
            moduleList.append("<module>m").append(m).append("</module>");
            Path dir = root.resolve("m" + m);
            Files.createDirectories(dir.resolve("src/main/java/bench/m" + m));
            Files.createDirectories(dir.resolve("src/test/java/bench/m" + m));
            Files.writeString(dir.resolve("pom.xml"), "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0"
                    + "</modelVersion><parent><groupId>bench</groupId><artifactId>parent</artifactId><version>1</version></parent>"
                    + "<artifactId>m" + m + "</artifactId>"
                    + (m > 0 ? "<dependencies><dependency><groupId>bench</groupId><artifactId>m" + (m - 1)
                    + "</artifactId><version>1</version></dependency></dependencies>" : "")
                    + "</project>\n", StandardCharsets.UTF_8);
            for (int c = 0; c < 10; c++) {
                Files.writeString(dir.resolve("src/main/java/bench/m" + m + "/C" + c + ".java"), "package bench.m" + m + ";\n"
                        + "public final class C" + c + " {\n"
                        + "    public static long work(int n) { long s = 0; for (int i = 0; i < n; i++) { s += (long) i * " + (c + 1)
                        + " % 7; } return s; }\n"
                        + "    public static String name() { return \"C" + c + "\" + java.util.List.of(1, 2, 3).size(); }\n"
                        + "}\n", StandardCharsets.UTF_8);
            }
            for (int t = 0; t < 3; t++) {
                Files.writeString(dir.resolve("src/test/java/bench/m" + m + "/T" + t + "Test.java"), "package bench.m" + m + ";\n"
                        + "import static org.junit.jupiter.api.Assertions.assertEquals;\n"
                        + "import org.junit.jupiter.api.Test;\n"
                        + "class T" + t + "Test {\n"
                        + "    @Test void works() { assertEquals(C" + t + ".work(1000), C" + t + ".work(1000)); }\n"
                        + "    @Test void names() { assertEquals(\"C" + t + "3\", C" + t + ".name()); }\n"
                        + "}\n", StandardCharsets.UTF_8);
            }
        }
        Files.writeString(root.resolve("pom.xml"), "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0"
                + "</modelVersion><groupId>bench</groupId><artifactId>parent</artifactId><version>1</version>"
                + "<packaging>pom</packaging><modules>" + moduleList + "</modules>"
                + "<properties><maven.compiler.release>17</maven.compiler.release>"
                + "<project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>"
                + "<dependencies><dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId>"
                + "<version>" + JUNIT + "</version><scope>test</scope></dependency></dependencies>"
                + "<build><plugins>" + plugins + "</plugins></build></project>\n", StandardCharsets.UTF_8);
    }

    /**
     * The class data sharing archives in the launcher's cache directory (as {@code bin/environ-guard} chooses it, when
     * this harness's environment does not name another), e.g. {@code "1 in /root/.cache/environ-guard"}.
     */
    private static String cdsArchives() throws IOException {
        String named = System.getenv("ENVIRON_GUARD_CDS_DIR");
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path dir = named != null && !named.isEmpty() ? Path.of(named)
                : xdg != null && !xdg.isEmpty() ? Path.of(xdg, "environ-guard")
                : Path.of(System.getProperty("user.home"), ".cache", "environ-guard");
        if (!Files.isDirectory(dir)) {
            return "0 in " + dir + " (no such directory)";
        }
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("run-.*\\.jsa")).count() + " in " + dir;
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().replaceAll(" [0-9]+/[0-9]+ [0-9]+$", "");
        } catch (IOException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static double median(double[] values) {
        return OrderBalance.median(values);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
