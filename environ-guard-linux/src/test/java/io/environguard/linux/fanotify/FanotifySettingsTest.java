package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.GuardConfig;
import io.environguard.linux.process.ProcessTableSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fanotify host source's keys: defaults, and a clear error naming the key for a value out of range. */
class FanotifySettingsTest {

    @Test
    void defaults() {
        FanotifySettings s = FanotifySettings.defaults();
        assertEquals(16384, s.ignoreMarks());
        assertEquals(0, s.ignoreMarksWithin());
        assertEquals(Duration.ofSeconds(30), s.processTable().tombstoneTtl());
        assertEquals(16384, s.processTable().maxTombstones());
        assertTrue(s.processTable().execLog());
        assertEquals(Duration.ofNanos(200_000), s.batchWindow());
        assertTrue(s.unlimitedQueue());
    }

    @Test
    void everyKeyIsListed() {
        assertTrue(FanotifySettings.KEYS.containsAll(java.util.List.of(FanotifySettings.IGNORE_MARKS,
                FanotifySettings.IGNORE_MARKS_WITHIN, FanotifySettings.BATCH_WINDOW)));
        assertTrue(ProcessTableSettings.KEYS.stream().allMatch(k -> k.startsWith("environguard.process-table.")));
    }

    @Test
    void valuesAreRead() {
        FanotifySettings s = FanotifySettings.from(GuardConfig.of(Map.of(FanotifySettings.IGNORE_MARKS, "0",
                FanotifySettings.IGNORE_MARKS_WITHIN, "4242", ProcessTableSettings.TOMBSTONE_TTL, "2m",
                FanotifySettings.BATCH_WINDOW, "50us")));
        assertEquals(0, s.ignoreMarks());
        assertEquals(4242, s.ignoreMarksWithin());
        assertEquals(Duration.ofMinutes(2), s.processTable().tombstoneTtl());
        assertEquals(Duration.ofNanos(50_000), s.batchWindow());
    }

    @Test
    void outOfRangeValuesNameTheirKey() {
        for (Map.Entry<String, String> bad : Map.of(FanotifySettings.IGNORE_MARKS, "-1",
                FanotifySettings.IGNORE_MARKS_WITHIN, "-5", ProcessTableSettings.TOMBSTONE_TTL, "2h",
                ProcessTableSettings.EXEC_LOG_PAGES, "3", ProcessTableSettings.COMMAND_LINE_TIMEOUT, "11s",
                FanotifySettings.BATCH_WINDOW, "11ms").entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FanotifySettings.from(GuardConfig.of(Map.of(bad.getKey(), bad.getValue()))), bad.toString());
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
            assertTrue(!e.getMessage().contains(bad.getValue()), "the message repeats the value: " + e.getMessage());
        }
    }
}
