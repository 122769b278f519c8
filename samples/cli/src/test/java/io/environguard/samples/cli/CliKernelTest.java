package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.api.Rules;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar as a user runs it, against the real kernel: {@code java -jar environ-guard-cli.jar}. Needs root and
 * fanotify (skipped without them locally, failed without them on CI). Runs after the package phase, so the jar
 * exists. Every process here is started by the test and stopped in a {@code finally}; alerts are matched by the
 * pids of the test's own reader ({@code cat}) and target ({@code sleep}), since other processes on the machine may
 * read environ files too.
 */
@Tag("kernel")
class CliKernelTest {

    private static final Path JAR = Path.of(System.getProperty("cli.jar", "target/environ-guard-cli.jar")).toAbsolutePath();
    private static final String JAVA = ProcessHandle.current().info().command().orElse("java");
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration ALERT = Duration.ofSeconds(30);
    private static final Duration EXIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @BeforeAll
    static void requirements() {
        // A missing jar is a build problem, never a reason to skip.
        assertTrue(Files.isRegularFile(JAR), "the shaded jar " + JAR + " does not exist; it is built in the package phase");
        KernelRequirements.require(KernelRequirements.isRoot(), "root (CAP_SYS_ADMIN for fanotify filesystem marks)");
        KernelRequirements.require(KernelRequirements.hasFanotify(), "a kernel with fanotify");
        KernelRequirements.require(Files.isExecutable(Path.of("/usr/bin/cat")) && Files.isExecutable(Path.of("/usr/bin/sleep")),
                "/usr/bin/cat and /usr/bin/sleep");
    }

