package io.environguard.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.environguard.EnvironGuard;
import io.environguard.api.GuardConfig;
import io.environguard.micrometer.EnvironGuardMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The README's Micrometer example, run as written with the only source this module's tests can discover. */
class ReadmeExamplesTest {

    @Test
    void micrometerExample() throws Exception {
        ReadmeSource.STARTED.clear();
        MeterRegistry registry = new SimpleMeterRegistry();
        // snippet:start micrometer
        // imports: io.environguard.EnvironGuard, io.environguard.api.GuardConfig
        // imports: io.environguard.micrometer.EnvironGuardMetrics
        try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.load()).build().start();
             EnvironGuardMetrics metrics = new EnvironGuardMetrics(guard)) {  // or (guard, Tags.of("guard", "payments"))
            metrics.bindTo(registry);                                       // right after start: alert counters count from here
            runTheApplication();
        }
        // snippet:end
        assertEquals(1.0, registry.get("environguard.accesses").functionCounter().count());
    }

    private static void runTheApplication() throws Exception {
        assertEquals(1, ReadmeSource.STARTED.size(), "the README's example ran the discovered scripted source");
        ReadmeSource.STARTED.get(0).awaitReplayed(Duration.ofSeconds(30));
    }
}
