package io.environguard.policy;

import io.environguard.api.AccessOutcome;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code parent.exe} and {@code ancestor.exe} rules read the reader's lineage, exactly: the parent that started
 * it and its ancestors as they were, whatever happened since. Over generated lineages in which ancestors exited
 * and their pids were reused by other programs, and readers re-parented to init or to a subreaper: the current
 * owner of a pid (what a look-up by pid finds) never decides for a reader with lineage, so none of these can
 * make a rule match, or stop one from matching. Without lineage, the look-up of the current parent decides.
 */
class LineageRulePropertyTest {

    private static final List<String> EXES = List.of("/opt/agent/bin/agent", "/usr/bin/bash", "/usr/bin/sh",
            "/usr/lib/systemd/systemd", "/usr/bin/tini");
    private static final Instant T0 = Instant.parse("2026-05-01T00:00:00Z");

    /** One generated case: the reader's lineage, its current ppid, what pids hold now, and the rule. */
    record Case(List<Ancestor> lineage, int ppid, Map<Integer, String> nowRunning, boolean ancestorRule, String ruleExe,
                String targetExe) {
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Ancestor> ancestor = Combinators.combine(Arbitraries.integers().between(1, 12),
                        Arbitraries.longs().between(-1, 5), Arbitraries.of(EXES).injectNull(0.1))
                .as((pid, start, exe) -> new Ancestor(pid, start, exe == null ? null : exe.substring(exe.lastIndexOf('/') + 1), exe));
        Arbitrary<List<Ancestor>> lineage = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(List.<Ancestor>of())),
                net.jqwik.api.Tuple.of(4, ancestor.list().ofMinSize(1).ofMaxSize(ProcessInfo.MAX_ANCESTORS)));
        // the reader's current ppid: its parent's (no change), init (re-parented), a subreaper, or anything
        Arbitrary<Integer> ppidChoice = Arbitraries.integers().between(0, 3);
        // what each pid runs now: a parent that exited may have had its pid reused by any program
        Arbitrary<Map<Integer, String>> nowRunning = Arbitraries.maps(Arbitraries.integers().between(1, 12),
                Arbitraries.of(EXES)).ofMaxSize(12);
        return Combinators.combine(lineage, ppidChoice, nowRunning, Arbitraries.of(true, false), Arbitraries.of(EXES),
                        Arbitraries.of("/usr/bin/sleep", "/usr/bin/vault").injectNull(0.6))
                .as((l, choice, now, ancestorRule, exe, targetExe) -> {
                    int ppid;
                    switch (choice) {
                        case 0: ppid = l.isEmpty() ? 5 : l.get(0).pid(); break;
                        case 1: ppid = 1; break;
                        case 2: ppid = 11; break;
                        default: ppid = 3; break;
                    }
                    return new Case(l, ppid, now, ancestorRule, exe, targetExe);
                });
    }

    @Property
    void theLineageDecidesExactlyAndALookUpByPidOnlyWithoutIt(@ForAll("cases") Case c) {
        AllowRule.Builder rule = AllowRule.builder().targetExe(c.targetExe());
        if (c.ancestorRule()) {
            rule.ancestorExe(c.ruleExe());
        } else {
            rule.parentExe(c.ruleExe());
        }
        boolean[] lookedUp = {false};
        IntFunction<String> currentOwner = pid -> {
            lookedUp[0] = true;
            return c.nowRunning().get(pid);
        };
        Policy policy = new Policy(PolicyConfig.builder().allowRule(rule.build()).protectSelf(false).build(), 999,
                currentOwner);
        ProcessInfo reader = ProcessInfo.builder(40).exe("/usr/bin/cat").startTime(9).ppid(c.ppid())
                .ancestors(c.lineage()).build();
        ProcessInfo target = ProcessInfo.builder(50).exe("/usr/bin/sleep").startTime(9).build();
        policy.evaluate(EnvironAccess.builder().time(T0).path("/proc/50/environ").reader(reader).target(target).build());
        boolean allowed = policy.lastOutcome() == AccessOutcome.ALLOWED;

        boolean targetOk = c.targetExe() == null || c.targetExe().equals(target.exe());
        boolean expected;
        if (!c.lineage().isEmpty()) {
            List<String> exes = new ArrayList<>();
            c.lineage().forEach(a -> exes.add(a.exe()));
            expected = targetOk && (c.ancestorRule() ? exes.contains(c.ruleExe()) : c.ruleExe().equals(exes.get(0)));
            assertEquals(false, lookedUp[0], "with lineage, the current owner of a pid is never asked");
        } else {
            expected = targetOk && c.ruleExe().equals(c.nowRunning().get(c.ppid()));
        }
        assertEquals(expected, allowed, () -> "case " + c);

        Statistics.label("lineage").collect(!c.lineage().isEmpty());
        Statistics.label("allowed").collect(allowed);
        // the dangerous case: the pid the reader now calls its parent runs the allowed program, but did not start it
        Statistics.label("current owner would have allowed").collect(!c.lineage().isEmpty()
                && c.ruleExe().equals(c.nowRunning().get(c.ppid())) && !expected);
        Statistics.label("allowed").coverage(k -> {
            k.check(true).percentage(p -> p > 10);
            k.check(false).percentage(p -> p > 10);
        });
        Statistics.label("current owner would have allowed").coverage(k -> k.check(true).percentage(p -> p > 2));
    }
}
