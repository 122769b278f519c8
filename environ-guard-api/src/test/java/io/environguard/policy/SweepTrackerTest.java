package io.environguard.policy;

import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of the sweep tracker that the policy's properties reach only at their edges. */
class SweepTrackerTest {

    private static final long SECOND = 1_000_000_000L;

    private static EnvironAccess read(int reader, int target) {
        return EnvironAccess.builder().time(Instant.EPOCH).path("/proc/" + target + "/environ")
                .reader(ProcessInfo.builder(reader).startTime(1).build())
                .target(ProcessInfo.builder(target).startTime(1).build()).build();
    }

    @Test
    void endedSweepsBeyondWhatIsKeptAreDroppedAndCounted() {
        SweepTracker tracker = new SweepTracker(2, SECOND, 100, 10, true, 1);
        for (int reader = 10; reader < 13; reader++) {
            assertEquals(SweepTracker.Outcome.COUNTED, tracker.track(read(reader, 100), 0, true));
            assertEquals(SweepTracker.Outcome.SWEPT, tracker.track(read(reader, 101), 0, true));
        }
        tracker.endAllSwept();
        assertEquals(1, tracker.drainEnded().size(), "only the newest is kept");
        assertEquals(2, tracker.takeEndedDropped());
        assertEquals(0, tracker.takeEndedDropped());
        assertEquals(List.of(), tracker.drainEnded());
    }

    @Test
    void aSweptEpisodeDroppedAtTheCapStillEnds() {
        SweepTracker tracker = new SweepTracker(2, SECOND, 1, 10, false);
        tracker.track(read(10, 100), 0, true);
        tracker.track(read(10, 101), 0, true);                    // reader 10 sweeps
        tracker.track(read(11, 100), 1, true);                    // reader 11 takes the only place
        List<SweepTracker.Episode> ended = tracker.drainEnded();
        assertEquals(1, ended.size());
        assertEquals(2, ended.get(0).count());
        assertEquals(1, tracker.readerCount());
    }

    @Provide
    Arbitrary<List<Tuple.Tuple2<Integer, Long>>> keys() {
        return Arbitraries.integers().between(-1, 40).flatMap(pid -> Arbitraries.of(-1L, 0L, 1L, 7L).map(s -> Tuple.of(pid, s)))
                .list().ofMaxSize(200);
    }

    @Property
    void theKeySetIsASet(@ForAll("keys") List<Tuple.Tuple2<Integer, Long>> keys) {
        ProcessKeySet set = new ProcessKeySet();
        Set<Tuple.Tuple2<Integer, Long>> reference = new HashSet<>();
        for (Tuple.Tuple2<Integer, Long> k : keys) {
            assertEquals(reference.add(k), set.add(k.get1(), k.get2()));
            assertTrue(set.contains(k.get1(), k.get2()));
        }
        assertEquals(reference.size(), set.size());
        assertFalse(set.contains(99, 99));
    }
}
