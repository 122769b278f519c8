package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.testkit.ScriptedEventSource;
import io.environguard.testkit.ScriptedEventSource.Step;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host monitor in-process, with a scripted source: options, formats, files, stopping, exit status. */
class HostMonitorTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void helpListsEveryOptionOnStdout() {
        Run run = Run.of(List.of(), "--help");
        assertEquals(0, run.awaitExit());
        for (String option : List.of("--format", "--source", "--ready-file", "--duration", "--allow-exe", "--config",
                "--stats-interval", "--help")) {
            assertTrue(run.stdout().contains(option), option + " missing from:\n" + run.stdout());
        }
        assertEquals("", run.stderr());
    }

    @Test
    void anUnknownOptionIsOneLineAndStatus2() {
        Run run = Run.of(List.of(), "--format", "jsonl", "--bogus");
        assertEquals(2, run.awaitExit());
        assertEquals(List.of("environ-guard: Unknown option: '--bogus' (see --help)"), run.stderrLines());
        assertEquals("", run.stdout());
    }

    @Test
    void aMisspeltOptionGetsASuggestion() {
        Run run = Run.of(List.of(), "--formt", "jsonl");
        assertEquals(2, run.awaitExit());
        assertEquals(1, run.stderrLines().size(), run.stderr());
        assertTrue(run.stderr().contains("did you mean --format?"), run.stderr());
    }

    @Test
    void invalidValuesAreOneLineAndStatus2() {
        for (List<String> args : List.of(
                List.of("--format", "xml"),
                List.of("--duration", "soon"),
                List.of("--duration", "0s"),
                List.of("--stats-interval", "-5s"),
                List.of("--allow-exe", "/usr/bin/a,/usr/bin/b"),
                List.of("--config", "/nonexistent/environ-guard.properties"))) {
            Run run = Run.of(List.of(), args.toArray(new String[0]));
            assertEquals(2, run.awaitExit(), args.toString());
            assertEquals(1, run.stderrLines().size(), args + ": " + run.stderr());
            assertTrue(run.stderr().startsWith("environ-guard: "), run.stderr());
        }
    }

    @Test
    void aSourceThatDoesNotExistIsOneLineAndStatus1() {
        Run run = Run.of(List.of(), "--source", "nosuch");
        assertEquals(1, run.awaitExit());
        List<String> lines = run.stderrLines();
        assertEquals(1, lines.size(), run.stderr());
        assertTrue(lines.get(0).startsWith("environ-guard: cannot watch: no source named nosuch"), lines.get(0));
    }

    @Test
    void jsonlWritesOneObjectPerAlertAndTheReadyFileOnceWatching() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of(
                Step.access(access(4242, "/usr/bin/cat", 42)),
                Step.access(access(4343, "/usr/bin/cat", 43))));
        Path ready = tmp.resolve("ready");
        Files.writeString(ready, "stale");
        Run run = Run.of(List.of(source), "--format", "jsonl", "--source", "scripted", "--ready-file", ready.toString());
        // The scripted source replays as soon as it starts, so alerts may come out before the ready file.
        // The stale file is removed at start; the new one is moved into place whole, holding the monitor's pid.
        run.awaitStderr(s -> readOrEmpty(ready).equals(ProcessHandle.current().pid() + "\n"));
        assertTrue(run.stderr().contains("environ-guard: watching with source scripted."), "ready means watching");
        List<String> lines = run.awaitStdoutLines(2);
        run.monitor.requestStop("test");
        assertEquals(0, run.awaitExit());

        JsonNode first = JSON.readTree(lines.get(0));
        assertEquals(Rules.ENVIRON_READ, first.get("rule").asText());
        assertEquals("high", first.get("severity").asText());
        assertEquals("open", first.get("access").asText());
        assertEquals("/proc/42/environ", first.get("path").asText());
        assertEquals("scripted", first.get("source").asText());
        assertEquals(4242, first.get("reader").get("pid").asInt());
        assertEquals("/usr/bin/cat", first.get("reader").get("exe").asText());
        assertEquals(42, first.get("target").get("pid").asInt());
        assertEquals("TA0007", first.get("mitre").get("tactic").asText());
        assertEquals(43, JSON.readTree(lines.get(1)).get("target").get("pid").asInt());

        String err = run.stderr();
        assertTrue(err.contains("environ-guard: watching with source scripted. Covers: the accesses of its script."
                + " Cannot see: everything else: it watches no kernel."), err);
        assertTrue(err.contains("environ-guard: stopped (test); 2 accesses, 2 alerts, 0 suppressed (0 self-reads, 0 allowed,"
                + " 0 repeats, 0 folded into sweeps), 0 events lost;"
                + " sink stdout: 2 delivered, 0 dropped, 0 failed"), err);
    }

    @Test
    void ocsfWritesOneEventPerAlertIncludingLostEvents() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of(
                Step.access(access(4242, "/usr/bin/cat", 42)),
                Step.loss(new LossReport("queue_overflow", 7, "the kernel queue overflowed"))));
        Run run = Run.of(List.of(source), "--format", "ocsf", "--source", "scripted");
        List<String> lines = run.awaitStdoutLines(2);
        run.monitor.requestStop("test");
        assertEquals(0, run.awaitExit());

        JsonNode read = JSON.readTree(lines.get(0));
        assertEquals(1001, read.get("class_uid").asInt());
        assertEquals(1, read.get("category_uid").asInt());
        assertEquals(2, read.get("activity_id").asInt());
        assertEquals(100102, read.get("type_uid").asInt());
        assertEquals(4, read.get("severity_id").asInt());
        assertTrue(read.get("time").isIntegralNumber());
        assertEquals("1.3.0", read.get("metadata").get("version").asText());
        assertEquals("environ-guard", read.get("metadata").get("product").get("vendor_name").asText());
        assertEquals(4242, read.get("actor").get("process").get("pid").asInt());
        assertEquals("/usr/bin/cat", read.get("actor").get("process").get("file").get("path").asText());
        assertEquals("/proc/42/environ", read.get("file").get("path").asText());
        assertEquals(42, read.get("unmapped").get("target").get("pid").asInt());
        assertFalse(read.get("device").get("hostname").asText().isBlank(), "the monitor fills in the host name");

        JsonNode lost = JSON.readTree(lines.get(1));
        assertEquals(0, lost.get("class_uid").asInt());
        assertEquals(99, lost.get("type_uid").asInt());
        assertEquals(7, lost.get("count").asInt());
        assertEquals(Rules.EVENTS_LOST, lost.get("metadata").get("event_code").asText());
    }

    @Test
    void textWritesOneReadableLinePerAlert() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(access(4242, "/usr/bin/cat", 42)));
        Run run = Run.of(List.of(source), "--source", "scripted");
        String line = run.awaitStdoutLines(1).get(0);
        run.monitor.requestStop("test");
        assertEquals(0, run.awaitExit());
        assertTrue(line.startsWith("HIGH " + Rules.ENVIRON_READ + ": cat[4242] (/usr/bin/cat, uid 1000)"), line);
        assertTrue(line.contains("/proc/42/environ of sleep[42]"), line);
    }

    @Test
    void theDurationEndsTheRunWithStatus0() {
        Run run = Run.of(List.of(ScriptedEventSource.of(List.of())), "--source", "scripted", "--duration", "200ms");
        assertEquals(0, run.awaitExit());
        assertTrue(run.stderr().contains("environ-guard: stopped (end of --duration)"), run.stderr());
    }

    @Test
    void allowExeSilencesThatReaderOnly() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(
                access(5001, "/usr/bin/allowed", 51),
                access(5002, "/usr/bin/cat", 52)));
        Run run = Run.of(List.of(source), "--format", "jsonl", "--source", "scripted", "--allow-exe", "/usr/bin/allowed");
        // The script is replayed in order by one thread: once cat's alert is out, the allowed read was judged.
        JsonNode only = JSON.readTree(run.awaitStdoutLines(1).get(0));
        run.monitor.requestStop("test");
        assertEquals(0, run.awaitExit());
        assertEquals(5002, only.get("reader").get("pid").asInt());
        assertEquals(1, run.stdoutLines().size(), run.stdout());
        assertTrue(run.stderr().contains("2 accesses, 1 alerts, 1 suppressed (0 self-reads, 1 allowed,"), run.stderr());
    }

    @Test
    void theConfigFileIsReadAndOptionsWinOverIt() throws Exception {
        Path config = tmp.resolve("guard.properties");
        Files.writeString(config, "environguard.source=scripted\n"
                + "environguard.policy.allow.exe=/usr/bin/from-file\n");
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(
                access(6001, "/usr/bin/from-option", 61),
                access(6002, "/usr/bin/from-file", 62),
                access(6003, "/usr/bin/cat", 63)));
        Run run = Run.of(List.of(source), "--format", "jsonl", "--config", config.toString(),
                "--allow-exe", "/usr/bin/from-option");
        List<String> lines = run.awaitStdoutLines(2);
        run.monitor.requestStop("test");
        assertEquals(0, run.awaitExit());
        List<Integer> readers = new ArrayList<>();
        for (String l : lines) {
            readers.add(JSON.readTree(l).get("reader").get("pid").asInt());
        }
        // The file chose the source; the option replaced the file's allow list.
        assertEquals(List.of(6002, 6003), readers);
        assertTrue(run.stderr().contains("3 accesses, 2 alerts, 1 suppressed"), run.stderr());
    }

    @Test
    void statsAreWrittenToStderrAtTheInterval() throws Exception {
        Run run = Run.of(List.of(ScriptedEventSource.of(List.of())), "--source", "scripted", "--stats-interval", "20ms");
        run.awaitStderr(s -> s.contains("environ-guard: stats: 0 accesses, 0 alerts"));
        run.monitor.requestStop("test");
        assertEquals(0, run.awaitExit());
    }

    @Test
    void aClosedStdoutStopsTheMonitorWithStatus1() throws Exception {
        OutputStream closed = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(access(4242, "/usr/bin/cat", 42)));
        Run run = Run.of(closed, List.of(source), "--source", "scripted");
        assertEquals(1, run.awaitExit());
        assertTrue(run.stderr().contains("environ-guard: cannot write to stdout (IOException); stopping"), run.stderr());
        assertTrue(run.stderr().contains("stopped (stdout closed)"), run.stderr());
    }

    @Test
    void aReadyFileThatCannotBeWrittenIsStatus1() {
        Path ready = tmp.resolve("no-such-dir").resolve("ready");
        Run run = Run.of(List.of(ScriptedEventSource.of(List.of())), "--source", "scripted", "--ready-file", ready.toString());
        assertEquals(1, run.awaitExit());
        assertTrue(run.stderr().contains("environ-guard: cannot write the ready file " + ready), run.stderr());
        assertFalse(Files.exists(ready));
    }

    @Test
    void multiLineStartErrorsAreFoldedIntoOneLine() {
        assertEquals("no event source can run here: fanotify: needs CAP_SYS_ADMIN; procfs: not built yet",
                HostMonitor.oneLine("no event source can run here:\n  fanotify: needs CAP_SYS_ADMIN\n  procfs: not built yet\n"));
        assertEquals("unknown error", HostMonitor.oneLine(null));
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    static EnvironAccess access(int readerPid, String readerExe, int targetPid) {
        return EnvironAccess.builder()
                .source(ScriptedEventSource.NAME)
                .path("/proc/" + targetPid + "/environ")
                .file(ProcFile.ENVIRON)
                .alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(readerPid).ppid(1).uid(1000).comm(readerExe.substring(readerExe.lastIndexOf('/') + 1))
                        .exe(readerExe).cmdline(List.of(readerExe, "/proc/" + targetPid + "/environ")).startTime(100).build())
                .target(ProcessInfo.builder(targetPid).uid(1000).comm("sleep").exe("/usr/bin/sleep").build())
                .build();
    }

    /** One monitor running on a thread of its own, with its stdout and stderr captured. */
    private static final class Run {
        final HostMonitor monitor;
        private final ByteArrayOutputStream out;
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Thread thread;
        private volatile int status = -1;

        private Run(OutputStream stdout, ByteArrayOutputStream captured, List<ScriptedEventSource> sources, String... args) {
            this.out = captured;
            this.monitor = new HostMonitor(stdout, new PrintStream(err, true, StandardCharsets.UTF_8), List.copyOf(sources));
            this.thread = new Thread(() -> status = monitor.run(args), "host-monitor-under-test");
            thread.setDaemon(true);
            thread.start();
        }

        static Run of(List<ScriptedEventSource> sources, String... args) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            return new Run(out, out, sources, args);
        }

        static Run of(OutputStream stdout, List<ScriptedEventSource> sources, String... args) {
            return new Run(stdout, new ByteArrayOutputStream(), sources, args);
        }

        int awaitExit() {
            try {
                thread.join(WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            if (thread.isAlive()) {
                monitor.requestStop("test timed out");
                throw new AssertionError("the monitor did not exit within " + WAIT + "; stderr:\n" + stderr());
            }
            return status;
        }

        String stdout() {
            return out.toString(StandardCharsets.UTF_8);
        }

        List<String> stdoutLines() {
            return lines(stdout());
        }

        String stderr() {
            return err.toString(StandardCharsets.UTF_8);
        }

        List<String> stderrLines() {
            return lines(stderr());
        }

        List<String> awaitStdoutLines(int n) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (stdoutLines().size() < n) {
                if (System.nanoTime() > deadline || !thread.isAlive()) {
                    throw new TimeoutException("wanted " + n + " line(s) on stdout, got:\n" + stdout() + "\nstderr:\n" + stderr());
                }
                Thread.sleep(5);
            }
            return stdoutLines();
        }

        /** Waits until {@code condition} holds (it is given stderr so far; it may test anything else as well). */
        void awaitStderr(Predicate<String> condition) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!condition.test(stderr())) {
                if (System.nanoTime() > deadline || !thread.isAlive()) {
                    throw new TimeoutException("stderr never matched:\n" + stderr());
                }
                Thread.sleep(5);
            }
        }

        private static List<String> lines(String s) {
            List<String> out = new ArrayList<>();
            for (String l : s.split("\n")) {
                if (!l.isEmpty()) {
                    out.add(l);
                }
            }
            return out;
        }
    }
}
