package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd unit's capability bounding set is enough: the distribution's launcher, run as root under exactly the
 * unit's {@code CapabilityBoundingSet} (setpriv), alerts on a read by another user's {@code cat} of another user's
 * {@code sleep} with every detail of the reader (its exe needs CAP_SYS_PTRACE, its liveness check works without
 * CAP_KILL), and its jsonl file is created with mode 0600. Every process is started here and stopped in a finally.
 */
@Tag("kernel")
class ServiceCapabilitiesKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @BeforeAll
    static void requirements() {
        KernelRequirements.require(KernelRequirements.isRoot(), "root (CAP_SYS_ADMIN for fanotify filesystem marks)");
        KernelRequirements.require(KernelRequirements.hasFanotify(), "a kernel with fanotify");
        KernelRequirements.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "/usr/bin/setpriv (util-linux)");
    }

    /** {@code CAP_SYS_ADMIN CAP_SYS_PTRACE ...} of the unit, as setpriv's {@code -all,+sys_admin,+sys_ptrace,...}. */
    private static String boundingSetOf(String unit) {
        Matcher m = Pattern.compile("(?m)^CapabilityBoundingSet=(.+)$").matcher(unit);
        assertTrue(m.find(), "the unit bounds its capabilities");
        StringBuilder b = new StringBuilder("-all");
        for (String cap : m.group(1).trim().split("\\s+")) {
            b.append(",+").append(cap.toLowerCase(Locale.ROOT).replaceFirst("^cap_", ""));
        }
        return b.toString();
    }

    @Test
    void theUnitsCapabilitiesAreEnoughForCompleteAlerts() throws Exception {
        Distribution dist = Distribution.unpack(tmp);
        String unit = Files.readString(dist.home.resolve("systemd/environ-guard.service"), StandardCharsets.UTF_8);
        String bounding = boundingSetOf(unit);
        Path ready = tmp.resolve("ready");
        Path logDir = Files.createDirectory(tmp.resolve("log"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path alerts = logDir.resolve("alerts.jsonl");
        Path stdout = tmp.resolve("stdout");
        Path stderr = tmp.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/setpriv", "--bounding-set", bounding, "--",
                dist.launcher().toString(), "--format", "text", "--ready-file", ready.toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        pb.environment().keySet().removeIf(k -> k.toUpperCase(Locale.ROOT).startsWith("ENVIRONGUARD_"));
        pb.environment().put("JAVA_HOME", Distribution.JAVA_HOME.toString());
        // This machine is shared: ignore marks only on files of this test's processes. Under the unit's capabilities
        // the process table is filled from /proc (no CAP_NET_ADMIN for the proc connector), so the reader is met at
        // its event and its command line read then: a wait of 10 ms for that read (the most the key allows; 2 ms by
        // default) keeps a JVM that has just started from timing it out (1 run in 6 did), which would make this test
        // about the JIT rather than about the unit's capabilities.
        pb.environment().put("JAVA_OPTS", "-Denvironguard.source.fanotify.ignore-marks-within=" + ProcessHandle.current().pid()
                + " -Denvironguard.process-table.cmdline-wait=10ms");
        pb.environment().put("ENVIRONGUARD_SINKS", "jsonl");
        pb.environment().put("ENVIRONGUARD_SINK_JSONL_PATH", alerts.toString());
        Process monitor = pb.start();
        List<Process> children = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!Files.exists(ready)) {
                if (!monitor.isAlive() || System.nanoTime() > deadline) {
                    fail("the monitor did not get ready under " + bounding + ":\n" + Files.readString(stderr));
                }
                Thread.sleep(20);
            }
            String status = Files.readString(Path.of("/proc/" + monitor.pid() + "/status"));
            // Under the bounding set, root's effective capabilities are exactly the set (the launcher execs java).
            assertTrue(status.contains("CapEff:\t0000000000280004"), "CAP_SYS_ADMIN (21), CAP_SYS_PTRACE (19),"
                    + " CAP_DAC_READ_SEARCH (2) and nothing else:\n" + status);

            Process sleep = start(children, List.of("/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                    "--", "/usr/bin/sleep", "120"));
            // The reader may open the target's environ only once the target is nobody's sleep: while it is still
            // root's setpriv, nobody's open fails (EACCES), and a failed open makes no event at all.
            awaitExec(sleep, "/usr/bin/sleep");
            // A JVM that has just started may still miss the 10-ms wait on a loaded machine (the alert then says the
            // command line "had not been read yet", which is timing, not capabilities): a fresh reader is tried then,
            // three at most. Any other incompleteness fails at once.
            JsonNode alert = null;
            for (int attempt = 1; attempt <= 3; attempt++) {
                Process cat = start(children, List.of("/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534",
                        "--clear-groups", "--", "/usr/bin/cat", "/proc/" + sleep.pid() + "/environ", "-"));
                alert = awaitAlert(alerts, cat.pid(), sleep.pid(), stderr);
                if (alert.get("reader").get("complete").asBoolean() || attempt == 3
                        || !alert.toString().contains("command line had not been read yet")) {
                    break;
                }
            }
            JsonNode reader = alert.get("reader");
            assertEquals("/usr/bin/cat", reader.get("exe").asText(), alert.toString());
            assertEquals(65534, reader.get("uid").asInt(), alert.toString());
            assertTrue(reader.get("complete").asBoolean(), "nothing of the reader was lost: " + alert);
            assertEquals("/usr/bin/cat", reader.get("cmdline").get(0).asText(), alert.toString());
            assertEquals("/usr/bin/sleep", alert.get("target").get("exe").asText(), alert.toString());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(alerts)));
        } finally {
            for (Process p : children) {
                p.getOutputStream().close();
                p.destroy();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
            monitor.toHandle().destroy();
            if (!monitor.waitFor(40, TimeUnit.SECONDS)) {
                monitor.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        assertEquals(0, monitor.exitValue(), Files.readString(stderr));
        assertFalse(Files.readString(stderr).contains("Exception"), Files.readString(stderr));
    }

    private static Process start(List<Process> children, List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        children.add(p);
        return p;
    }

    /** The alert in the jsonl file whose reader and target are ours; others' reads are skipped. */
    /** Waits (bounded) until {@code p} has exec'd {@code exe}. */
    private static void awaitExec(Process p, String exe) throws Exception {
        Path link = Path.of("/proc/" + p.pid() + "/exe");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline && p.isAlive()) {
            try {
                if (Files.readSymbolicLink(link).toString().equals(exe)) {
                    return;
                }
            } catch (IOException e) {
                // not there yet, or gone: looked at again below
            }
            Thread.sleep(5);
        }
        fail("process " + p.pid() + " did not exec " + exe);
    }

    private static JsonNode awaitAlert(Path alerts, long reader, long target, Path stderr) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(alerts)) {
                for (String line : Files.readAllLines(alerts, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode a = JSON.readTree(line);
                    if (a.path("reader").path("pid").asLong() == reader && a.path("target").path("pid").asLong() == target) {
                        return a;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no alert for reader " + reader + " and target " + target + " in " + alerts
                + ":\n" + (Files.exists(alerts) ? Files.readString(alerts) : "(no file)") + "\nstderr:\n" + Files.readString(stderr));
    }
}
