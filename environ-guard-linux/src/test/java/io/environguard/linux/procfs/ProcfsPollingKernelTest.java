package io.environguard.linux.procfs;

import io.environguard.EnvironGuard;
import io.environguard.api.AccessKind;
import io.environguard.api.AliasKind;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.linux.process.ProcessTableSettings;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.testkit.RecordingSink;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The polling source against the real kernel, unprivileged: it needs no capability, so on CI
 * ({@code CI=true}) it always runs. Only processes this test starts are read and matched: other processes
 * on the machine may read environ files too, and their alerts are ignored here. Waits are bounded; every
 * child is destroyed in a {@code finally}.
 */
@Tag("kernel")
class ProcfsPollingKernelTest {

    private static final Path PROC = Path.of("/proc");
    private static final Duration WAIT = Duration.ofSeconds(15);

    @BeforeAll
    static void linuxOnly() {
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                && Files.isReadable(PROC.resolve("self/stat"));
        if (!"true".equals(System.getenv("CI"))) {
            assumeTrue(linux, "needs Linux and /proc");
        }
    }

    private static EnvironGuard guard(RecordingSink sink) throws Exception {
        return EnvironGuard.builder()
                .config(GuardConfig.empty())
                .set(EnvironGuard.SOURCE, "procfs")
                .set(GuardConfig.PROC_ROOT, "/proc")
                .addSink("rec", sink)
                .build().start();
    }

