package io.environguard.policy;

import io.environguard.api.AccessKind;
import io.environguard.api.AccessOutcome;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the policy judges typical accesses: one example per rule, readable as documentation. */
class PolicyExamplesTest {

    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final long GUARD_PID = 777;

    private static final ProcessInfo CAT = ProcessInfo.builder(4242).comm("cat").exe("/usr/bin/cat").uid(1000)
            .ppid(7).startTime(500).build();
    private static final ProcessInfo PS = ProcessInfo.builder(5000).comm("ps").exe("/usr/bin/ps").uid(0)
            .startTime(600).build();
    private static final ProcessInfo SLEEP = ProcessInfo.builder(42).comm("sleep").exe("/usr/bin/sleep").uid(1000)
            .startTime(100).build();
    private static final ProcessInfo BASH = ProcessInfo.builder(43).comm("bash").exe("/usr/bin/bash").uid(1000)
            .startTime(100).build();
    private static final ProcessInfo GUARD = ProcessInfo.builder((int) GUARD_PID).comm("java")
            .exe("/usr/lib/jvm/bin/java").uid(1000).startTime(50).build();

    private final Policy defaults = new Policy(PolicyConfig.defaults(), GUARD_PID);

    @Test
    void anotherProcessReadingEnvironIsAHighAlertWithAReadableReason() {
        Alert alert = defaults.evaluate(open(CAT, SLEEP, 0)).orElseThrow();

        assertEquals(Rules.ENVIRON_READ, alert.rule());
        assertEquals(Severity.HIGH, alert.severity());
        assertEquals(Mitre.SYSTEM_INFORMATION_DISCOVERY, alert.mitre());
        assertEquals(List.of(
                "Another process's environment holds its secrets (passwords, keys, tokens), and no allow rule or "
                        + "known-readers entry covers this reader",
                "cat (pid 4242, /usr/bin/cat, uid 1000) opened /proc/42/environ of sleep (pid 42)"),
                alert.reasons());
    }

    @Test
    void aProcessReadingItsOwnEnvironIsNotAnAlertWhateverThePath() {
        EnvironAccess viaSelf = EnvironAccess.builder().time(T0).path("/proc/self/environ").alias(AliasKind.SELF)
                .reader(CAT).target(CAT).build();
        EnvironAccess viaTask = EnvironAccess.builder().time(T0).path("/proc/4242/task/4243/environ")
                .alias(AliasKind.TASK).file(ProcFile.MEM).reader(CAT).target(CAT).build();

        assertTrue(defaults.evaluate(viaSelf).isEmpty());
        assertTrue(defaults.evaluate(viaTask).isEmpty());
    }

    @Test
    void repeatsAreQuietForTheDedupeWindowThenReportedAgain() {
        assertTrue(defaults.evaluate(open(CAT, SLEEP, 0)).isPresent());
        assertTrue(defaults.evaluate(open(CAT, SLEEP, 30)).isEmpty(), "a repeat within 60s");
        assertTrue(defaults.evaluate(open(CAT, BASH, 31)).isPresent(), "a new target is always reported");
        assertTrue(defaults.evaluate(open(CAT, SLEEP, 61)).isPresent(), "60s after the alert, reported again");
    }

    @Test
    void psIsAKnownReaderReportedAtLowSeverity() {
        Alert alert = defaults.evaluate(open(PS, SLEEP, 0)).orElseThrow();

        assertEquals(Rules.KNOWN_READER, alert.rule());
        assertEquals(Severity.LOW, alert.severity());
        assertEquals("/usr/bin/ps is on the known-readers list: reading other processes' environment is part "
                + "of its ordinary job", alert.reasons().get(0));
    }

    @Test
    void readingTheGuardItselfIsCriticalEvenForAnAllowedReader() {
        Policy policy = new Policy(PolicyConfig.builder().allowExe("/usr/bin/cat").build(), GUARD_PID);

        assertTrue(policy.evaluate(open(CAT, SLEEP, 0)).isEmpty(), "cat is allowed");
        Alert alert = policy.evaluate(open(CAT, GUARD, 1)).orElseThrow();
        assertEquals(Rules.PROTECTED_TARGET, alert.rule());
        assertEquals(Severity.CRITICAL, alert.severity());
        assertEquals(List.of(
                "java (pid 777) is protected: it is the JVM running this guard",
                "cat (pid 4242, /usr/bin/cat, uid 1000) opened /proc/777/environ of java (pid 777)",
                "An allow rule matches this reader, but allow rules never cover a protected target"),
                alert.reasons());
    }

