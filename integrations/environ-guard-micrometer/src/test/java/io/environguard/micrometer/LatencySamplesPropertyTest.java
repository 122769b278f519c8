package io.environguard.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The rule of the latency ring as the binder uses it (measure while {@link LatencySamples#hasRoom()}, else count a
 * skip): whatever the order of alerts and drains, every alert is either handed on exactly once, in order, or counted
 * as skipped; a drain hands on at most its bound; and no more than a ring's worth is ever measured between drains.
 */
class LatencySamplesPropertyTest {

    /** An alert (a positive value: its latency) or a drain of at most {@code -value} samples. */
    @Provide
    Arbitrary<List<Integer>> steps() {
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(1, 1_000_000)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(-40, -1)))
                .list().ofMaxSize(400);
    }

    @Property
    void everyAlertIsHandedOnOnceOrCountedAsSkipped(@ForAll("steps") List<Integer> steps,
                                                     @ForAll @IntRange(min = 1, max = 5) int log2Capacity) {
        int capacity = 1 << log2Capacity;
        LatencySamples s = new LatencySamples(capacity);
        List<Long> measured = new ArrayList<>();
        List<Long> handed = new ArrayList<>();
        int alerts = 0;
        int measuredSinceDrain = 0;
        for (int step : steps) {
            if (step > 0) {
                alerts++;
                if (s.hasRoom()) {
                    s.add(step);
                    measured.add((long) step);
                    measuredSinceDrain++;
                } else {
                    s.skip();
                }
                assertTrue(measuredSinceDrain <= capacity, "measured more than a ring's worth between drains");
            } else {
                int before = handed.size();
                int n = s.drain(handed::add, -step);
                assertEquals(handed.size() - before, n);
                assertTrue(n <= -step, "a drain hands on at most its bound");
                measuredSinceDrain = Math.max(0, measuredSinceDrain - n);
            }
        }
        while (s.drain(handed::add, capacity) > 0) {
            // the rest
        }
        assertEquals(measured, handed, "one producer never laps the ring: what was measured comes out whole, in order");
        assertEquals(alerts, handed.size() + s.skipped());
    }
}
