package io.environguard.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.linux.process.ProcessTableSettings;
import io.environguard.spi.EventSourceProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every built-in source declares every key it reads, under its own prefix, and a bad value names its key. */
class DeclaredKeysTest {

    /**
     * What each source's settings class reads (their KEYS lists), by source name; each source keeps a process
     * table and so reads its keys too.
     */
    private static final Map<String, List<String>> READ = Map.of(
            "fanotify", withTableKeys(io.environguard.linux.fanotify.FanotifyKeysAccess.keysRead()),
            "targeted", withTableKeys(io.environguard.linux.targeted.TargetedKeysAccess.keysRead()),
            "procfs", withTableKeys(io.environguard.linux.procfs.ProcfsSettings.KEYS));

    private static List<String> withTableKeys(List<String> keys) {
        List<String> all = new ArrayList<>(keys);
        all.addAll(ProcessTableSettings.KEYS);
        return all;
    }

    /** One invalid value per source, and the key the error must name. */
    private static final Map<String, String> BAD_KEY = Map.of(
            "fanotify", "environguard.source.fanotify.resolver-queue",
            "targeted", "environguard.source.targeted.max-marks",
            "procfs", "environguard.source.procfs.interval");

    private static List<EventSourceProvider> discovered() {
        List<EventSourceProvider> out = new ArrayList<>();
        ServiceLoader.load(EventSourceProvider.class).forEach(out::add);
        return out;
    }

    @Test
    void everySourceDeclaresExactlyTheKeysItReads() {
        Set<String> names = new TreeSet<>();
        for (EventSourceProvider p : discovered()) {
            names.add(p.name());
            List<String> declared = p.keys().stream().map(ConfigKey::name).toList();
            assertEquals(new TreeSet<>(READ.get(p.name())), new TreeSet<>(declared), p.name());
            for (ConfigKey k : p.keys()) {
                assertTrue(k.name().startsWith("environguard.source." + p.name() + ".")
                        || k.name().startsWith(ProcessTableSettings.PREFIX), k.name());
                assertFalse(k.meaning().isBlank(), k.name());
                assertFalse(k.secret(), k.name());
            }
        }
        assertEquals(Set.of("fanotify", "targeted", "procfs"), names);
    }

    @Test
    void aBadValueOfEachSourceNamesItsKey() {
        for (EventSourceProvider p : discovered()) {
            String key = BAD_KEY.get(p.name());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.create(GuardConfig.of(Map.of(key, "0"))).close(), p.name());
            assertTrue(e.getMessage().startsWith("configuration key " + key + ":"), e.getMessage());
        }
    }
}
