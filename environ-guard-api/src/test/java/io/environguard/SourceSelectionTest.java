package io.environguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.TestSources.CollectingSink;
import io.environguard.TestSources.ManualSourceProvider;
import io.environguard.api.GuardConfig;
import io.environguard.spi.Availability;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source added in code wins over sources found on the class path: the README's testkit example (issue 14) ran a
 * host-wide monitor instead of its scripted source, because the discovered fanotify source outranked it.
 */
class SourceSelectionTest {

    private static final GuardConfig NO_SELF = GuardConfig.of(Map.of("environguard.policy.protect.self", "false"));

    @TempDir
    Path dir;
    private ClassLoader withHostWideSource;

    @BeforeEach
    void discoverAHostWideSource() {
        withHostWideSource = DiscoveredSources.declaring(dir, DiscoveredSources.HostWide.class);
        DiscoveredSources.HostWide.CREATED.clear();
    }

    @Test
    void withoutASourceInCodeTheDiscoveredOneRuns() throws Exception {
        try (EnvironGuard guard = EnvironGuard.builder().config(NO_SELF).classLoader(withHostWideSource)
                .addSink("mem", new CollectingSink()).build().start()) {
            assertEquals("hostwide", guard.sourceName());
        }
    }

    @Test
    void aSourceAddedInCodeWinsOverADiscoveredOneOfHigherPriority() throws Exception {
        ManualSourceProvider scripted = new ManualSourceProvider("scripted", Integer.MIN_VALUE, Availability.available("script"));
        try (EnvironGuard guard = EnvironGuard.builder().config(NO_SELF).classLoader(withHostWideSource)
                .addSourceProvider(scripted).addSink("mem", new CollectingSink()).build().start()) {
            assertEquals("scripted", guard.sourceName());
            assertNotNull(scripted.listener.get());
        }
        assertTrue(DiscoveredSources.HostWide.CREATED.stream().allMatch(p -> p.listener.get() == null),
                "the discovered host-wide source never started");
    }

    @Test
    void autoMeansTheSameAsUnset() throws Exception {
        ManualSourceProvider scripted = new ManualSourceProvider("scripted", 1, Availability.available("script"));
        try (EnvironGuard guard = EnvironGuard.builder().config(NO_SELF).set(EnvironGuard.SOURCE, "AUTO")
                .classLoader(withHostWideSource).addSourceProvider(scripted).addSink("mem", new CollectingSink())
                .build().start()) {
            assertEquals("scripted", guard.sourceName());
        }
    }

    @Test
    void theKeyMayNameTheSourceAddedInCode() throws Exception {
        ManualSourceProvider scripted = new ManualSourceProvider("scripted", 1, Availability.available("script"));
        try (EnvironGuard guard = EnvironGuard.builder().config(NO_SELF).set(EnvironGuard.SOURCE, "scripted")
                .classLoader(withHostWideSource).addSourceProvider(scripted).addSink("mem", new CollectingSink())
                .build().start()) {
            assertEquals("scripted", guard.sourceName());
        }
    }

    @Test
    void theKeyNamingADiscoveredSourceWhileOneIsAddedInCodeIsRefusedAndSaysWhy() {
        ManualSourceProvider scripted = new ManualSourceProvider("scripted", 1, Availability.available("script"));
        GuardConfig fromEnvironment = GuardConfig.builder().setAll(NO_SELF)
                .environment(Map.of("ENVIRONGUARD_SOURCE", "hostwide")).build();
        EnvironGuard guard = EnvironGuard.builder().config(fromEnvironment).classLoader(withHostWideSource)
                .addSourceProvider(scripted).addSink("mem", new CollectingSink()).build();
        GuardStartException e = assertThrows(GuardStartException.class, guard::start);
        assertTrue(e.getMessage().contains("environguard.source names hostwide"), e.getMessage());
        assertTrue(e.getMessage().contains("environment variable ENVIRONGUARD_SOURCE"), e.getMessage());
        assertTrue(e.getMessage().contains("[scripted] was added in code"), e.getMessage());
        assertNull(scripted.listener.get());
        assertTrue(DiscoveredSources.HostWide.CREATED.stream().allMatch(p -> p.listener.get() == null));
    }

    @Test
    void whenNoSourceAddedInCodeCanRunTheDiscoveredOnesAreNotTried() {
        ManualSourceProvider broken = new ManualSourceProvider("replay", 1, Availability.unavailable("no script file"));
        EnvironGuard guard = EnvironGuard.builder().config(NO_SELF).classLoader(withHostWideSource)
                .addSourceProvider(broken).addSink("mem", new CollectingSink()).build();
        GuardStartException e = assertThrows(GuardStartException.class, guard::start);
        assertTrue(e.getMessage().contains("no source added with addSourceProvider can run"), e.getMessage());
        assertTrue(e.getMessage().contains("replay: no script file"), e.getMessage());
        assertTrue(DiscoveredSources.HostWide.CREATED.stream().allMatch(p -> p.listener.get() == null));
    }
}
