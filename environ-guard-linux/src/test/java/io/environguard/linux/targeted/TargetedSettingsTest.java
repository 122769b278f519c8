package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.GuardConfig;
import io.environguard.api.ProcFile;
import io.environguard.spi.EventSourceProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TargetedSettingsTest {

    @Test
    void defaultsGuardThisJvm() {
        TargetedSettings s = TargetedSettings.from(GuardConfig.empty(), 4242);
        assertEquals(List.of(4242), s.pids());
        assertEquals(Set.of(ProcFile.ENVIRON, ProcFile.MEM), s.files());
        assertEquals(4096, s.maxMarks());
        assertEquals(Duration.ofMillis(500), s.rescanInterval());
        assertTrue(s.attribution());
    }

    @Test
    void readsEveryKey() {
        TargetedSettings s = TargetedSettings.from(GuardConfig.of(Map.of(
                "ENVIRONGUARD_SOURCE_TARGETED_PIDS", "self, 77, 77",
                TargetedSettings.FILES, "environ",
                TargetedSettings.MAX_MARKS, "64",
                TargetedSettings.RESCAN_INTERVAL, "100ms",
                TargetedSettings.ATTRIBUTION, "false",
                TargetedSettings.ATTRIBUTION_MAX_PROCESSES, "10")), 4242);
        assertEquals(List.of(4242, 77), s.pids());
        assertEquals(Set.of(ProcFile.ENVIRON), s.files());
        assertEquals(64, s.maxMarks());
        assertEquals(Duration.ofMillis(100), s.rescanInterval());
        assertFalse(s.attribution());
        assertEquals(10, s.attributionMaxProcesses());
    }

    @Test
    void refusesBadValuesNamingTheKeyNotTheValue() {
        for (Map.Entry<String, String> bad : List.of(
                Map.entry(TargetedSettings.PIDS, "secret-looking-value"),
                Map.entry(TargetedSettings.PIDS, "1"),
                Map.entry(TargetedSettings.FILES, "secret-looking-value"),
                Map.entry(TargetedSettings.MAX_MARKS, "1"),
                Map.entry(TargetedSettings.RESCAN_INTERVAL, "1ms"),
                Map.entry(TargetedSettings.ATTRIBUTION_MAX_PROCESSES, "0"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TargetedSettings.from(GuardConfig.of(Map.ofEntries(bad)), 4242), bad.toString());
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
            assertFalse(e.getMessage().contains("secret-looking-value"), e.getMessage());
        }
    }

    @Test
    void theProviderIsFoundByTheServiceLoaderBetweenFanotifyAndProcfs() {
        EventSourceProvider p = ServiceLoader.load(EventSourceProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.name().equals("targeted")).findFirst().orElseThrow();
        assertEquals(50, p.priority());
        assertTrue(p instanceof TargetedFanotifySourceProvider);
    }
}
