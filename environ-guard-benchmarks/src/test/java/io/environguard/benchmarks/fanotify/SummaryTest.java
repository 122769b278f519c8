package io.environguard.benchmarks.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SummaryTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(1.04, Summary.spread(List.of(1.10, 1.02, 1.04)).median());
        assertEquals(1.5, Summary.spread(List.of(2.0, 1.0, 1.0, 2.0)).median());
    }

    @Test
    void spreadKeepsTheExtremes() {
        Summary.Spread s = Summary.spread(List.of(3.0, 1.0, 2.0, 9.0, 4.0));
        assertEquals(3.0, s.median());
        assertEquals(1.0, s.min());
        assertEquals(9.0, s.max());
        assertEquals(5, s.n());
    }

    @Test
    void spreadOfNothingIsNotANumber() {
        assertTrue(Double.isNaN(Summary.spread(List.of()).median()));
    }

    @Test
    void nearestRankPercentiles() {
        long[] oneToHundred = LongStream.rangeClosed(1, 100).toArray();
        assertEquals(50, Summary.percentile(oneToHundred, 50));
        assertEquals(99, Summary.percentile(oneToHundred, 99));
        assertEquals(100, Summary.percentile(oneToHundred, 100));
        assertEquals(1, Summary.percentile(oneToHundred, 0.5));
        // 10 values: p99 is the largest (rank ceil(9.9) = 10), p50 the fifth.
        long[] ten = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
        assertEquals(10, Summary.percentile(ten, 99));
        assertEquals(5, Summary.percentile(ten, 50));
        assertEquals(10, ten[0], "the input is not sorted in place");
    }

    @Test
    void percentileRefusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Summary.percentile(new long[0], 50));
        assertThrows(IllegalArgumentException.class, () -> Summary.percentile(new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> Summary.percentile(new long[] {1}, 101));
    }

    @Test
    void statsLinesOfBothListenersParse() {
        ListenerStats c = ListenerStats.parse("stats events=10 cpu_ns=5000 hits=2 fd_errors=1 overflows=1");
        assertEquals(new ListenerStats(10, 5000, 2, 2, -1, -1, 2), c);
        ListenerStats java = ListenerStats.parse(
                "stats events=7 cpu_ns=900 hits=3 accesses=4 lost=0 reader_cpu_ns=300 resolver_cpu_ns=20");
        assertEquals(new ListenerStats(7, 900, 3, 0, 300, 20, 4), java);
        assertThrows(IllegalArgumentException.class, () -> ListenerStats.parse("stats hits=1"));
    }
}
