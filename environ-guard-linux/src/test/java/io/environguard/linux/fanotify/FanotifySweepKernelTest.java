package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.linux.KernelTestSupport;
import io.environguard.policy.PolicyConfig;
import io.environguard.testkit.RecordingSink;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end on the real kernel: the guard picks the fanotify source through the ServiceLoader, and one
 * reader sweeping the environ of 20 processes becomes one {@code environ_sweep} alert (after the
 * threshold's worth of single-read alerts), not 20 alerts.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FanotifySweepKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int TARGETS = 20;

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void aSweepOverTwentyTargetsIsOneSweepAlert() throws Exception {
        RecordingSink sink = new RecordingSink();
        try (Children children = new Children();
             EnvironGuard guard = EnvironGuard.builder()
                     .config(GuardConfig.of(KernelTestSupport.ownProcessesOnly(Map.of(EnvironGuard.SOURCE, "fanotify",
                             PolicyConfig.SWEEP_THRESHOLD, "10", PolicyConfig.SWEEP_WINDOW, "60s"))))
                     .addSink("recording", sink)
                     .build()
                     .start()) {
            assertEquals("fanotify", guard.sourceName());
            List<Process> targets = new ArrayList<>();
            for (int i = 0; i < TARGETS; i++) {
                targets.add(children.sleeper());
            }
            // The sweeper opens every target's environ, says so, then waits on its stdin.
            List<String> command = new ArrayList<>(List.of(Children.PYTHON, "-c", "import sys\n"
                    + "for pid in sys.argv[1:]:\n"
                    + "    open('/proc/%s/environ' % pid, 'rb').close()\n"
                    + "print('done', flush=True)\n"
                    + "sys.stdin.read()\n"));
            targets.forEach(t -> command.add(Long.toString(t.pid())));
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            Process sweeper = pb.start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(sweeper.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("done", out.readLine());
                // A later read by another reader: its alert arrives after every alert of the sweeper's
                // reads, since the source delivers in order and the sink receives in order.
                Process marker = children.sleeper();
                Process cat = children.start("cat", "/proc/" + marker.pid() + "/environ", "-");
                sink.awaitMatching(a -> a.hasAccess() && a.access().reader().pid() == cat.pid(), 1, WAIT);

                List<Alert> bySweeper = sink.alerts().stream()
                        .filter(a -> a.hasAccess() && a.access().reader().pid() == sweeper.pid()).toList();
                List<Alert> sweeps = bySweeper.stream().filter(a -> a.rule().equals(Rules.ENVIRON_SWEEP)).toList();
                assertEquals(1, sweeps.size(), "one sweep alert: " + rules(bySweeper));
                Alert sweep = sweeps.get(0);
                assertEquals(Severity.CRITICAL, sweep.severity());
                Set<Long> targetPids = targets.stream().map(Process::pid).collect(Collectors.toSet());
                assertEquals(10, sweep.targets().size(), sweep.targets().toString());
                assertTrue(sweep.targets().stream().allMatch(t -> targetPids.contains((long) t.pid())),
                        sweep.targets().toString());
                assertEquals(9, bySweeper.stream().filter(a -> a.rule().equals(Rules.ENVIRON_READ)).count(),
                        "the threshold's first 9 targets alert on their own: " + rules(bySweeper));
                assertEquals(10, bySweeper.size(), "reads after the sweep are folded into it: " + rules(bySweeper));
            } finally {
                Children.stop(sweeper);
            }
        }
    }

    private static List<String> rules(List<Alert> alerts) {
        return alerts.stream().map(Alert::rule).toList();
    }
}
