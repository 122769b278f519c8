package io.environguard.policy;

import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The policy's memory stays within its configured bounds, however long and varied the stream. */
class PolicyStatePropertyTest {

    /** Many distinct readers and targets (wide pid range), quick succession, some repeats; or families at work. */
    @Provide
    Arbitrary<Scenarios.Scenario> longStream() {
        return Arbitraries.oneOf(Scenarios.scenarios(Scenarios.processes(5000), 64, 400), Scenarios.familyScenarios(400));
    }

    @Provide
    Arbitrary<PolicyConfig> smallCaps() {
        Arbitrary<Integer> cap = Arbitraries.integers().between(1, 12);
        Arbitrary<Integer> threshold = Arbitraries.integers().between(2, 8);
        Arbitrary<Integer> window = Arbitraries.integers().between(100, 5000);
        Arbitrary<Integer> listed = Arbitraries.integers().between(1, 12);
        return Combinators.combine(cap, threshold, window, listed).as((c, n, w, l) -> PolicyConfig.builder()
                .maxStateEntries(c).sweepThreshold(n).sweepWindow(Duration.ofMillis(w)).sweepMaxListed(l)
                .dedupeWindow(Duration.ofMillis(w * 6L)).build());
    }

    @Property
    void stateNeverExceedsTheCap(@ForAll("smallCaps") PolicyConfig config,
                                 @ForAll("longStream") Scenarios.Scenario scenario) {
        Policy policy = new Policy(config, 1);
        int cap = config.maxStateEntries();
        int peak = 0;
        List<EnvironAccess> accesses = scenario.accesses();
        for (EnvironAccess access : accesses) {
            policy.evaluate(access);
            int dedupe = policy.dedupeEntries();
            int readers = policy.trackedReaders();
            int families = policy.trackedFamilies();
            int targets = policy.maxTrackedTargetsPerReader();
            int listed = policy.maxListedPerEpisode();
            assertTrue(dedupe <= cap, () -> "dedupe table " + dedupe + " > cap " + cap);
            assertTrue(readers <= cap, () -> "reader table " + readers + " > cap " + cap);
            assertTrue(families <= cap, () -> "family table " + families + " > cap " + cap);
            assertTrue(targets <= config.sweepThreshold(), () -> "an episode holds " + targets + " targets");
            assertTrue(listed <= config.sweepMaxListed(), () -> "a sweep lists " + listed);
            peak = Math.max(peak, Math.max(dedupe, readers));
        }
        Statistics.label("reached the cap").collect(peak == cap);
        Statistics.label("reached the cap").coverage(c -> c.check(true).percentage(p -> p > 50));
    }

    @Property
    void expiredEntriesAreDroppedWhenNewOnesArrive(@ForAll("longStream") Scenarios.Scenario scenario) {
        PolicyConfig config = PolicyConfig.builder().sweepWindow(Duration.ofMillis(100))
                .dedupeWindow(Duration.ofMillis(100)).build();
        Policy policy = new Policy(config, 1);
        scenario.accesses().forEach(policy::evaluate);
        // an hour later, one new pair: everything older than the windows is gone, only the newcomer stays
        EnvironAccess last = scenario.accesses().get(scenario.accesses().size() - 1);
        policy.evaluate(EnvironAccess.builder().time(last.time().plus(Duration.ofHours(1)))
                .reader(ProcessInfo.builder(90_001).startTime(5).exe("/usr/bin/cat").build())
                .target(ProcessInfo.builder(90_002).startTime(5).build()).build());
        assertTrue(policy.dedupeEntries() == 1, () -> "dedupe entries: " + policy.dedupeEntries());
        assertTrue(policy.trackedReaders() == 1, () -> "readers: " + policy.trackedReaders());
        // and an expire an hour later still drops every episode, families included, whether it swept or not
        policy.expire(last.time().plus(Duration.ofHours(2)));
        assertTrue(policy.trackedReaders() == 0 && policy.trackedFamilies() == 0, "expire leaves nothing behind");
    }
}