    /** A reader that holds the environ of a process we started open for 3 s is reported at the default interval. */
    @Test
    void aReaderHoldingTheFileOpenIsReported() throws Exception {
        List<Process> started = new ArrayList<>();
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard g = guard(sink)) {
            Process target = start(started, "sleep", "30");
            Process reader = start(started, "sh", "-c", "exec 3</proc/" + target.pid() + "/environ; sleep 3");
            Alert alert = sink.awaitAlert(by(reader, target, AccessKind.HELD_OPEN), WAIT);
            assertEquals(Rules.ENVIRON_READ, alert.rule());
            assertEquals(Severity.HIGH, alert.severity());
            assertEquals(AliasKind.PROCESS, alert.access().alias());
            assertEquals("/proc/" + target.pid() + "/environ", alert.access().path());
            assertEquals("sh", alert.access().reader().comm());
        } finally {
            destroy(started);
        }
    }

    /**
     * A reader holding the file open is named through the source's process table: its name, executable, start time
     * and lineage (this JVM started it), with the table fed by the proc connector (as root) and polled from /proc;
     * coverage says which.
     */
    @Test
    void aLiveReaderIsNamedThroughTheProcessTableWithItsLineage() throws Exception {
        for (boolean connector : new boolean[] {true, false}) {
            List<Process> started = new ArrayList<>();
            ProcfsPollingSource source = new ProcfsPollingSource(ProcfsSettings.defaults(PROC).withProcessTable(
                    ProcessTableSettings.defaults().withPollInterval(Duration.ofMillis(200))),
                    java.time.Clock.systemUTC(), connector);
            String mode = connector ? "proc connector: " : "polled: ";
            try {
                Process target = start(started, "sleep", "30");
                Process reader = start(started, "sh", "-c", "exec 3</proc/" + target.pid() + "/environ; sleep 10");
                Recorder rec = new Recorder();
                source.start(rec); // scans every second; the table is polled every 200 ms without the connector
                EnvironAccess found = null;
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (found == null && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    found = rec.held().stream().filter(a -> a.reader().pid() == reader.pid()
                            && a.target().pid() == target.pid()).findFirst().orElse(null);
                }
                EnvironAccess a = found;
                assertTrue(a != null, () -> mode + "not seen: " + rec.held());
                assertEquals("sh", a.reader().comm(), mode + a.reader());
                assertEquals(reader.info().command().orElseThrow(), a.reader().exe(), mode + a.reader());
                assertTrue(a.reader().startTime() > 0, mode + a.reader());
                assertTrue(!a.reader().ancestors().isEmpty(), mode + "lineage of " + a.reader());
                assertEquals(ProcessHandle.current().pid(), a.reader().ancestors().get(0).pid(), mode + a.reader());
                assertEquals(ProcessHandle.current().info().command().orElseThrow(),
                        a.reader().ancestors().get(0).exe(), mode + "the parent's executable, from the table");
                assertEquals("sleep", a.target().comm(), mode + a.target());
                assertEquals(target.info().startInstant().isPresent(), a.target().startTime() > 0, mode + a.target());
                List<String> watching = source.coverage().watching();
                assertTrue(watching.stream().anyMatch(w -> w.startsWith(connector
                        ? "process table fed by the kernel's proc connector" : "process table: polled from /proc every"
                        + " 200 ms")), mode + watching);
                assertTrue(source.metrics().get("process_table_live") > 0, mode + source.metrics());
            } finally {
                source.close();
                destroy(started);
            }
        }
    }

    /** {@code sh -c 'sleep 2; cat /proc/P/environ'} is reported from its command line, one severity lower. */
    @Test
    void aCommandLineNamingTheFileIsReported() throws Exception {
        List<Process> started = new ArrayList<>();
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard g = guard(sink)) {
            Process target = start(started, "sleep", "30");
            Process sh = start(started, "sh", "-c", "sleep 2; cat /proc/" + target.pid() + "/environ > /dev/null");
            Alert alert = sink.awaitAlert(by(sh, target, AccessKind.COMMAND_LINE), WAIT);
            assertEquals(Rules.ENVIRON_READ, alert.rule());
            assertEquals(Severity.MEDIUM, alert.severity(), "a command line is lower confidence");
        } finally {
            destroy(started);
        }
    }

    /** Every alias of the file is found, and a process holding its own environ is a self-read the policy ignores. */
    @Test
    void findsTheTaskAliasAndIgnoresSelfReads() throws Exception {
        List<Process> started = new ArrayList<>();
        ProcfsPollingSource source = new ProcfsPollingSource(ProcfsSettings.defaults(PROC));
        try {
            Process target = start(started, "sleep", "30");
            Process task = start(started, "sh", "-c", "exec 3</proc/" + target.pid() + "/task/" + target.pid()
                    + "/environ; exec 4</proc/" + target.pid() + "/mem; sleep 5");
            Process self = start(started, "sh", "-c", "exec 3</proc/self/environ; sleep 5");
            List<EnvironAccess> seen = new ArrayList<>();
            Recorder rec = new Recorder();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline && (count(seen, task) < 2 || count(seen, self) < 1)) {
                source.scanOnce(rec);
                seen.addAll(rec.held());
                rec.clear();
                Thread.sleep(100);
            }
            EnvironAccess viaTask = find(seen, a -> a.reader().pid() == task.pid() && a.alias() == AliasKind.TASK);
            assertEquals(target.pid(), viaTask.target().pid());
            assertEquals(target.pid(), viaTask.target().tid());
            EnvironAccess mem = find(seen, a -> a.reader().pid() == task.pid() && a.path().endsWith("/mem"));
            assertEquals(target.pid(), mem.target().pid());
            EnvironAccess own = find(seen, a -> a.reader().pid() == self.pid());
            assertTrue(own.isSelfRead(), own::toString);
            assertTrue(new Policy(PolicyConfig.defaults(), ProcessHandle.current().pid()).evaluate(own).isEmpty());
        } finally {
            source.close();
            destroy(started);
        }
    }

    /**
     * A reader inside a new pid and mount namespace (a container's {@code /proc}, mounted over the inherited one)
     * holding {@code /proc/2/environ}: pid 2 of the container, which must be mapped to its pid here, never taken
     * for this namespace's pid 2. Needs root (unshare); CI runs as root.
     */
    @Test
    void mapsAContainersPidToTheHostsPid() throws Exception {
        assumeTrue(isRoot() || "true".equals(System.getenv("CI")), "needs root for unshare");
        List<Process> started = new ArrayList<>();
        ProcfsPollingSource source = new ProcfsPollingSource(ProcfsSettings.defaults(PROC));
        try {
            Process unshare = start(started, "unshare", "-fpm", "--mount-proc", "sh", "-c",
                    "sleep 60 & exec 3</proc/$!/environ; sleep 10");
            Recorder rec = new Recorder();
            EnvironAccess found = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (found == null && System.nanoTime() < deadline) {
                source.scanOnce(rec);
                List<Long> family = unshare.descendants().map(ProcessHandle::pid).toList();
                found = rec.held().stream().filter(a -> family.contains((long) a.reader().pid())
                        && family.contains((long) a.target().pid()) && a.reader().pid() != a.target().pid())
                        .findFirst().orElse(null);
                Thread.sleep(100);
            }
            assertTrue(found != null, () -> "not mapped: " + rec.held());
            assertEquals(AliasKind.OTHER_PROC_MOUNT, found.alias());
            assertEquals("/proc/2/environ", found.path());
            assertEquals("sleep", found.target().comm());
            assertTrue(found.target().complete());
        } finally {
            source.close();
            destroy(started);
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(PROC.resolve("self/status")).stream()
                .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
    }

    private static long count(List<EnvironAccess> seen, Process reader) {
        return seen.stream().filter(a -> a.reader().pid() == reader.pid()).count();
    }

    private static EnvironAccess find(List<EnvironAccess> seen, Predicate<EnvironAccess> match) {
        Optional<EnvironAccess> a = seen.stream().filter(match).findFirst();
        assertTrue(a.isPresent(), () -> "not among " + seen);
        return a.get();
    }

    private static Predicate<Alert> by(Process reader, Process target, AccessKind kind) {
        return a -> a.hasAccess() && a.access().reader().pid() == reader.pid() && a.access().target().pid() == target.pid()
                && a.access().kind() == kind;
    }

    private static Process start(List<Process> started, String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    private static void destroy(List<Process> started) throws InterruptedException {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : started) {
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
