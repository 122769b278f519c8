package io.environguard.policy;

import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No access is judged away unseen: every access ends in exactly one outcome, and each outcome is backed by what
 * the alerts show. An access is alerted on its own (or raised a sweep), deduplicated after an alert for the same
 * pair, allowed, a self-read, or folded: then a later {@code environ_sweep_ended} alert lists its reader and its
 * target (or says how many accesses it could not list) and counts it. Over any config (allow rules, small state
 * caps and listing caps included), families, and closing by {@code expire} at any moment or by {@code flush}.
 */
class OutcomeAccountingPropertyTest {

    @Provide
    Arbitrary<PolicyConfig> anyConfig() {
        return Scenarios.configs(true, true);
    }

    @Provide
    Arbitrary<Scenarios.Scenario> scenario() {
        return Arbitraries.oneOf(Scenarios.scenarios(8, 60), Scenarios.scenarios(Scenarios.processes(16), 4, 10, 20, 80, 2),
                Scenarios.familyScenarios(100));
    }

    @Provide
    Arbitrary<List<Boolean>> expireFlags() {
        return Arbitraries.of(true, false, false).list().ofSize(100);
    }

    @Property
    void everyAccessIsAlertedDeduplicatedAllowedSelfOrListedInAClosingAlert(
            @ForAll("anyConfig") PolicyConfig config, @ForAll("scenario") Scenarios.Scenario scenario,
            @ForAll("expireFlags") List<Boolean> expireBefore) {
        Policy policy = new Policy(config, 3, Scenarios.PARENT_LOOKUP);
        List<EnvironAccess> accesses = scenario.accesses();
        List<AccessOutcome> outcomes = new ArrayList<>();
        /** Alerts in the order they came out; for each access, how many alerts had come out before it was judged. */
        List<Alert> emitted = new ArrayList<>();
        int[] emittedBefore = new int[accesses.size()];
        Map<List<Object>, Alert> lastAlertOfPair = new HashMap<>();
        long dedupeNanos = config.dedupeWindow().toNanos();

        for (int i = 0; i < accesses.size(); i++) {
            EnvironAccess access = accesses.get(i);
            if (expireBefore.get(i)) {
                emitted.addAll(policy.expire(access.time()));
            }
            emittedBefore[i] = emitted.size();
            Optional<Alert> alert = policy.evaluate(access);
            AccessOutcome outcome = policy.lastOutcome();
            outcomes.add(outcome);
            assertEquals(outcome == AccessOutcome.ALERTED, alert.isPresent(), () -> outcome + " but alert " + alert);
            assertEquals(access.isSelfRead(), outcome == AccessOutcome.SELF_READ);
            switch (outcome) {
                case ALERTED:
                    assertSame(access, alert.get().access(), "an access's alert carries that access");
                    emitted.add(alert.get());
                    if (alert.get().targets().isEmpty()) {
                        lastAlertOfPair.put(Scenarios.pairKey(access), alert.get());
                    }
                    break;
                case DEDUPED:
                    Alert earlier = lastAlertOfPair.get(Scenarios.pairKey(access));
                    assertNotNull(earlier, "deduplicated without an earlier alert for the pair");
                    assertTrue(Policy.nanos(access.time()) - Policy.nanos(earlier.time()) < dedupeNanos,
                            "deduplicated after the window");
                    break;
                case ALLOWED:
                    assertFalse(config.allowRules().isEmpty(), "allowed without any allow rule");
                    break;
                default:
                    break;
            }
        }
        EnvironAccess last = accesses.get(accesses.size() - 1);
        emitted.addAll(policy.flush(last.time().plus(Duration.ofMillis(1))));

        List<Alert> closings = emitted.stream().filter(a -> a.rule().equals(Rules.ENVIRON_SWEEP_ENDED)).toList();
        long folded = 0;
        for (int i = 0; i < accesses.size(); i++) {
            if (outcomes.get(i) != AccessOutcome.FOLDED) {
                continue;
            }
            folded++;
            EnvironAccess access = accesses.get(i);
            boolean listed = false;
            for (Alert c : emitted.subList(emittedBefore[i], emitted.size())) {
                if (c.rule().equals(Rules.ENVIRON_SWEEP_ENDED) && lists(c, access)) {
                    listed = true;
                    break;
                }
            }
            int index = i;
            assertTrue(listed, () -> "folded access " + index + " is in no later closing alert: " + access);
        }
        assertTrue(closings.stream().mapToLong(Alert::count).sum() >= folded, "each folded access is counted");

        // each sweep alert has exactly one closing alert, later, for the same actor, listing at least its targets
        List<Alert> unmatched = new ArrayList<>(closings);
        for (int k = 0; k < emitted.size(); k++) {
            Alert sweep = emitted.get(k);
            if (!sweep.rule().equals(Rules.ENVIRON_SWEEP)) {
                continue;
            }
            Alert match = null;
            for (Alert c : emitted.subList(k + 1, emitted.size())) {
                if (unmatched.contains(c) && sameBlame(sweep, c) && c.targets().containsAll(sweep.targets())
                        && c.count() >= sweep.count() && c.severity() == sweep.severity()) {
                    match = c;
                    break;
                }
            }
            int at = k;
            assertNotNull(match, () -> "sweep alert " + at + " never ended: " + sweep.reasons());
            unmatched.remove(match);
        }
        assertEquals(List.of(), unmatched, "a closing alert without its sweep");

        Map<AccessOutcome, Long> counts = new EnumMap<>(AccessOutcome.class);
        outcomes.forEach(o -> counts.merge(o, 1L, Long::sum));
        assertEquals(accesses.size(), counts.values().stream().mapToLong(Long::longValue).sum());
        Statistics.label("folded").collect(folded > 0);
        Statistics.label("deduped").collect(counts.containsKey(AccessOutcome.DEDUPED));
        Statistics.label("allowed").collect(counts.containsKey(AccessOutcome.ALLOWED));
        Statistics.label("folded").coverage(c -> c.check(true).percentage(p -> p > 10));
        Statistics.label("deduped").coverage(c -> c.check(true).percentage(p -> p > 10));
        Statistics.label("allowed").coverage(c -> c.check(true).percentage(p -> p > 10));
    }

    /** Whether a closing alert lists the access's reader and target, or says it could not list them all. */
    private static boolean lists(Alert closing, EnvironAccess access) {
        boolean target = contains(closing.targets(), access.target())
                || closing.reasons().stream().anyMatch(r -> r.contains("more accesses to targets not listed"));
        boolean reader = contains(closing.readers(), access.reader())
                || closing.reasons().stream().anyMatch(r -> r.contains("more accesses by readers not listed"));
        return target && reader;
    }

    private static boolean contains(List<ProcessInfo> processes, ProcessInfo p) {
        return processes.stream().anyMatch(q -> q.pid() == p.pid() && q.startTime() == p.startTime());
    }

    private static boolean sameBlame(Alert sweep, Alert closing) {
        ProcessInfo a = sweep.blamed();
        ProcessInfo b = closing.actor() != null ? closing.actor() : closing.readers().isEmpty() ? null : closing.readers().get(0);
        if (sweep.actor() != null) {
            b = closing.actor();
        }
        return a != null && b != null && a.pid() == b.pid() && a.startTime() == b.startTime();
    }
}
