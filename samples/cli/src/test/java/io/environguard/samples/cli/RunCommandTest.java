package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.ci.GuardedProcess;
import io.environguard.ci.ProcLineage;
import io.environguard.ci.ProcessId;
import io.environguard.testkit.ScriptedEventSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/**
 * {@code run} in-process with a scripted source: the command's status kept, statuses of its own, the judge fed with
 * accesses that carry lineage around the real command process, and the reports.
 */
class RunCommandTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void theCommandsStatusIsKept() {
        Run run = Run.of(ScriptedEventSource.of(List.of()), "run", "--source", "scripted", "--", "sh", "-c", "exit 3");
        assertEquals(3, run.awaitExit(), run.stderr());
        assertTrue(run.stderr().contains("environ-guard: guarding the command (mode other, source scripted)"), run.stderr());
        assertTrue(run.stderr().contains("no process of the command read another process's environ or mem"), run.stderr());
        assertTrue(run.stderr().contains("the command exited with status 3; environ-guard exits with 3"), run.stderr());
    }

    @Test
    void aCommandEndedBySignalNExitsWith128PlusN() {
        Run run = Run.of(ScriptedEventSource.of(List.of()), "run", "--source", "scripted", "sh", "-c", "kill -TERM $$");
        assertEquals(128 + 15, run.awaitExit(), run.stderr());
    }

    @Test
    void aMissingCommandIs127AndOneThatCannotRunIs126() throws Exception {
        Run missing = Run.of(ScriptedEventSource.of(List.of()), "run", "--source", "scripted", "--", "/nonexistent/command");
        assertEquals(127, missing.awaitExit(), missing.stderr());
        assertTrue(missing.stderr().contains("environ-guard: cannot run /nonexistent/command"), missing.stderr());
        Path notExecutable = Files.createFile(tmp.resolve("script"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-r--r--")));
        Run denied = Run.of(ScriptedEventSource.of(List.of()), "run", "--source", "scripted", "--", notExecutable.toString());
        assertEquals(126, denied.awaitExit(), denied.stderr());
    }

    @Test
    void aGuardThatCannotWatchRunsNothingAndExits125() throws Exception {
        Path marker = tmp.resolve("ran");
        Run run = Run.of(ScriptedEventSource.of(List.of()), "run", "--source", "nosuch", "--", "touch", marker.toString());
        assertEquals(125, run.awaitExit(), run.stderr());
        assertTrue(run.stderr().contains("environ-guard: cannot watch: no source named nosuch"), run.stderr());
        assertTrue(run.stderr().contains("the command was not run"), run.stderr());
        assertFalse(Files.exists(marker), "the command must not run unguarded");
    }

    @Test
    void noCommandIsAUsageError() {
        Run run = Run.of(ScriptedEventSource.of(List.of()), "run", "--source", "scripted");
        assertEquals(2, run.awaitExit(), run.stderr());
        assertTrue(run.stderr().startsWith("environ-guard: Missing required parameter: 'COMMAND'"), run.stderr());
    }

    @Test
    void theCommandsArgumentsAreNotTheGuardsOptions() {
        // without --: everything after the command's name is the command's
        Run run = Run.of(ScriptedEventSource.of(List.of()), "run", "--source", "scripted", "sh", "-c", "exit 4", "--report");
        assertEquals(4, run.awaitExit(), run.stderr());
    }

    @Test
    void aReadOfTheGuardsParentByTheCommandsGrandchildFailsTheRunWithReports() throws Exception {
        ProcLineage proc = new ProcLineage(Path.of("/proc"));
        ProcessId self = proc.idOf(ProcessHandle.current().pid());
        List<GuardedProcess> above = proc.above(ProcessHandle.current().pid());
        GuardedProcess parent = above.get(0);
        Path pidFile = tmp.resolve("pid");
        Path go = tmp.resolve("go");
        Path junit = tmp.resolve("out/TEST-environ-guard.xml");
        Path jsonl = tmp.resolve("out/findings.jsonl");
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        // The command says who it is, then waits (bounded) until the test has emitted its accesses.
        String script = "echo $$ > " + pidFile + "; i=0; while [ ! -e " + go + " ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; exit 5";
        Run run = Run.of(source, "run", "--source", "scripted", "--junit-report", junit.toString(), "--report",
                jsonl.toString(), "--", "sh", "-c", script);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            assertTrue(System.nanoTime() < deadline, "the command did not start: " + run.stderr());
            Thread.sleep(20);
        }
        int commandPid = Integer.parseInt(Files.readString(pidFile).trim());
        ProcessId command = proc.idOf(commandPid);
        List<Ancestor> lineage = new ArrayList<>();
        lineage.add(new Ancestor(930_000, 5, "sh", "/usr/bin/dash"));
        lineage.add(new Ancestor(command.pid(), command.startTime(), "sh", "/usr/bin/dash"));
        lineage.add(new Ancestor(self.pid(), self.startTime(), "java", null));
        for (GuardedProcess g : above) {
            lineage.add(new Ancestor(g.id().pid(), g.id().startTime(), g.comm(), g.exe()));
        }
        ProcessInfo grandchild = ProcessInfo.builder(930_001).comm("cat").exe("/usr/bin/cat").startTime(6).uid(0)
                .ancestors(lineage).build();
        ProcessInfo parentInfo = ProcessInfo.builder(parent.id().pid()).comm(parent.comm()).exe(parent.exe())
                .startTime(parent.id().startTime()).build();
        source.emit(EnvironAccess.builder().source("scripted").path("/proc/" + parent.id().pid() + "/environ")
                .alias(AliasKind.PROCESS).file(ProcFile.ENVIRON).reader(grandchild).target(parentInfo).build());
        Files.createFile(go);

        assertEquals(RunCommand.EXIT_FINDINGS, run.awaitExit(), run.stderr());
        String err = run.stderr();
        assertTrue(err.contains("environ-guard: finding (read of the guard or a process above the command): CRITICAL"), err);
        assertTrue(err.contains("environ-guard: finding 1 of 1"), err);
        assertTrue(err.contains("lineage:  cat[930001] <- sh[930000] <- sh[" + commandPid + "] (the command) <- java["
                + self.pid() + "] (the guard)"), err);
        assertTrue(err.contains("the command exited with status 5; environ-guard exits with 97 (findings)"), err);

        Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile()).getDocumentElement();
        assertEquals("1", suite.getAttribute("failures"));
        assertEquals(1, suite.getElementsByTagName("failure").getLength());
        List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
        assertEquals(1, lines.size());
        JsonNode alert = JSON.readTree(lines.get(0));
        assertEquals(Rules.PROTECTED_TARGET, alert.get("rule").asText());
        assertEquals(930_001, alert.get("reader").get("pid").asInt());
    }

    /** The monitor's {@code run} in a thread of this JVM, its stderr captured. */
    private static final class Run {
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Thread thread;
        private volatile int status = -1;

        private Run(ScriptedEventSource source, String... args) {
            HostMonitor monitor = new HostMonitor(new ByteArrayOutputStream(), new PrintStream(err, true, StandardCharsets.UTF_8),
                    List.of(source));
            thread = new Thread(() -> status = monitor.run(args), "run-under-test");
            thread.setDaemon(true);
            thread.start();
        }

        static Run of(ScriptedEventSource source, String... args) {
            return new Run(source, args);
        }

        int awaitExit() {
            try {
                thread.join(WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            if (thread.isAlive()) {
                throw new AssertionError("run did not exit within " + WAIT + "; stderr:\n" + stderr());
            }
            return status;
        }

        String stderr() {
            return err.toString(StandardCharsets.UTF_8);
        }
    }
}