    @Test
    void aKnownReaderOfAProtectedTargetIsHighRatherThanCritical() {
        Alert alert = defaults.evaluate(open(PS, GUARD, 0)).orElseThrow();

        assertEquals(Rules.PROTECTED_TARGET, alert.rule());
        assertEquals(Severity.HIGH, alert.severity());
    }

    @Test
    void configuredTargetsAreProtectedByPidOrExecutable() {
        Policy policy = new Policy(PolicyConfig.builder().protectPid(42).protectExe("/usr/bin/bash").build(), GUARD_PID);

        assertEquals(Rules.PROTECTED_TARGET, policy.evaluate(open(CAT, SLEEP, 0)).orElseThrow().rule());
        assertEquals(Rules.PROTECTED_TARGET, policy.evaluate(open(CAT, BASH, 0)).orElseThrow().rule());
    }

    @Test
    void anAllowRuleCanBeScopedToOneKindOfTarget() {
        Policy policy = new Policy(PolicyConfig.builder()
                .allowRules("exe=/usr/bin/cat&target.exe=/usr/bin/sleep").build(), GUARD_PID);

        assertTrue(policy.evaluate(open(CAT, SLEEP, 0)).isEmpty(), "cat may read sleep");
        assertTrue(policy.evaluate(open(CAT, BASH, 0)).isPresent(), "but not bash");
    }

    @Test
    void aParentRuleMatchesOnlyWhenThePolicyCanLookTheParentUp() {
        PolicyConfig config = PolicyConfig.builder().allowParentExe("/usr/bin/bash").build();
        Policy blind = new Policy(config, GUARD_PID);
        Policy withLookup = new Policy(config, GUARD_PID, ppid -> ppid == 7 ? "/usr/bin/bash" : null);

        assertTrue(blind.evaluate(open(CAT, SLEEP, 0)).isPresent(), "parent unknown: the rule cannot match");
        assertTrue(withLookup.evaluate(open(CAT, SLEEP, 0)).isEmpty(), "cat's parent (pid 7) is bash");
    }

    @Test
    void aParentRuleReadsTheLineageExactlyEvenAfterTheParentExitedAndItsPidWasReused() {
        PolicyConfig config = PolicyConfig.builder().allowParentExe("/opt/agent/bin/agent").build();
        // pid 7 was the agent when it started the reader; it has exited and pid 7 is now a shell
        Policy policy = new Policy(config, GUARD_PID, ppid -> ppid == 7 ? "/usr/bin/bash" : null);
        ProcessInfo agentsChild = CAT.toBuilder().ancestors(List.of(new Ancestor(7, 300, "agent", "/opt/agent/bin/agent"),
                new Ancestor(1, 1, "systemd", "/usr/lib/systemd/systemd"))).build();
        ProcessInfo shellsChild = ProcessInfo.builder(4243).comm("cat").exe("/usr/bin/cat").uid(1000).ppid(7)
                .startTime(501).ancestors(List.of(new Ancestor(7, 400, "bash", "/usr/bin/bash"),
                new Ancestor(1, 1, "systemd", "/usr/lib/systemd/systemd"))).build();

        assertTrue(policy.evaluate(open(agentsChild, SLEEP, 0)).isEmpty(), "started by the agent: allowed");
        assertEquals(AccessOutcome.ALLOWED, policy.lastOutcome());
        assertTrue(policy.evaluate(open(shellsChild, SLEEP, 1)).isPresent(), "started by the shell that reused pid 7");

        Policy lookupSaysAgent = new Policy(config, GUARD_PID, ppid -> "/opt/agent/bin/agent");
        assertTrue(lookupSaysAgent.evaluate(open(shellsChild, SLEEP, 2)).isPresent(),
                "with lineage, the look-up of the current ppid is never asked");
    }

