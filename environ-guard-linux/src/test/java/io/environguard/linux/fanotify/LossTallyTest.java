package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.LossReport;
import java.util.List;
import org.junit.jupiter.api.Test;

class LossTallyTest {

    @Test
    void reportsOneBatchPerCauseWithItsCount() {
        LossTally tally = new LossTally(16);
        tally.queueOverflow();
        tally.targetExited();
        tally.targetExited();
        tally.fdExhausted();
        tally.resolverBacklog();
        tally.resolverBacklog();
        tally.resolverBacklog();
        List<LossReport> reports = tally.toReports();
        assertEquals(List.of("queue_overflow", "target_exited", "fd_exhausted", "resolver_backlog"),
                reports.stream().map(LossReport::cause).toList());
        assertEquals(List.of(1L, 2L, 1L, 3L), reports.stream().map(LossReport::count).toList());
        assertTrue(reports.get(3).detail().contains("capacity 16"), reports.get(3).detail());
        assertEquals(7, tally.total());
    }

    @Test
    void carriesCountsOverUntilCleared() {
        LossTally undelivered = new LossTally(4);
        LossTally batch = new LossTally(4);
        batch.fdError(9);
        undelivered.addAll(batch);
        batch.clear();
        batch.fdError(22);
        batch.readError(5);
        undelivered.addAll(batch);
        assertEquals(2, batch.toReports().size());
        List<LossReport> reports = undelivered.toReports();
        assertEquals(2, reports.get(0).count());
        assertTrue(reports.get(0).detail().contains("EINVAL"), reports.get(0).detail());
        undelivered.clear();
        assertTrue(undelivered.isEmpty());
        assertTrue(undelivered.toReports().isEmpty());
        batch.clear();
        batch.sourceFailed("java.lang.IllegalStateException: poll failed");
        assertEquals(1, batch.total());
        undelivered.addAll(batch);
        assertEquals("source_failed", undelivered.toReports().get(0).cause());
        assertTrue(undelivered.toReports().get(0).detail().contains("poll failed"));
    }
}
