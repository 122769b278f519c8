package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * {@code environ-guard run} as a CI step runs it, against the real kernel: {@code java -jar environ-guard-cli.jar run
 * -- COMMAND}, started from a shell of this test's (the "runner": the process above the guard whose environ the
 * commands read), as root (the fanotify host source) and as nobody through {@code setpriv} (the targeted source on the
 * guard and the processes above it that nobody owns: that shell). Every process is started by this test and stopped
 * in a {@code finally}; nothing outside this test's processes is read.
 */
@Tag("kernel")
class CliRunKernelTest {

    private static final Path JAR = Path.of(System.getProperty("cli.jar", "target/environ-guard-cli.jar")).toAbsolutePath();
    private static final String JAVA = ProcessHandle.current().info().command().orElse("java");
    private static final Duration RUN = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> AS_NOBODY = List.of("/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups");
    private static final Pattern FINDING_HEAD = Pattern.compile("environ-guard: finding ([0-9]+) of ([0-9]+) ");

    /** World-readable: the jar (nobody cannot read /root), a writable home and temporary directory, the reports. */
    private static Path dir;
    private static Path jar;

    @BeforeAll
    static void requirements() throws IOException {
        assertTrue(Files.isRegularFile(JAR), "the shaded jar " + JAR + " does not exist; it is built in the package phase");
        KernelRequirements.require(KernelRequirements.isRoot(), "root (CAP_SYS_ADMIN for fanotify filesystem marks)");
        KernelRequirements.require(KernelRequirements.hasFanotify(), "a kernel with fanotify");
        KernelRequirements.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "/usr/bin/setpriv (util-linux)");
        for (String tool : List.of("/usr/bin/mvn", "/usr/bin/javac", "/usr/bin/ps", "/usr/bin/cat", "/usr/bin/sleep")) {
            KernelRequirements.require(Files.isExecutable(Path.of(tool)), tool);
        }
        dir = Files.createTempDirectory(Path.of("/tmp"), "eg-run-it-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        jar = dir.resolve("environ-guard-cli.jar");
        Files.copy(JAR, jar, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---- a benign build, and the command's own status ----

    @Test
    void aBenignBuildExits0AsRoot() throws Exception {
        Run run = Run.start(false, List.of(), "mvn -v; javac -version; ps aux > /dev/null");
        assertEquals(0, run.awaitExit(), run.stderr);
        assertTrue(run.stderr.contains("environ-guard: guarding the command (mode host, source fanotify)"), run.stderr);
        assertTrue(run.stderr.contains("no process of the command read another process's environ or mem"), run.stderr);
        assertTrue(run.stdout.contains("Apache Maven"), "the command's stdout is passed through: " + run.stdout);
    }

    @Test
    void aBenignBuildExits0AsNobody() throws Exception {
        // Without root every read of a guarded process fails the run, a plain ps of the same user included (the kernel
        // hides who read); the guard itself is made non-dumpable, so a ps of the build cannot read it. Here the
        // processes above the guard are root's (setpriv starts the guard), so the guard is the one guarded process.
        Run run = Run.startDirect(true, List.of(), "mvn -v; javac -version; ps aux > /dev/null");
        // a process outside this test that reads every environ on the machine (as root, it reads even a non-dumpable
        // guard) cannot be told apart without root: such a run is tried again, at most twice
        for (int retry = 0; retry < 2 && run.awaitExit() == RunCommand.EXIT_FINDINGS && onlyUnplacedReaders(run.stderr); retry++) {
            run = Run.startDirect(true, List.of(), "mvn -v; javac -version; ps aux > /dev/null");
        }
        assertEquals(0, run.awaitExit(), run.stderr);
        assertTrue(run.stderr.contains("environ-guard: guarding the command (mode ancestors, source targeted)"), run.stderr);
        assertTrue(run.stderr.contains("the guard made itself non-dumpable"), run.stderr);
    }

    @Test
    void theCommandsStatusIsKeptAsRootAndAsNobody() throws Exception {
        for (boolean nobody : List.of(false, true)) {
            Run run = Run.start(nobody, List.of(), "exit 3");
            for (int retry = 0; nobody && retry < 2 && run.awaitExit() == RunCommand.EXIT_FINDINGS
                    && onlyUnplacedReaders(run.stderr); retry++) {
                run = Run.start(true, List.of(), "exit 3"); // see aBenignBuildExits0AsNobody
            }
            assertEquals(3, run.awaitExit(), run.stderr);
            assertTrue(run.stderr.contains("the command exited with status 3; environ-guard exits with 3"), run.stderr);
        }
    }

    // ---- reads that fail the run ----

    @Test
    void aGrandchildReadingItsRunnerShellsEnvironFailsTheRunAsRoot() throws Exception {
        Run run = Run.start(false, reports("gc-root"), "sh -c 'cat /proc/$RUNNER/environ > /dev/null; true'; true");
        assertEquals(RunCommand.EXIT_FINDINGS, run.awaitExit(), run.stderr);
        assertFinding(run, "environ", "gc-root");
        // the host source names the reader and its lineage: cat, the command's child shell, the command, the guard
        assertTrue(Pattern.compile("lineage: +cat\\[[0-9]+\\] <- sh\\[[0-9]+\\] <- sh\\[[0-9]+\\] \\(the command\\) <- java\\[[0-9]+\\] \\(the guard\\) <- sh\\["
                + run.shell + "\\]").matcher(run.stderr).find(), run.stderr);
    }

    @Test
    void aGrandchildReadingItsRunnerShellsEnvironFailsTheRunAsNobody() throws Exception {
        Run run = Run.start(true, reports("gc-nobody"), "sh -c 'cat /proc/$RUNNER/environ > /dev/null; true'; true");
        assertEquals(RunCommand.EXIT_FINDINGS, run.awaitExit(), run.stderr);
        assertTrue(run.stderr.contains("(mode ancestors, source targeted)"), run.stderr);
        assertFinding(run, "environ", "gc-nobody");
        assertTrue(run.stderr.contains("reader:   not named (the kernel hides the reader from an unprivileged listener)"), run.stderr);
    }

    @Test
    void aCommandReadingTheGuardsAncestorsMemFailsTheRunAsRootAndAsNobody() throws Exception {
        for (boolean nobody : List.of(false, true)) {
            String name = nobody ? "mem-nobody" : "mem-root";
            Run run = Run.start(nobody, reports(name), "cat /proc/$RUNNER/mem > /dev/null 2>&1; true");
            assertEquals(RunCommand.EXIT_FINDINGS, run.awaitExit(), run.stderr);
            assertFinding(run, "mem", name);
            if (!nobody) {
                assertTrue(Pattern.compile("lineage: +cat\\[[0-9]+\\] <- sh\\[[0-9]+\\] \\(the command\\) <- java\\[[0-9]+\\] \\(the guard\\)")
                        .matcher(run.stderr).find(), run.stderr);
            }
        }
    }

    @Test
    void aReadInTheCommandsFirstMillisecondsIsCaughtAndNamedWithLineage() throws Exception {
        // The command execs cat at once, which reads the runner shell's environ a millisecond or so after the command
        // started, while the guard's threads may still be settling. 400 sleeping processes of this test make the
        // process table's start-up scan long (hundreds of milliseconds on a loaded machine): such a read must be
        // caught and named with its lineage, the command's processes learned from their fork and exec messages.
        Process crowd = new ProcessBuilder("/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do sleep 120 & i=$((i+1)); done; wait")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + RUN.toNanos();
            while (crowd.descendants().count() < 400) {
                assertTrue(System.nanoTime() < deadline && crowd.isAlive(), "the sleeping processes did not start");
                Thread.sleep(20);
            }
            Run run = Run.start(false, reports("first-ms"), "exec cat /proc/$RUNNER/environ > /dev/null");
            assertEquals(RunCommand.EXIT_FINDINGS, run.awaitExit(), run.stderr);
            assertFinding(run, "environ", "first-ms");
            assertTrue(Pattern.compile("lineage: +cat\\[[0-9]+\\] \\(the command\\) <- java\\[[0-9]+\\] \\(the guard\\) <- sh\\["
                    + run.shell + "\\]").matcher(run.stderr).find(), run.stderr);
        } finally {
            crowd.descendants().forEach(ProcessHandle::destroy);
            crowd.destroy();
            if (!crowd.waitFor(20, TimeUnit.SECONDS)) {
                crowd.descendants().forEach(ProcessHandle::destroyForcibly);
                crowd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    // ---- what is not the command's ----

    @Test
    void aReaderOutsideTheCommandsTreeIsNotBlamed() throws Exception {
        // Root only: without root the kernel hides every reader, so an outsider's read of a guarded process cannot be
        // told from the command's and fails the run (see the targeted mode's limits).
        Path started = dir.resolve("outside-started");
        Run run = Run.start(false, List.of(), "touch " + started + "; sleep 4");
        Process outsider = null;
        try {
            long deadline = System.nanoTime() + RUN.toNanos();
            while (!Files.exists(started)) {
                assertTrue(System.nanoTime() < deadline && run.process.isAlive(), "the command did not start: " + run.stderr);
                Thread.sleep(20);
            }
            // started by this test, not by the command: it reads the runner shell's environ, then waits on its stdin
            outsider = new ProcessBuilder("/usr/bin/cat", "/proc/" + run.shell + "/environ", "-")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertEquals(0, run.awaitExit(), run.stderr);
            assertTrue(run.stderr.contains("no process of the command read another process's environ or mem"), run.stderr);
            assertTrue(run.stderr.contains("alert(s) of readers outside the tree"), run.stderr);
            assertTrue(run.stderr.contains("cat[" + outsider.pid() + "]"), "the outsider's read was seen: " + run.stderr);
        } finally {
            if (outsider != null) {
                outsider.getOutputStream().close();
                outsider.destroy();
                outsider.waitFor(10, TimeUnit.SECONDS);
            }
            run.stop();
        }
    }

    @Test
    void signalsToTheGuardReachTheCommand() throws Exception {
        Path trapped = dir.resolve("trapped");
        Run run = Run.start(false, List.of(), "trap 'exit 42' TERM; touch " + trapped + "; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done");
        try {
            long deadline = System.nanoTime() + RUN.toNanos();
            while (!Files.exists(trapped)) {
                assertTrue(System.nanoTime() < deadline && run.process.isAlive(), "the command did not start: " + run.stderr);
                Thread.sleep(20);
            }
            ProcessHandle guard = run.guard();
            assertTrue(guard.destroy(), "SIGTERM to the guard"); // ProcessHandle.destroy: SIGTERM to that pid alone
            assertEquals(42, run.awaitExit(), "the command's TERM trap ran: " + run.stderr);
        } finally {
            run.stop();
        }
    }

    // ---- helpers ----

    /** Every finding was by a reader the kernel hid and that no process of the command held the file open as. */
    private static boolean onlyUnplacedReaders(String stderr) {
        Matcher m = FINDING_HEAD.matcher(stderr);
        int findings = 0;
        while (m.find()) {
            findings++;
        }
        int unplaced = stderr.split("environ-guard:   possible: no process of the command held the file open", -1).length - 1;
        return findings > 0 && findings == unplaced;
    }

    private static List<String> reports(String name) {
        return List.of("--junit-report", dir.resolve(name + ".xml").toString(), "--report", dir.resolve(name + ".jsonl").toString());
    }

    /** A finding of the runner shell's {@code file}, in stderr, the JUnit report (one failure per finding) and the JSON lines. */
    private static void assertFinding(Run run, String file, String name) throws Exception {
        String path = "/proc/" + run.shell + "/" + file;
        assertTrue(run.stderr.contains("target:   sh[" + run.shell + "]"), run.stderr);
        assertTrue(run.stderr.contains(": a process above the command"), run.stderr);
        assertTrue(run.stderr.contains("file:     " + file + " " + path), run.stderr);
        Matcher m = FINDING_HEAD.matcher(run.stderr);
        int findings = 0;
        while (m.find()) {
            findings = Math.max(findings, Integer.parseInt(m.group(2)));
        }
        assertTrue(findings >= 1, run.stderr);
        Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(dir.resolve(name + ".xml").toFile())
                .getDocumentElement();
        assertEquals(Integer.toString(findings), suite.getAttribute("failures"));
        assertEquals(findings, suite.getElementsByTagName("failure").getLength());
        boolean named = false;
        List<String> lines = Files.readAllLines(dir.resolve(name + ".jsonl"), StandardCharsets.UTF_8);
        assertEquals(findings, lines.size());
        for (String line : lines) {
            JsonNode alert = JSON.readTree(line);
            named |= path.equals(alert.path("path").asText());
        }
        assertTrue(named, "a JSON line for " + path + ": " + lines);
    }

    /** One {@code environ-guard run}, started from a shell of this test's (the runner), its output collected. */
    private static final class Run {
        final Process process;
        final long shell;
        final CompletableFuture<String> out;
        final CompletableFuture<String> err;
        String stdout = "";
        String stderr = "";

        private Run(Process process, long shell) {
            this.process = process;
            this.shell = shell;
            this.out = read(process.getInputStream());
            this.err = read(process.getErrorStream());
        }

        /** From our shell: {@code sh -c 'RUNNER=$$ java -jar cli.jar run [reports] -- sh -c SCRIPT; exit $?'}. */
        static Run start(boolean asNobody, List<String> options, String script) throws IOException {
            List<String> command = new ArrayList<>();
            if (asNobody) {
                command.addAll(AS_NOBODY);
            }
            // not exec: the shell stays above the guard, as a CI step's shell does
            command.addAll(List.of("/bin/sh", "-c", "RUNNER=$$; export RUNNER; \"$0\" \"$@\"; exit $?"));
            command.addAll(guardCommand(options, script));
            Process p = builder(command).start();
            return new Run(p, p.pid());
        }

        /** The guard started directly by setpriv from this test: no shell of the guard's user above it. */
        static Run startDirect(boolean asNobody, List<String> options, String script) throws IOException {
            List<String> command = new ArrayList<>();
            if (asNobody) {
                command.addAll(AS_NOBODY);
            }
            command.addAll(guardCommand(options, script));
            Process p = builder(command).start();
            return new Run(p, -1);
        }

        private static List<String> guardCommand(List<String> options, String script) {
            List<String> c = new ArrayList<>(List.of(JAVA,
                    // this machine is shared: ignore marks only on files of this test's processes
                    "-Denvironguard.source.fanotify.ignore-marks-within=" + ProcessHandle.current().pid(),
                    "-Djna.tmpdir=" + dir, "-Djava.io.tmpdir=" + dir, "-jar", jar.toString(), "run"));
            c.addAll(options);
            c.addAll(List.of("--", "/bin/sh", "-c", script));
            return c;
        }

        private static ProcessBuilder builder(List<String> command) {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
            Map<String, String> env = pb.environment();
            env.clear();
            env.put("PATH", "/usr/bin:/bin");
            env.put("HOME", dir.toString());
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("MAVEN_SKIP_RC", "true");
            env.put("LANG", "C.UTF-8");
            return pb;
        }

        private static CompletableFuture<String> read(InputStream in) {
            return CompletableFuture.supplyAsync(() -> {
                try (in) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            });
        }

        /** The guard's JVM: the shell's child (or the process itself when started directly). */
        ProcessHandle guard() throws InterruptedException {
            long deadline = System.nanoTime() + RUN.toNanos();
            while (System.nanoTime() < deadline) {
                var child = process.toHandle().children().filter(c -> c.info().command().map(x -> x.endsWith("java")).orElse(false)).findFirst();
                if (child.isPresent()) {
                    return child.get();
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no guard JVM under " + process.pid());
        }

        int awaitExit() throws Exception {
            if (!process.waitFor(RUN.toSeconds(), TimeUnit.SECONDS)) {
                stop();
                fail("the run did not end within " + RUN);
            }
            stdout = out.get(30, TimeUnit.SECONDS);
            stderr = err.get(30, TimeUnit.SECONDS);
            return process.exitValue();
        }

        void stop() throws InterruptedException {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
