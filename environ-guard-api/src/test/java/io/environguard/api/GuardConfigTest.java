package io.environguard.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuardConfigTest {

    @Test
    void layersFileThenEnvironmentThenSystemPropertiesThenCode(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("guard.properties");
        Files.writeString(file, "environguard.policy.sweep.threshold=3\nenvironguard.sinks=jsonl\nenvironguard.source=procfs\n"
                + "unrelated.key=1\n");
        Properties props = new Properties();
        props.setProperty("environguard.source", "fanotify");
        props.setProperty("java.home", "/ignored");

        GuardConfig config = GuardConfig.builder()
                .file(file)
                .environment(Map.of("ENVIRONGUARD_POLICY_SWEEP_THRESHOLD", "7", "ENVIRONGUARD_SOURCE", "procfs", "HOME", "/root"))
                .systemProperties(props)
                .set("environguard.sinks", "slf4j,jsonl")
                .build();

        assertEquals(7, config.getInt("environguard.policy.sweep.threshold", 0));
        assertEquals("fanotify", config.getString("environguard.source", "auto"));
        assertEquals(List.of("slf4j", "jsonl"), config.getList("environguard.sinks"));
        assertFalse(config.contains("unrelated.key"));
        assertFalse(config.contains("java.home"));
    }

    @Test
    void keysMatchWhateverTheSeparatorOrCase() {
        GuardConfig config = GuardConfig.of(Map.of("environguard.policy.known-readers.defaults", "false"));
        assertFalse(config.getBoolean("environguard.policy.known.readers.defaults", true));
        assertFalse(config.getBoolean("ENVIRONGUARD_POLICY_KNOWN_READERS_DEFAULTS", true));
    }

    @Test
    void durationsInEveryAcceptedForm() {
        GuardConfig c = GuardConfig.of(Map.of("environguard.a", "250us", "environguard.b", "500ms", "environguard.c", "10s",
                "environguard.d", "2m", "environguard.e", "PT1H"));
        assertEquals(Duration.ofNanos(250_000), c.getDuration("environguard.a", null));
        assertEquals(Duration.ofMillis(500), c.getDuration("environguard.b", null));
        assertEquals(Duration.ofSeconds(10), c.getDuration("environguard.c", null));
        assertEquals(Duration.ofMinutes(2), c.getDuration("environguard.d", null));
        assertEquals(Duration.ofHours(1), c.getDuration("environguard.e", null));
        assertEquals(Duration.ofSeconds(3), c.getDuration("environguard.unset", Duration.ofSeconds(3)));
    }

    @Test
    void aBadValueNamesTheKeyButNeverRepeatsTheValue() {
        String secretish = "s3cr3t-Value-42";
        GuardConfig c = GuardConfig.of(Map.of("environguard.dispatch.queue.capacity", secretish,
                "environguard.dispatch.close.timeout", secretish, "environguard.protect.self", secretish));
        for (Runnable r : List.<Runnable>of(
                () -> c.getInt("environguard.dispatch.queue.capacity", 1),
                () -> c.getDuration("environguard.dispatch.close.timeout", Duration.ZERO),
                () -> c.getBoolean("environguard.protect.self", true))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
            assertTrue(e.getMessage().contains("environguard."), e.getMessage());
            assertFalse(e.getMessage().contains(secretish), e.getMessage());
        }
    }

    @Test
    void unknownKeysAreThoseNobodyClaims() {
        GuardConfig c = GuardConfig.of(Map.of("environguard.source", "auto", "environguard.sink.webhook.url", "x",
                "environguard.polcy.sweep.threshold", "3"));
        assertEquals(List.of("environguard.polcy.sweep.threshold"),
                c.unknownKeys(List.of("environguard.source"), List.of("environguard.sink.webhook.")));
    }

    @Test
    void everyValueKnowsWhereItCameFrom(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("guard.properties");
        Files.writeString(file, "environguard.a=1\nenvironguard.b=1\nenvironguard.c=1\nenvironguard.d=1\n");
        Properties props = new Properties();
        props.setProperty("environguard.c", "2");
        GuardConfig config = GuardConfig.builder().file(file)
                .environment(Map.of("ENVIRONGUARD_B", "2", "ENVIRONGUARD_C", "2"))
                .systemProperties(props)
                .set("environguard.d", "2")
                .build();
        assertEquals("file " + file, config.origin("environguard.a").orElseThrow());
        assertEquals("environment variable ENVIRONGUARD_B", config.origin("environguard.b").orElseThrow());
        assertEquals("system property environguard.c", config.origin("ENVIRONGUARD_C").orElseThrow());
        assertEquals("code", config.origin("environguard.d").orElseThrow());
        assertTrue(config.origin("environguard.e").isEmpty());
        GuardConfig more = config.with("environguard.e", "1");
        assertEquals("file " + file, more.origin("environguard.a").orElseThrow(), "with() keeps the origins");
        assertEquals("code", more.origin("environguard.e").orElseThrow());
        assertEquals("environment variable ENVIRONGUARD_B",
                GuardConfig.builder().setAll(config).build().origin("environguard.b").orElseThrow());
    }

    @Test
    void aBadValueNamesTheKeyAndWhereItCameFromInEveryLayer(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("guard.properties");
        Files.writeString(file, "environguard.sweep=x\n");
        Properties props = new Properties();
        props.setProperty("environguard.sweep", "x");
        for (GuardConfig c : List.of(GuardConfig.builder().file(file).build(),
                GuardConfig.builder().environment(Map.of("ENVIRONGUARD_SWEEP", "x")).build(),
                GuardConfig.builder().systemProperties(props).build())) {
            ConfigException e = assertThrows(ConfigException.class, () -> c.getInt("environguard.sweep", 1));
            assertEquals("environguard.sweep", e.key());
            assertEquals(c.origin("environguard.sweep"), e.origin());
            assertTrue(e.getMessage().startsWith("configuration key environguard.sweep (from " + e.origin().orElseThrow() + "): "),
                    e.getMessage());
        }
    }

    @Test
    void aBadValueSetInCodeNeedsNoOrigin() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> GuardConfig.builder().set("environguard.sweep", "x").build().getInt("environguard.sweep", 1));
        assertTrue(e.getMessage().startsWith("configuration key environguard.sweep: expected an integer"), e.getMessage());
        assertTrue(e.origin().isEmpty());
    }

    @Test
    void aMissingFileIsAClearError(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GuardConfig.builder().file(missing));
        assertTrue(e.getMessage().contains(missing.toString()));
    }
}
