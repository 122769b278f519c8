package io.environguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.spi.AlertSink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class PipelineTest {

    @Test
    void aFailingPolicyIsCountedAsLostAndAlertedNeverThrownIntoTheSource() {
        List<Alert> got = new CopyOnWriteArrayList<>();
        AlertSink sink = got::add;
        Dispatcher dispatcher = new Dispatcher(Map.of("mem", sink), 16, Duration.ofSeconds(5));
        dispatcher.start();
        Pipeline pipeline = new Pipeline(access -> {
            throw new IllegalStateException("bug");
        }, dispatcher);
        EnvironAccess access = EnvironAccess.builder().source("t").path("/proc/2/environ")
                .reader(ProcessInfo.builder(3).build()).target(ProcessInfo.builder(2).build()).build();

        pipeline.onAccess(access);
        dispatcher.close();

        assertEquals(1, pipeline.accesses());
        assertEquals(Map.of(Pipeline.PIPELINE_ERROR, 1L), pipeline.lostByCause());
        assertEquals(1, got.size());
        assertEquals(Rules.EVENTS_LOST, got.get(0).rule());
        assertTrue(got.get(0).reasons().get(0).contains("IllegalStateException"));
    }
}