    @Test
    void aReaderReParentedToInitKeepsTheParentThatStartedIt() {
        Policy policy = new Policy(PolicyConfig.builder().allowParentExe("/usr/lib/systemd/systemd").build(), GUARD_PID,
                ppid -> ppid == 1 ? "/usr/lib/systemd/systemd" : null);
        // its shell exited, so the kernel re-parented it to init: ppid 1 now, but bash started it
        ProcessInfo orphan = CAT.toBuilder().ppid(1).ancestors(List.of(new Ancestor(43, 100, "bash", "/usr/bin/bash"),
                new Ancestor(1, 1, "systemd", "/usr/lib/systemd/systemd"))).build();

        assertTrue(policy.evaluate(open(orphan, SLEEP, 0)).isPresent(), "the re-parenting cannot sneak it in");
        assertTrue(new Policy(PolicyConfig.builder().allowParentExe("/usr/lib/systemd/systemd").build(), GUARD_PID,
                ppid -> ppid == 1 ? "/usr/lib/systemd/systemd" : null)
                .evaluate(open(CAT.toBuilder().ppid(1).build(), SLEEP, 0)).isEmpty(),
                "without lineage, the best-effort look-up of the current parent is all there is");
    }

    @Test
    void anAncestorRuleAllowsAnythingStartedByTheDaemonAtAnyDepth() {
        Policy policy = new Policy(PolicyConfig.builder()
                .allowRules("ancestor.exe=/opt/backup/bin/backupd&target.exe=/usr/bin/sleep").build(), GUARD_PID);
        ProcessInfo grandchild = CAT.toBuilder().ancestors(List.of(new Ancestor(50, 10, "sh", "/usr/bin/sh"),
                new Ancestor(40, 9, "backupd", "/opt/backup/bin/backupd"), new Ancestor(1, 1, "systemd", null))).build();

        assertTrue(policy.evaluate(open(grandchild, SLEEP, 0)).isEmpty(), "the daemon's grandchild may read sleep");
        assertTrue(policy.evaluate(open(grandchild, BASH, 0)).isPresent(), "but not bash: the rule is scoped");
        assertTrue(policy.evaluate(open(CAT, SLEEP, 0)).isPresent(), "no lineage, no look-up: not allowed");
    }

    @Test
    void tenTargetsWithinTenSecondsIsOneSweepThenQuietUntilTheReaderRests() {
        List<Optional<Alert>> alerts = new ArrayList<>();
        for (int i = 0; i < 15; i++) {   // one target every half second
            ProcessInfo target = ProcessInfo.builder(100 + i).comm("t" + i).startTime(1).build();
            alerts.add(defaults.evaluate(open(CAT, target, i * 0.5)));
        }

        for (int i = 0; i < 9; i++) {
            assertEquals(Rules.ENVIRON_READ, alerts.get(i).orElseThrow().rule(), "target " + i + " on its own");
        }
        Alert sweep = alerts.get(9).orElseThrow();
        assertEquals(Rules.ENVIRON_SWEEP, sweep.rule());
        assertEquals(Severity.CRITICAL, sweep.severity());
        assertEquals(10, sweep.targets().size());
        assertEquals(10, sweep.count());
        assertEquals("cat (pid 4242, /usr/bin/cat, uid 1000) touched the environ files of 10 distinct processes "
                + "within 10s: t0 (pid 100), t1 (pid 101), t2 (pid 102), t3 (pid 103), t4 (pid 104) and 5 more",
                sweep.reasons().get(0));
        for (int i = 10; i < 15; i++) {
            assertTrue(alerts.get(i).isEmpty(), "target " + i + " is folded into the sweep");
        }

        // quiet for more than the window: a new episode starts, and a new target is reported on its own
        ProcessInfo later = ProcessInfo.builder(200).comm("later").startTime(1).build();
        assertEquals(Rules.ENVIRON_READ, defaults.evaluate(open(CAT, later, 7 + 10.5)).orElseThrow().rule());
    }

    @Test
    void aReaderInTheMiddleOfASweepStillRaisesAnAlertForAProtectedTarget() {
        for (int i = 0; i < 12; i++) {
            defaults.evaluate(open(CAT, ProcessInfo.builder(100 + i).startTime(1).build(), i * 0.1));
        }
        assertTrue(defaults.evaluate(open(CAT, ProcessInfo.builder(150).startTime(1).build(), 1.3)).isEmpty(),
                "folded into the sweep");

        Alert alert = defaults.evaluate(open(CAT, GUARD, 1.4)).orElseThrow();
        assertEquals(Rules.PROTECTED_TARGET, alert.rule());
        assertEquals(Severity.CRITICAL, alert.severity());
    }

