package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The plan marks the most direct aliases first, never twice, never more than the cap, and all of them when it can. */
class AliasPlanPropertyTest {

    private static final List<ProcFile> FILES = List.of(ProcFile.ENVIRON, ProcFile.MEM);

    @Provide
    Arbitrary<Map<Integer, int[]>> processes() {
        Arbitrary<int[]> threads = Arbitraries.integers().between(2, 400).set().ofMinSize(0).ofMaxSize(12)
                .map(s -> s.stream().mapToInt(Integer::intValue).toArray());
        return Arbitraries.integers().between(1000, 1003).set().ofMinSize(1).ofMaxSize(3).flatMap(pids ->
                threads.list().ofSize(pids.size()).map(lists -> {
                    Map<Integer, int[]> out = new LinkedHashMap<>();
                    int i = 0;
                    for (int pid : new TreeSet<>(pids)) {
                        Set<Integer> tids = new TreeSet<>();
                        tids.add(pid);
                        for (int t : lists.get(i++)) {
                            tids.add(t + 1000 * pid); // thread ids are unique across processes
                        }
                        out.put(pid, tids.stream().mapToInt(Integer::intValue).toArray());
                    }
                    return out;
                }));
    }

    @Property
    void cappedDistinctOrderedAndComplete(@ForAll("processes") Map<Integer, int[]> tasks,
                                          @ForAll @IntRange(min = 1, max = 3000) int cap) {
        AliasPlan all = AliasPlan.of(tasks, FILES, Integer.MAX_VALUE);
        AliasPlan capped = AliasPlan.of(tasks, FILES, cap);

        assertEquals(all.possible(), all.aliases().size(), "uncapped, the plan holds every alias");
        assertEquals(Math.min(cap, all.possible()), capped.aliases().size());
        assertEquals(all.aliases().subList(0, capped.aliases().size()), capped.aliases(), "the cap cuts the tail");
        assertEquals(all.aliases().size(), new HashSet<>(all.aliases()).size(), "no alias twice");
        for (int i = 1; i < all.aliases().size(); i++) {
            assertTrue(all.aliases().get(i - 1).level().compareTo(all.aliases().get(i).level()) <= 0, "levels in order");
        }
        Set<String> paths = new HashSet<>();
        for (Alias a : all.aliases()) {
            assertTrue(paths.add(a.path()), "distinct paths");
            int[] tids = tasks.get(a.pid());
            assertTrue(contains(tids, a.dir()) && (a.task() < 0 || contains(tids, a.task())), "names the process's own tasks");
        }
    }

    @Example
    void smallProcessInOrder() {
        AliasPlan plan = AliasPlan.of(Map.of(42, new int[] {42, 43}), List.of(ProcFile.ENVIRON), 100);
        assertEquals(List.of("/proc/42/environ", "/proc/42/task/42/environ", "/proc/42/task/43/environ",
                "/proc/43/environ", "/proc/43/task/42/environ", "/proc/43/task/43/environ"),
                plan.aliases().stream().map(Alias::path).toList());
        assertEquals(List.of(AliasKind.PROCESS, AliasKind.TASK, AliasKind.TASK, AliasKind.THREAD, AliasKind.TASK, AliasKind.TASK),
                plan.aliases().stream().map(Alias::kind).toList());
        assertEquals(6, plan.possible());
        assertEquals(43, plan.aliases().get(3).tid());
        assertEquals(-1, plan.aliases().get(0).tid());
        assertTrue(plan.aliases().get(4).involves(43) && plan.aliases().get(4).involves(42));
    }

    private static boolean contains(int[] values, int v) {
        for (int x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