    @Test
    void jsonlReportsOurCatReadingOurSleep() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Cli cli = Cli.start(List.of("-jar", JAR.toString(), "--format", "jsonl", "--ready-file", ready.toString()))) {
            cli.awaitReady(ready);
            try (Child sleep = Child.target(); Child cat = Child.readerOf(sleep)) {
                JsonNode alert = cli.awaitJson(a -> a.path("reader").path("pid").asLong() == cat.pid()
                        && a.path("target").path("pid").asLong() == sleep.pid());
                assertEquals(Rules.ENVIRON_READ, alert.get("rule").asText(), alert.toString());
                assertEquals("high", alert.get("severity").asText(), alert.toString());
                assertEquals("fanotify", alert.get("source").asText(), alert.toString());
                assertEquals("/usr/bin/cat", alert.get("reader").get("exe").asText(), alert.toString());
                assertEquals("/proc/" + sleep.pid() + "/environ", alert.get("path").asText(), alert.toString());
                assertEquals("/usr/bin/sleep", alert.get("target").get("exe").asText(), alert.toString());
                assertEquals("TA0007", alert.get("mitre").get("tactic").asText(), alert.toString());
                cli.stopWithSigterm(cat.pid());
            }
        }
    }

    @Test
    void ocsfReportsOurCatReadingOurSleep() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Cli cli = Cli.start(List.of("-jar", JAR.toString(), "--format", "ocsf", "--ready-file", ready.toString()))) {
            cli.awaitReady(ready);
            try (Child sleep = Child.target(); Child cat = Child.readerOf(sleep)) {
                JsonNode event = cli.awaitJson(e -> e.path("actor").path("process").path("pid").asLong() == cat.pid()
                        && e.path("unmapped").path("target").path("pid").asLong() == sleep.pid());
                assertEquals(1001, event.get("class_uid").asInt(), event.toString());
                assertEquals(1, event.get("category_uid").asInt(), event.toString());
                assertEquals(2, event.get("activity_id").asInt(), event.toString());
                assertEquals(100102, event.get("type_uid").asInt(), event.toString());
                assertEquals(4, event.get("severity_id").asInt(), event.toString());
                assertEquals(Rules.ENVIRON_READ, event.get("metadata").get("event_code").asText(), event.toString());
                assertEquals("/usr/bin/cat", event.get("actor").get("process").get("file").get("path").asText(), event.toString());
                assertEquals("/proc/" + sleep.pid() + "/environ", event.get("file").get("path").asText(), event.toString());
                assertEquals("environ", event.get("file").get("name").asText(), event.toString());
                cli.stopWithSigterm(cat.pid());
            }
        }
    }

    /**
     * The monitor as a service: /healthz says it watches, and /metrics, scraped over loopback before and after our
     * cat reads our sleep's environ, shows the counters moved (other readers on the machine can only move them more).
     */
    @Test
    void metricsAndHealthOverLoopbackWhileAReadIsAlerted() throws Exception {
        Path ready = tmp.resolve("ready");
        try (Cli cli = Cli.start(List.of("-jar", JAR.toString(), "--format", "jsonl", "--ready-file", ready.toString(),
                "--metrics-address", "127.0.0.1:0"))) {
            cli.awaitReady(ready);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("serving /metrics and /healthz on (http://127\\.0\\.0\\.1:\\d+)")
                    .matcher(cli.stderrText());
            assertTrue(m.find(), cli.stderrText());
            java.net.URI base = java.net.URI.create(m.group(1));
            Scrape health = Scrape.of(base.resolve("/healthz"));
            assertEquals(200, health.status(), health.body());
            assertEquals("watching with source fanotify\n", health.body());
            Scrape before = Scrape.of(base.resolve("/metrics"));
            assertEquals(200, before.status());
            try (Child sleep = Child.target(); Child cat = Child.readerOf(sleep)) {
                cli.awaitJson(a -> a.path("reader").path("pid").asLong() == cat.pid()
                        && a.path("target").path("pid").asLong() == sleep.pid());
                // Latency samples reach the timer within about 50 ms (the metrics thread drains them): poll, bounded.
                Scrape after = Scrape.of(base.resolve("/metrics"));
                long deadline = System.nanoTime() + ALERT.toNanos();
                while (after.value("environguard_alert_latency_seconds_count") < 1 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                    after = Scrape.of(base.resolve("/metrics"));
                }
                String read = "environguard_alerts_total{rule=\"environ_read_from_procfs\",severity=\"high\"}";
                assertTrue(after.value(read) >= before.value(read) + 1, read + ": " + before.value(read) + " then " + after.value(read));
                assertTrue(after.value("environguard_accesses_total") >= before.value("environguard_accesses_total") + 1);
                assertTrue(after.value("environguard_kernel_events_read_total") > before.value("environguard_kernel_events_read_total"));
                assertTrue(after.value("environguard_sink_alerts_total{result=\"delivered\",sink=\"stdout\"}") >= 1);
                assertTrue(after.value("environguard_alert_latency_seconds_count") >= 1);
                assertEquals(1.0, after.value("environguard_watching"));
                assertTrue(after.body().contains("environguard_resolver_queue_depth "), after.body());
                cli.stopWithSigterm(cat.pid());
            }
        }
    }

    /** One GET over loopback. */
    private record Scrape(int status, String body) {
        static Scrape of(java.net.URI uri) throws Exception {
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().connectTimeout(ALERT).build();
            java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(uri).timeout(ALERT).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Scrape(r.statusCode(), r.body());
        }

        /** The value of the sample whose name and labels are {@code series}; 0 if there is none yet. */
        double value(String series) {
            for (String line : body.split("\n")) {
                if (line.startsWith(series + " ")) {
                    return Double.parseDouble(line.substring(series.length() + 1).trim());
                }
            }
            return 0;
        }
    }

    @Test
    void anUnknownOptionIsOneLineAndStatus2() throws Exception {
        try (Cli cli = Cli.start(List.of("-jar", JAR.toString(), "--bogus"))) {
            assertEquals(2, cli.awaitExit());
            assertEquals(List.of("environ-guard: Unknown option: '--bogus' (see --help)"), cli.stderrLines());
            assertEquals("", cli.stdoutText());
        }
    }

    @Test
    void aSourceThatIsNotThereIsOneLineAndStatus1() throws Exception {
        try (Cli cli = Cli.start(List.of("-jar", JAR.toString(), "--source", "nosuch"))) {
            assertEquals(1, cli.awaitExit());
            List<String> lines = cli.stderrLines();
            assertEquals(1, lines.size(), cli.stderrText());
            assertTrue(lines.get(0).startsWith("environ-guard: cannot watch: no source named nosuch"), lines.get(0));
            assertTrue(lines.get(0).contains("fanotify"), "the line lists the sources there are: " + lines.get(0));
        }
    }

    @Test
    void procfsEitherRunsOrSaysInOneLineThatItIsNotThere() throws Exception {
        // The procfs polling source is a later piece of work: until its jar is in, asking for it must fail cleanly.
        try (Cli cli = Cli.start(List.of("-jar", JAR.toString(), "--source", "procfs", "--duration", "1s"))) {
            int status = cli.awaitExit();
            if (status == 0) {
                assertTrue(cli.stderrText().contains("environ-guard: watching with source procfs"), cli.stderrText());
            } else {
                assertEquals(1, status, cli.stderrText());
                List<String> lines = cli.stderrLines();
                assertEquals(1, lines.size(), cli.stderrText());
                assertTrue(lines.get(0).startsWith("environ-guard: cannot watch:") && lines.get(0).contains("procfs"), lines.get(0));
            }
        }
    }

    @Test
    void unprivilegedFanotifyIsOneLineNamingCapSysAdmin() throws Exception {
        KernelRequirements.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "/usr/bin/setpriv (util-linux)");
        // The unprivileged user cannot read /root, where the build lives: it runs a world-readable copy.
        Path dir = Files.createTempDirectory("environ-guard-cli-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Path jar = dir.resolve("environ-guard-cli.jar");
        try {
            Files.copy(JAR, jar, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
            try (Cli cli = Cli.startCommand(List.of("/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                    "--", JAVA, "-jar", jar.toString(), "--source", "fanotify"))) {
                assertEquals(1, cli.awaitExit(), cli.stderrText());
                List<String> lines = cli.stderrLines();
                assertEquals(1, lines.size(), cli.stderrText());
                assertTrue(lines.get(0).startsWith("environ-guard: cannot watch: source fanotify"), lines.get(0));
                assertTrue(lines.get(0).contains("CAP_SYS_ADMIN"), lines.get(0));
            }
        } finally {
            Files.deleteIfExists(jar);
            Files.deleteIfExists(dir);
        }
    }

    /** The CLI as a child process, its stdout lines and stderr collected by two threads. */
    private static final class Cli implements AutoCloseable {
        private final Process process;
        private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
        private final List<String> stdoutSeen = new ArrayList<>();
        private final StringBuffer stderr = new StringBuffer();
        private final Thread outPump;
        private final Thread errPump;

        private Cli(Process process) {
            this.process = process;
            this.outPump = pump(process.getInputStream(), stdout::add, "cli-stdout");
            this.errPump = pump(process.getErrorStream(), line -> stderr.append(line).append('\n'), "cli-stderr");
        }

        static Cli start(List<String> javaArgs) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(JAVA);
            // This machine is shared: the monitor may place ignore marks only on files of this test's processes.
            command.add("-Denvironguard.source.fanotify.ignore-marks-within=" + ProcessHandle.current().pid());
            command.addAll(javaArgs);
            return startCommand(command);
        }

        static Cli startCommand(List<String> command) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE);
            // No environguard.* settings leak in from whoever runs the build.
            pb.environment().keySet().removeIf(k -> k.toUpperCase().startsWith("ENVIRONGUARD_"));
            return new Cli(pb.start());
        }

        private static Thread pump(InputStream in, java.util.function.Consumer<String> sink, String name) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        sink.accept(line);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, name);
            t.setDaemon(true);
            t.start();
            return t;
        }

        void awaitReady(Path ready) throws InterruptedException {
            long deadline = System.nanoTime() + STARTUP.toNanos();
            while (!Files.exists(ready)) {
                if (!process.isAlive()) {
                    fail("the CLI exited with status " + process.exitValue() + " before it was ready:\n" + stderrText());
                }
                if (System.nanoTime() > deadline) {
                    fail("the CLI was not ready within " + STARTUP.toSeconds() + " s:\n" + stderrText());
                }
                Thread.sleep(20);
            }
            // The line is written before the ready file, but the stderr pump may not have read it yet: wait, bounded.
            while (!stderrText().contains("environ-guard: watching with source fanotify:")) {
                if (System.nanoTime() > deadline) {
                    fail("ready, but no start-up line within " + STARTUP.toSeconds() + " s:\n" + stderrText());
                }
                Thread.sleep(20);
            }
        }

        /** The first JSON line on stdout that matches; lines of other processes' reads are skipped. */
        JsonNode awaitJson(Predicate<JsonNode> match) throws Exception {
            long deadline = System.nanoTime() + ALERT.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                String line = left > 0 ? stdout.poll(left, TimeUnit.NANOSECONDS) : null;
                if (line == null) {
                    fail("no matching alert within " + ALERT.toSeconds() + " s; lines seen:\n" + String.join("\n", stdoutSeen)
                            + "\nstderr:\n" + stderrText());
                }
                stdoutSeen.add(line);
                JsonNode node = JSON.readTree(line);
                if (match.test(node)) {
                    return node;
                }
            }
        }

        /** SIGTERM, then status 0 and a clean stop; the alert was not repeated on stderr. */
        void stopWithSigterm(long readerPid) throws InterruptedException {
            // ProcessHandle.destroy sends SIGTERM on Linux and, unlike Process.destroy, leaves the pipes open, so
            // that what the CLI writes while it stops is still read.
            assertTrue(process.toHandle().destroy(), "SIGTERM could not be sent");
            assertEquals(0, awaitExit(), stderrText());
            String err = stderrText();
            assertTrue(err.contains("environ-guard: stopped (signal)"), err);
            assertFalse(err.contains("[" + readerPid + "]"), "alerts go to stdout only, not to the log: " + err);
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(EXIT.toSeconds(), TimeUnit.SECONDS)) {
                fail("the CLI did not exit within " + EXIT.toSeconds() + " s:\n" + stderrText());
            }
            outPump.join(5_000);
            errPump.join(5_000);
            return process.exitValue();
        }

        String stderrText() {
            return stderr.toString();
        }

        List<String> stderrLines() {
            List<String> out = new ArrayList<>();
            for (String l : stderrText().split("\n")) {
                if (!l.isBlank()) {
                    out.add(l);
                }
            }
            return out;
        }

        String stdoutText() {
            List<String> lines = new ArrayList<>(stdoutSeen);
            stdout.drainTo(lines);
            return String.join("\n", lines);
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroy();
                stop(process, EXIT);
            }
        }
    }

    /** A process this test starts: the target ({@code sleep}) or the reader ({@code cat}). */
    private static final class Child implements AutoCloseable {
        private final Process process;

        private Child(Process process) {
            this.process = process;
        }

        /** {@code sleep} with a small environment of our own: nothing of the build's environment is read. */
        static Child target() throws IOException {
            ProcessBuilder pb = new ProcessBuilder("/usr/bin/sleep", "300");
            pb.environment().clear();
            pb.environment().put("ENVIRON_GUARD_TEST", "not-a-secret");
            return new Child(pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }

        /**
         * {@code cat /proc/PID/environ -}: reads the target's environ (to a discarded stdout), then waits on its stdin,
         * so that it is still alive, with its pid and exe intact, while the monitor resolves it.
         */
        static Child readerOf(Child target) throws IOException {
            ProcessBuilder pb = new ProcessBuilder("/usr/bin/cat", "/proc/" + target.pid() + "/environ", "-")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            return new Child(pb.start());
        }

        long pid() {
            return process.pid();
        }

        @Override
        public void close() {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                // already closed
            }
            process.destroy();
            stop(process, Duration.ofSeconds(10));
        }
    }

    /** Waits for a process this test signalled; kills it if it does not go. Keeps an interrupt for the caller. */
    private static void stop(Process process, Duration grace) {
        boolean interrupted = false;
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            interrupted = true;
            process.destroyForcibly();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
