package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.linux.KernelTestSupport;
import io.environguard.testkit.RecordingSink;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The targeted source through the guard: what it guards, the policy protects. A read of this JVM is a
 * critical protected-target alert (protect.self); a read of another guarded process is one too, with no
 * {@code environguard.policy.protect.pids} set, because the guard adds the source's pids to the policy.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TargetedGuardKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void readsOfGuardedProcessesAreCriticalProtectedTargetAlerts() throws Exception {
        long self = ProcessHandle.current().pid();
        RecordingSink sink = new RecordingSink();
        Process other = new ProcessBuilder("sleep", "300").start();
        try (Readers readers = new Readers();
             EnvironGuard guard = EnvironGuard.builder()
                     .config(GuardConfig.of(Map.of(EnvironGuard.SOURCE, "targeted",
                             TargetedSettings.PIDS, "self," + other.pid())))
                     .addSink("recording", sink)
                     .build()
                     .start()) {
            assertEquals("targeted", guard.sourceName());

            Process reader = readers.openOnce("/proc/" + self + "/environ");
            Alert alert = sink.awaitAlert(a -> a.hasAccess() && a.access().reader().pid() == reader.pid(), WAIT);
            assertEquals(Rules.PROTECTED_TARGET, alert.rule());
            assertEquals(Severity.CRITICAL, alert.severity());
            assertTrue(alert.reasons().stream().anyMatch(r -> r.contains("the JVM running this guard")), alert.reasons().toString());

            Process otherReader = readers.openOnce("/proc/" + other.pid() + "/environ");
            Alert second = sink.awaitAlert(a -> a.hasAccess() && a.access().reader().pid() == otherReader.pid(), WAIT);
            assertEquals(Rules.PROTECTED_TARGET, second.rule());
            assertEquals(Severity.CRITICAL, second.severity());
            assertEquals(other.pid(), second.access().target().pid());
            assertTrue(guard.coverage().watching().get(0).contains(Long.toString(other.pid())), guard.coverage().toString());
        } finally {
            other.destroyForcibly();
            other.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
