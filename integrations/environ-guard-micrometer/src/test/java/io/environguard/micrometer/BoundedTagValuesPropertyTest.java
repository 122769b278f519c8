package io.environguard.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** However many and however odd the ids a plugin reports, a tag never takes more than a bounded set of values. */
class BoundedTagValuesPropertyTest {

    private static final Set<String> KNOWN = Set.of("environ_sweep", "environ_read_from_procfs");

    @Provide
    Arbitrary<List<String>> ids() {
        Arbitrary<String> idLike = Arbitraries.strings().withCharRange('a', 'z').withChars('_', '0', '9').ofMinLength(1).ofMaxLength(70);
        Arbitrary<String> anything = Arbitraries.strings().all().ofMaxLength(20);
        Arbitrary<String> known = Arbitraries.of(KNOWN);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(5, idLike), net.jqwik.api.Tuple.of(2, anything), net.jqwik.api.Tuple.of(2, known),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just("other")))
                .list().ofMaxSize(300);
    }

    @Property(tries = 300)
    void boundedStableAndKnownIdsPass(@ForAll("ids") List<String> seen, @ForAll("maxOthers") int maxOthers) {
        BoundedTagValues tags = new BoundedTagValues(KNOWN, maxOthers);
        Map<String, String> first = new HashMap<>();
        Set<String> values = new HashSet<>();
        for (String id : seen) {
            String v = tags.valueOf(id);
            values.add(v);
            String before = first.putIfAbsent(id, v);
            if (before != null) {
                assertEquals(before, v, "a value keeps its mapping: " + id);
            }
            if (KNOWN.contains(id)) {
                assertEquals(id, v);
            }
            assertTrue(v.equals(id) || v.equals(BoundedTagValues.OTHER), v);
            assertTrue(v.matches("[a-z][a-z0-9_]{0,63}"), "every tag value looks like an id: " + v);
        }
        Set<String> others = new HashSet<>(values);
        others.removeAll(KNOWN);
        others.remove(BoundedTagValues.OTHER);
        assertTrue(others.size() <= maxOthers, others.size() + " > " + maxOthers);
    }

    @Provide
    Arbitrary<Integer> maxOthers() {
        return Arbitraries.integers().between(0, 40);
    }
}
