package io.environguard.policy;

import io.environguard.api.AccessKind;
import io.environguard.api.AccessOutcome;
import io.environguard.api.AliasKind;
import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How sweeps by one reader and by families of short-lived readers look, and how they end: the shapes of
 * linPEAS's shell loop, {@code find -exec}, {@code xargs}, and a python sweeper that exits at once.
 */
class FamilySweepExamplesTest {

    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final long GUARD_PID = 777;
    private static final Ancestor INIT = new Ancestor(1, 1, "systemd", "/usr/lib/systemd/systemd");
    private static final Ancestor SSHD = new Ancestor(400, 3000, "sshd", "/usr/sbin/sshd");
    private static final Ancestor BASH = new Ancestor(812, 90210, "bash", "/usr/bin/bash");

    private final Policy policy = new Policy(PolicyConfig.defaults(), GUARD_PID);
    private final List<Alert> alerts = new ArrayList<>();
    private final List<AccessOutcome> outcomes = new ArrayList<>();

    /** A short-lived child of {@code parent} (which descends from {@code above}), pid + start time of its own. */
    private static ProcessInfo child(int pid, String comm, String exe, Ancestor parent, Ancestor... above) {
        List<Ancestor> lineage = new ArrayList<>();
        lineage.add(parent);
        lineage.addAll(List.of(above));
        return ProcessInfo.builder(pid).comm(comm).exe(exe).uid(0).ppid(parent.pid()).startTime(100_000 + pid)
                .ancestors(lineage).build();
    }

    private static ProcessInfo target(int i) {
        return ProcessInfo.builder(2000 + i).comm("svc" + i).exe("/usr/sbin/svc").uid(0).startTime(500).build();
    }

    private void read(ProcessInfo reader, ProcessInfo target, long millis) {
        EnvironAccess access = EnvironAccess.builder().time(T0.plusMillis(millis)).source("example")
                .kind(AccessKind.OPEN).file(ProcFile.ENVIRON).path("/proc/" + target.pid() + "/environ")
                .alias(AliasKind.PROCESS).reader(reader).target(target).build();
        Optional<Alert> alert = policy.evaluate(access);
        alert.ifPresent(alerts::add);
        outcomes.add(policy.lastOutcome());
    }

    private List<String> rules() {
        return alerts.stream().map(Alert::rule).toList();
    }

    private static List<Integer> pids(List<ProcessInfo> processes) {
        return processes.stream().map(ProcessInfo::pid).toList();
    }

    @Test
    void aShellLoopForkingOneCatPerTargetIsOneFamilySweepNamingTheShellThenOneClosingAlert() {
        // for p in /proc/[0-9]*; do cat $p/environ; done: 15 cats, one target each, 20 ms apart
        List<ProcessInfo> cats = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            ProcessInfo cat = child(5000 + i, "cat", "/usr/bin/cat", BASH, SSHD, INIT);
            cats.add(cat);
            read(cat, target(i), i * 20L);
        }

        assertEquals(10, alerts.size(), "9 reads on their own, then the sweep; 5 folded: " + rules());
        assertTrue(rules().subList(0, 9).stream().allMatch(Rules.ENVIRON_READ::equals), rules().toString());
        Alert sweep = alerts.get(9);
        assertEquals(Rules.ENVIRON_SWEEP, sweep.rule());
        assertEquals(Severity.CRITICAL, sweep.severity());
        assertEquals(812, sweep.actor().pid(), "the family's parent is blamed");
        assertEquals(90210, sweep.actor().startTime());
        assertEquals("/usr/bin/bash", sweep.actor().exe());
        assertEquals(List.of(SSHD, INIT), sweep.actor().ancestors(), "with the rest of the lineage");
        assertSame(sweep.actor(), sweep.blamed());
        assertEquals(pids(cats.subList(0, 10)), pids(sweep.readers()));
        assertEquals(10, sweep.targets().size());
        assertEquals(10, sweep.count());
        assertEquals("bash (pid 812, /usr/bin/bash) started 10 readers that touched the environ files of 10 distinct "
                + "processes within 10s: svc0 (pid 2000), svc1 (pid 2001), svc2 (pid 2002), svc3 (pid 2003), svc4 (pid 2004) "
                + "and 5 more", sweep.reasons().get(0));
        assertEquals(List.of(AccessOutcome.FOLDED), outcomes.subList(10, 15).stream().distinct().toList());

