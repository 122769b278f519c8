package io.environguard.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GuardStats} and {@code Coverage} print as one short line; their detail stays in the fields. */
class ReadableToStringTest {

    @Test
    void statsAreOneLineWithCausesSinksAndKernelEvents() {
        GuardStats stats = new GuardStats(12, 3, 9, 4, Map.of("target_exited", 3L, "queue_overflow", 1L),
                List.of(new SinkStats("stdout", 3, 0, 0, 0), new SinkStats("webhook", 1, 1, 1, 2)),
                Map.of(GuardStats.KERNEL_EVENTS_READ, 52_310L, GuardStats.RESOLVER_QUEUE_DEPTH, 0L));
        assertEquals("12 accesses, 3 alerts, 9 suppressed, 4 events lost (queue_overflow 1, target_exited 3);"
                + " sink stdout: 3 delivered, 0 dropped, 0 failed; sink webhook: 1 delivered, 1 dropped, 1 failed,"
                + " 2 undelivered; 52310 kernel events read", stats.toString());
        assertEquals(52_310L, stats.kernelEventsRead());
    }

    @Test
    void statsWithoutSourceCountersSayNothingOfKernelEvents() {
        GuardStats stats = new GuardStats(0, 0, 0, 0, Map.of(), List.of());
        assertEquals("0 accesses, 0 alerts, 0 suppressed, 0 events lost", stats.toString());
        assertEquals(0, stats.kernelEventsRead());
    }

    @Test
    void coverageIsCountsNotItems() {
        String item = "filesystem mark (FAN_OPEN) on proc superblock 0:22 (/proc)\nwith a newline";
        Coverage c = new Coverage("fanotify", Collections.nCopies(4, item), Collections.nCopies(7, item));
        assertEquals("fanotify: 4 watched, 7 blind spots", c.toString());
        assertEquals("procfs: 0 watched, 1 blind spot", new Coverage("procfs", List.of(), List.of("x")).toString());
        assertFalse(c.toString().contains("\n"));
        assertTrue(c.watching().get(0).contains("0:22"), "the detail is in the fields");
    }
}
