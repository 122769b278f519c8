package io.environguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.AlertSink;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class PipelineTest {

    /** Far in the past: the pipeline's clock must follow the accesses' clock, not the wall clock. */
    private static final Instant PAST = Instant.parse("2020-02-02T00:00:00Z");

    private final List<Alert> got = new CopyOnWriteArrayList<>();

    private Dispatcher dispatcher() {
        AlertSink sink = got::add;
        Dispatcher dispatcher = new Dispatcher(Map.of("mem", sink), 64, Duration.ofSeconds(5));
        dispatcher.start();
        return dispatcher;
    }

    private static EnvironAccess read(int reader, int target, long millis) {
        return EnvironAccess.builder().time(PAST.plusMillis(millis)).source("t").path("/proc/" + target + "/environ")
                .alias(AliasKind.PROCESS).reader(ProcessInfo.builder(reader).startTime(5).exe("/usr/bin/cat").build())
                .target(ProcessInfo.builder(target).startTime(6).build()).build();
    }

    private static Policy sweepOfTwo(Duration window) {
        return new Policy(PolicyConfig.builder().sweepThreshold(2).sweepWindow(window).protectSelf(false).build(), 1);
    }

    @Test
    void aFailingPolicyIsCountedAsLostAndAlertedNeverThrownIntoTheSource() {
        Dispatcher dispatcher = dispatcher();
        Pipeline pipeline = new Pipeline(new Pipeline.Judge() {
            @Override
            public Optional<Alert> evaluate(EnvironAccess access) {
                throw new IllegalStateException("bug");
            }

            @Override
            public AccessOutcome lastOutcome() {
                return AccessOutcome.ALERTED;
            }

            @Override
            public List<Alert> expire(Instant now) {
                throw new IllegalStateException("bug");
            }

            @Override
            public List<Alert> flush(Instant now) {
                return List.of();
            }
        }, dispatcher);

        pipeline.onAccess(read(3, 2, 0));
        pipeline.tick();
        dispatcher.close();

        assertEquals(1, pipeline.accesses());
        assertEquals(Map.of(Pipeline.PIPELINE_ERROR, 2L), pipeline.lostByCause());
        assertEquals(0L, pipeline.outcomes().values().stream().mapToLong(Long::longValue).sum(),
                "an access the policy failed on has no outcome: it is a loss");
        assertEquals(2, got.size());
        assertEquals(Rules.EVENTS_LOST, got.get(0).rule());
        assertTrue(got.get(0).reasons().get(0).contains("IllegalStateException"));
        assertTrue(got.get(1).reasons().get(0).contains("end quiet sweeps"));
    }

    @Test
    void everyAccessIsCountedUnderExactlyOneOutcome() {
        Dispatcher dispatcher = dispatcher();
        Pipeline pipeline = new Pipeline(new Policy(PolicyConfig.builder().sweepThreshold(2).protectSelf(false)
                .allowExe("/usr/bin/allowed").build(), 1), dispatcher);

        pipeline.onAccess(read(3, 2, 0));                                   // alerted (a read)
        pipeline.onAccess(read(3, 2, 1));                                   // deduplicated
        pipeline.onAccess(read(3, 3, 2));                                   // a self-read
        pipeline.onAccess(read(3, 4, 3));                                   // alerted (the sweep)
        pipeline.onAccess(read(3, 5, 4));                                   // folded
        pipeline.onAccess(EnvironAccess.builder().time(PAST).path("/proc/2/environ")
                .reader(ProcessInfo.builder(9).exe("/usr/bin/allowed").build())
                .target(ProcessInfo.builder(2).build()).build());           // allowed
        dispatcher.close();

        assertEquals(Map.of("alerted", 2L, "self_read", 1L, "allowed", 1L, "deduped", 1L, "folded", 1L),
                pipeline.outcomes());
        assertEquals(List.of("alerted", "self_read", "allowed", "deduped", "folded"),
                List.copyOf(pipeline.outcomes().keySet()), "in the enum's order");
        assertEquals(6, pipeline.accesses());
        assertEquals(2, pipeline.alerts());
        assertEquals(4, pipeline.suppressed());
    }

    @Test
    void aTickRightAfterTheLastReadDoesNotEndTheSweepWhateverTheAccessesClockSays() {
        Dispatcher dispatcher = dispatcher();
        Pipeline pipeline = new Pipeline(sweepOfTwo(Duration.ofSeconds(30)), dispatcher);
        pipeline.onAccess(read(3, 2, 0));
        pipeline.onAccess(read(3, 4, 1));      // the sweep
        pipeline.onAccess(read(3, 5, 2));      // folded

        pipeline.tick();                       // the wall clock is years after PAST; the policy's clock is not
        dispatcher.close();

        assertEquals(List.of(Rules.ENVIRON_READ, Rules.ENVIRON_SWEEP), got.stream().map(Alert::rule).toList());
    }

    @Test
    void aTickOneWindowAfterTheLastReadEndsTheSweepWithAClosingAlert() throws Exception {
        Dispatcher dispatcher = dispatcher();
        Pipeline pipeline = new Pipeline(sweepOfTwo(Duration.ofMillis(50)), dispatcher);
        pipeline.onAccess(read(3, 2, 0));
        pipeline.onAccess(read(3, 4, 1));      // the sweep
        pipeline.onAccess(read(3, 5, 2));      // folded

        Thread.sleep(120);                     // more than a window of quiet, by the monotonic clock
        pipeline.tick();
        pipeline.tick();                       // a second tick finds nothing more to end
        dispatcher.close();

        assertEquals(List.of(Rules.ENVIRON_READ, Rules.ENVIRON_SWEEP, Rules.ENVIRON_SWEEP_ENDED),
                got.stream().map(Alert::rule).toList());
        Alert ended = got.get(2);
        assertEquals(List.of(2, 4, 5), ended.targets().stream().map(ProcessInfo::pid).toList());
        assertEquals(3, ended.count());
        assertEquals(PAST.plusMillis(2 + 50), ended.time(), "the time it became quiet for a window, by the accesses' clock");
        assertEquals(3, pipeline.alerts());
    }

    @Test
    void flushEndsEveryOpenSweepAtOnce() {
        Dispatcher dispatcher = dispatcher();
        Pipeline pipeline = new Pipeline(sweepOfTwo(Duration.ofSeconds(30)), dispatcher);
        pipeline.onAccess(read(3, 2, 0));
        pipeline.onAccess(read(3, 4, 1));
        pipeline.onAccess(read(3, 5, 2));

        pipeline.flush();
        pipeline.flush();                      // nothing left to end
        dispatcher.close();

        List<String> rules = got.stream().map(Alert::rule).toList();
        assertEquals(List.of(Rules.ENVIRON_READ, Rules.ENVIRON_SWEEP, Rules.ENVIRON_SWEEP_ENDED), rules);
        assertFalse(got.get(2).reasons().isEmpty());
        assertTrue(got.get(2).reasons().get(0).contains("ended by a flush"), got.get(2).reasons().get(0));
    }
}