    @Test
    void readingMemIsCredentialDumping() {
        EnvironAccess mem = EnvironAccess.builder().time(T0).path("/proc/42/mem").file(ProcFile.MEM)
                .alias(AliasKind.PROCESS).reader(CAT).target(SLEEP).build();

        Alert alert = defaults.evaluate(mem).orElseThrow();
        assertEquals(Rules.MEM_READ, alert.rule());
        assertEquals(Severity.HIGH, alert.severity());
        assertEquals(Mitre.PROC_FILESYSTEM_CREDENTIAL_DUMPING, alert.mitre());
    }

    @Test
    void aCommandLineSightingIsOneStepLowerAndSaysSo() {
        EnvironAccess sighting = EnvironAccess.builder().time(T0).kind(AccessKind.COMMAND_LINE)
                .path("/proc/42/environ").alias(AliasKind.PROCESS).reader(CAT).target(SLEEP).build();

        Alert alert = defaults.evaluate(sighting).orElseThrow();
        assertEquals(Severity.MEDIUM, alert.severity());
        assertEquals("The command line of cat (pid 4242, /usr/bin/cat, uid 1000) names /proc/42/environ of sleep (pid 42)",
                alert.reasons().get(1));
        assertTrue(alert.reasons().contains("Lower confidence: the command line names the file, which may not have "
                + "been read; severity is one step lower"));
    }

    @Test
    void anUnidentifiedReaderIsReportedWithItsCandidatesAsNoMoreThanCandidates() {
        EnvironAccess hidden = EnvironAccess.builder().time(T0).path("/proc/42/environ").alias(AliasKind.PROCESS)
                .target(SLEEP).possibleReaders(List.of(CAT)).build();

        Alert alert = defaults.evaluate(hidden).orElseThrow();
        assertEquals(Rules.ENVIRON_READ, alert.rule());
        assertEquals(List.of(
                "Another process's environment holds its secrets (passwords, keys, tokens), and no allow rule or "
                        + "known-readers entry covers this reader",
                "An unidentified process opened /proc/42/environ of sleep (pid 42)",
                "The source could not identify the reader",
                "Possible readers (best effort, not proof): cat (pid 4242, /usr/bin/cat, uid 1000)"),
                alert.reasons());
    }

    @Test
    void aCommWithControlCharactersCannotForgeALogLine() {
        ProcessInfo sneaky = ProcessInfo.builder(666).comm("x\nALERT cleared").exe("/tmp/x").build();

        Alert alert = defaults.evaluate(open(sneaky, SLEEP, 0)).orElseThrow();
        assertEquals("x\\nALERT cleared (pid 666, /tmp/x) opened /proc/42/environ of sleep (pid 42)", alert.reasons().get(1));
    }

    @Test
    void aProcessThatExecsIntoAnotherProgramIsANewReaderForDedupe() {
        // same pid and start time: first ps (a known reader, low), then, after exec, something else
        ProcessInfo asPs = ProcessInfo.builder(3000).exe("/usr/bin/ps").startTime(9).build();
        ProcessInfo afterExec = ProcessInfo.builder(3000).exe("/tmp/.x/miner").startTime(9).build();

        assertEquals(Severity.LOW, defaults.evaluate(open(asPs, SLEEP, 0)).orElseThrow().severity());
        assertEquals(Severity.HIGH, defaults.evaluate(open(afterExec, SLEEP, 1)).orElseThrow().severity());
    }

    @Test
    void policyFromConfigProtectsThisJvm() {
        Policy policy = Policy.fromConfig(io.environguard.api.GuardConfig.of(
                Map.of("environguard.policy.dedupe.window", "0s")));
        ProcessInfo me = ProcessInfo.builder((int) ProcessHandle.current().pid()).comm("java").build();

        assertEquals(Rules.PROTECTED_TARGET, policy.evaluate(open(CAT, me, 0)).orElseThrow().rule());
        assertEquals(Duration.ZERO, policy.config().dedupeWindow());
    }

    private static EnvironAccess open(ProcessInfo reader, ProcessInfo target, double atSeconds) {
        return EnvironAccess.builder().time(T0.plusMillis((long) (atSeconds * 1000))).source("example")
                .kind(AccessKind.OPEN).file(ProcFile.ENVIRON).path("/proc/" + target.pid() + "/environ")
                .alias(AliasKind.PROCESS).reader(reader).target(target).build();
    }
}