        assertEquals(List.of(), policy.expire(T0.plusMillis(280 + 9_999)), "not yet quiet for a window");
        List<Alert> ended = policy.expire(T0.plusMillis(280 + 10_000));
        assertEquals(1, ended.size());
        Alert closing = ended.get(0);
        assertEquals(Rules.ENVIRON_SWEEP_ENDED, closing.rule());
        assertEquals(Severity.CRITICAL, closing.severity(), "the sweep's severity");
        assertEquals(T0.plusMillis(280 + 10_000), closing.time());
        assertEquals(List.of(2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010, 2011, 2012, 2013, 2014),
                pids(closing.targets()), "every target, before and after the sweep alert");
        assertEquals(pids(cats), pids(closing.readers()));
        assertEquals(15, closing.count());
        assertEquals(812, closing.actor().pid());
        assertEquals(cats.get(14), closing.access().reader(), "the episode's last access");
        assertTrue(closing.reasons().get(0).startsWith("The sweep by the family of bash (pid 812, /usr/bin/bash) ended "
                + "(quiet for 10s) after 15 accesses to the environ files of 15 distinct processes"), closing.reasons().get(0));
        assertEquals(List.of(), policy.expire(T0.plusMillis(60_000)), "one closing alert per episode");
    }

    @Test
    void aPythonSweeperThatExitsAtOnceIsOneSweepAndThenAClosingAlert() {
        // python3 -c 'for p in pids: open(f"/proc/{p}/environ").read()' under an interactive bash; gone 5 ms later:
        // the table still named it (pid + start time), its details are what the table held
        ProcessInfo python = child(6000, "python3", "/usr/bin/python3.12", BASH, SSHD, INIT).incomplete();
        for (int i = 0; i < 12; i++) {
            read(python, target(i), i / 3);
        }

        assertEquals(List.of(Rules.ENVIRON_READ, Rules.ENVIRON_READ, Rules.ENVIRON_READ, Rules.ENVIRON_READ,
                Rules.ENVIRON_READ, Rules.ENVIRON_READ, Rules.ENVIRON_READ, Rules.ENVIRON_READ, Rules.ENVIRON_READ,
                Rules.ENVIRON_SWEEP), rules(), "one sweep, not 12 highs");
        Alert sweep = alerts.get(9);
        assertNull(sweep.actor(), "one reader: the reader itself is blamed");
        assertSame(python, sweep.blamed());
        assertEquals(List.of(6000), pids(sweep.readers()));
        assertTrue(sweep.reasons().contains("Some details of the reader could not be read (it may have exited)"));

        List<Alert> ended = policy.expire(T0.plusSeconds(30));
        assertEquals(1, ended.size());
        assertEquals(pids(List.of(target(0), target(1), target(2), target(3), target(4), target(5), target(6), target(7),
                target(8), target(9), target(10), target(11))), pids(ended.get(0).targets()));
        assertEquals(12, ended.get(0).count());
        assertNull(ended.get(0).actor());
    }

    @Test
    void findExecAndXargsShapesAreFamiliesUnderFindAndXargs() {
        Ancestor find = new Ancestor(900, 7000, "find", "/usr/bin/find");
        Ancestor xargs = new Ancestor(910, 7100, "xargs", "/usr/bin/xargs");
        for (int i = 0; i < 10; i++) {
            // find /proc -maxdepth 2 -name environ -exec cat {} \;
            read(child(5100 + i, "cat", "/usr/bin/cat", find, BASH, SSHD, INIT), target(i), i);
            // ls -d /proc/[0-9]* | xargs -n1 -I{} head -c 64 {}/environ
            read(child(5200 + i, "head", "/usr/bin/head", xargs, BASH, SSHD, INIT), target(20 + i), i);
        }
        List<Alert> sweeps = alerts.stream().filter(a -> a.rule().equals(Rules.ENVIRON_SWEEP)).toList();
        assertEquals(List.of(900, 910), sweeps.stream().map(a -> a.actor().pid()).toList());
        assertEquals(18, alerts.size() - sweeps.size(), "each family's first 9 reads on their own");

        // xargs cat: one cat with every path as an argument: a sweep by that reader, not by xargs
        ProcessInfo oneCat = child(5300, "cat", "/usr/bin/cat", new Ancestor(920, 7200, "xargs", "/usr/bin/xargs"), BASH);
        alerts.clear();
        for (int i = 0; i < 10; i++) {
            read(oneCat, target(40 + i), 100 + i);
        }
        Alert last = alerts.get(alerts.size() - 1);
        assertEquals(Rules.ENVIRON_SWEEP, last.rule());
        assertNull(last.actor());
    }

    @Test
    void aReaderThatSweepsOnItsOwnNeverAlsoMakesItsFamilySweep() {
        ProcessInfo python = child(6000, "python3", "/usr/bin/python3.12", BASH, SSHD, INIT);
        for (int i = 0; i < 10; i++) {
            read(python, target(i), i);
        }
        assertEquals(Rules.ENVIRON_SWEEP, alerts.get(9).rule());
        // a sibling of the sweeper, started by the same shell: its read is its own, not a second sweep
        read(child(6001, "cat", "/usr/bin/cat", BASH, SSHD, INIT), target(50), 20);
        assertEquals(Rules.ENVIRON_READ, alerts.get(10).rule());
        assertEquals(11, alerts.size());
        assertEquals(AccessOutcome.ALERTED, outcomes.get(10));
    }

    @Test
    void noFamilyFormsUnderInitOrKthreadd() {
        // services started by init, and orphans re-parented to it, each reading one target: no sweep
        for (int i = 0; i < 12; i++) {
            read(child(7000 + i, "cat", "/usr/bin/cat", INIT), target(i), i);
            read(child(7100 + i, "kworker", null, new Ancestor(2, 0, "kthreadd", null)), target(i), i);
            read(ProcessInfo.builder(7200 + i).exe("/usr/bin/cat").ppid(1).startTime(9).build(), target(i), i);
        }
        assertEquals(36, alerts.size());
        assertTrue(rules().stream().allMatch(Rules.ENVIRON_READ::equals), rules().toString());
    }

    @Test
    void withoutLineageTheFamilyIsTheParentPidAndSweepsBlameIt() {
        for (int i = 0; i < 10; i++) {
            read(ProcessInfo.builder(8000 + i).comm("cat").exe("/usr/bin/cat").ppid(4321).startTime(9).build(),
                    target(i), i);
        }
        Alert sweep = alerts.get(9);
        assertEquals(Rules.ENVIRON_SWEEP, sweep.rule());
        assertEquals(4321, sweep.actor().pid());
        assertEquals(-1, sweep.actor().startTime(), "the start time of a parent known only by its pid is unknown");
        assertEquals("process (pid 4321) started 10 readers that touched the environ files of 10 distinct processes within "
                + "10s: svc0 (pid 2000), svc1 (pid 2001), svc2 (pid 2002), svc3 (pid 2003), svc4 (pid 2004) and 5 more",
                sweep.reasons().get(0));
    }

    @Test
    void familiesCanBeTurnedOff() {
        Policy perReader = new Policy(PolicyConfig.builder().sweepFamilies(false).build(), GUARD_PID);
        for (int i = 0; i < 12; i++) {
            Optional<Alert> a = perReader.evaluate(EnvironAccess.builder().time(T0.plusMillis(i))
                    .path("/proc/" + (2000 + i) + "/environ").reader(child(5000 + i, "cat", "/usr/bin/cat", BASH, INIT))
                    .target(target(i)).build());
            assertEquals(Rules.ENVIRON_READ, a.orElseThrow().rule());
        }
    }

    @Test
    void aClosingAlertListsUpToTheCapAndCountsTheRest() {
        Policy capped = new Policy(PolicyConfig.builder().sweepMaxListed(12).build(), GUARD_PID);
        ProcessInfo python = child(6000, "python3", "/usr/bin/python3.12", BASH, INIT);
        for (int i = 0; i < 20; i++) {
            capped.evaluate(EnvironAccess.builder().time(T0.plusMillis(i)).path("/proc/" + (2000 + i) + "/environ")
                    .reader(python).target(target(i)).build());
        }
        Alert closing = capped.flush(T0.plusMillis(25)).get(0);
        assertEquals(12, closing.targets().size());
        assertEquals(20, closing.count(), "every access is counted");
        assertTrue(closing.reasons().contains("8 more accesses to targets not listed: a sweep lists at most 12 targets "
                + "(environguard.policy.sweep.max.listed)"), closing.reasons().toString());
        assertTrue(closing.reasons().get(0).contains("was ended by a flush before it had been quiet for 10s"),
                closing.reasons().get(0));
        assertEquals(T0.plusMillis(25), closing.time());
    }

    @Test
    void aSweepThatEndsWhenItsReaderComesBackIsClosedAtTheNextExpire() {
        ProcessInfo python = child(6000, "python3", "/usr/bin/python3.12", BASH, INIT);
        for (int i = 0; i < 11; i++) {
            read(python, target(i), i);
        }
        // no expire call in between: the reader comes back 20 s later and starts a new episode
        read(python, target(99), 20_000);
        assertEquals(Rules.ENVIRON_READ, alerts.get(alerts.size() - 1).rule(), "a new episode: reported on its own");
        List<Alert> ended = policy.expire(T0.plusMillis(20_001));
        assertEquals(1, ended.size());
        assertEquals(11, ended.get(0).count());
        assertEquals(T0.plusMillis(10 + 10_000), ended.get(0).time(), "when it became quiet, not when it was noticed");
    }

    @Test
    void aCommandLineOnlySweepAndItsEndAreOneStepLower() {
        ProcessInfo sh = child(6100, "sh", "/usr/bin/sh", BASH, INIT);
        for (int i = 0; i < 10; i++) {
            policy.evaluate(EnvironAccess.builder().time(T0.plusMillis(i)).kind(AccessKind.COMMAND_LINE)
                    .path("/proc/" + (2000 + i) + "/environ").reader(sh).target(target(i)).build()).ifPresent(alerts::add);
        }
        assertEquals(Severity.HIGH, alerts.get(9).severity());
        assertEquals(Severity.HIGH, policy.flush(T0.plusSeconds(1)).get(0).severity());
    }
}
