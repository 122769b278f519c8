package io.environguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.TestSources.CollectingSink;
import io.environguard.TestSources.ManualSourceProvider;
import io.environguard.api.ConfigDescription;
import io.environguard.api.ConfigException;
import io.environguard.api.ConfigKey;
import io.environguard.api.ConfigSetting;
import io.environguard.api.GuardConfig;
import io.environguard.internal.PolicyKeys;
import io.environguard.policy.PolicyConfig;
import io.environguard.sink.CapturedStderr;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Declared keys: unknown ones are warned about, every one is listed with its value, errors name the key. */
class ConfigurationKeysTest {

    private static final String SECRET = "https://user:s3cr3t-token@siem.example/hook";

    /** A plugin sink with a secret key and an ordinary one. */
    static final class HookSinkProvider implements AlertSinkProvider {
        static final String URL = "environguard.sink.hook.url";
        static final String RETRIES = "environguard.sink.hook.retries";

        @Override
        public String name() {
            return "hook";
        }

        @Override
        public AlertSink create(GuardConfig config) {
            config.getInt(RETRIES, 3, 0);
            return new CollectingSink();
        }

        @Override
        public List<ConfigKey> keys() {
            return List.of(ConfigKey.secret(URL, "where to POST"), ConfigKey.of(RETRIES, "3", "retries"));
        }
    }

    private static ManualSourceProvider source() {
        return new ManualSourceProvider("m", 1, Availability.available("ok"));
    }

    @Test
    void aMisspeltPluginKeyIsWarnedAboutWithTheKeysItsSinkHas() throws Exception {
        try (CapturedStderr err = new CapturedStderr();
             EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
                     .set("environguard.policy.protect.self", "false")
                     .set("environguard.sink.jsonl.pth", "/tmp/alerts.jsonl")
                     .set("environguard.sink.hook.retires", "5")
                     .set("environguard.sink.nosuch.url", "x")
                     .addSourceProvider(source()).addSinkProvider(new HookSinkProvider())
                     .addSink("mem", new CollectingSink()).build().start()) {
            String log = err.text();
            assertTrue(log.contains("unknown configuration key environguard.sink.jsonl.pth (from code) is ignored: sink jsonl"
                    + " has no such key (its keys: environguard.sink.jsonl.path)"), log);
            assertTrue(log.contains("unknown configuration key environguard.sink.hook.retires (from code) is ignored: sink hook"
                    + " has no such key (its keys: environguard.sink.hook.url, environguard.sink.hook.retries)"), log);
            assertTrue(log.contains("unknown configuration key environguard.sink.nosuch.url (from code) is ignored (misspelt,"
                    + " or its source or sink is not on the class path)"), log);
            assertFalse(log.contains("/tmp/alerts.jsonl"), "values of unknown keys are never logged");
        }
    }

    @Test
    void declaredKeysAreNotWarnedAbout() throws Exception {
        try (CapturedStderr err = new CapturedStderr();
             EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
                     .set("environguard.policy.protect.self", "false")
                     .set(HookSinkProvider.RETRIES, "5").set("environguard.dispatch.close.timeout", "1s")
                     .addSourceProvider(source()).addSinkProvider(new HookSinkProvider())
                     .addSink("mem", new CollectingSink()).build().start()) {
            assertFalse(err.text().contains("unknown configuration key"), err.text());
        }
    }

    @Test
    void describeConfigurationListsEveryKeyWithItsValueAndOriginAndMasksSecrets() {
        Properties props = new Properties();
        props.setProperty("environguard.policy.sweep.threshold", "5");
        GuardConfig config = GuardConfig.builder()
                .environment(Map.of("ENVIRONGUARD_SINK_HOOK_URL", SECRET))
                .systemProperties(props)
                .set("environguard.sink.jsonl.pth", SECRET)
                .build();
        ConfigDescription d = EnvironGuard.builder().config(config).addSourceProvider(source())
                .addSinkProvider(new HookSinkProvider()).build().describeConfiguration();
        Map<String, ConfigSetting> byKey = d.settings().stream()
                .collect(Collectors.toMap(s -> s.key().name(), s -> s));

        ConfigSetting url = byKey.get(HookSinkProvider.URL);
        assertEquals(ConfigSetting.MASK, url.value());
        assertEquals("environment variable ENVIRONGUARD_SINK_HOOK_URL", url.origin());
        assertEquals("sink hook", url.owner());
        ConfigSetting threshold = byKey.get(PolicyConfig.SWEEP_THRESHOLD);
        assertEquals("5", threshold.value());
        assertEquals("system property environguard.policy.sweep.threshold", threshold.origin());
        ConfigSetting capacity = byKey.get(EnvironGuard.QUEUE_CAPACITY);
        assertEquals("1024", capacity.value());
        assertEquals(ConfigSetting.DEFAULT, capacity.origin());
        assertEquals("core", capacity.owner());
        // Plugins found on the class path are listed too: the built-in jsonl sink.
        assertEquals("-", byKey.get("environguard.sink.jsonl.path").value());
        assertEquals("sink jsonl", byKey.get("environguard.sink.jsonl.path").owner());
        assertEquals(Map.of("environguard.sink.jsonl.pth", "code"), d.unknownKeys());

        String text = d.toText();
        assertFalse(text.contains("s3cr3t"), "a secret or an unknown key's value is never shown: " + text);
        assertTrue(text.contains("environguard.sink.hook.url"), text);
        assertTrue(text.contains("environguard.sink.jsonl.pth  [code]"), text);
    }

    /** A sink that passes its client's settings through: a family of keys, secret. */
    static final class PassThroughSinkProvider implements AlertSinkProvider {
        static final String CLIENT = "environguard.sink.pass.client.";
        static final String TOPIC = "environguard.sink.pass.topic";

        @Override
        public String name() {
            return "pass";
        }

        @Override
        public AlertSink create(GuardConfig config) {
            return new CollectingSink();
        }

        @Override
        public List<ConfigKey> keys() {
            return List.of(ConfigKey.of(TOPIC, "alerts", "topic"), ConfigKey.family(CLIENT, "client settings", true));
        }
    }

    @Test
    void membersOfAFamilyAreKnownListedAndMaskedWhileAMisspeltSiblingIsWarnedAbout() throws Exception {
        GuardConfig config = GuardConfig.builder()
                .set(PassThroughSinkProvider.CLIENT + "sasl.jaas.config", SECRET)
                .set(PassThroughSinkProvider.CLIENT + "acks", "all")
                .set("environguard.sink.pass.topik", "x")
                .set("environguard.policy.protect.self", "false")
                .build();
        try (CapturedStderr err = new CapturedStderr();
             EnvironGuard guard = EnvironGuard.builder().config(config).addSourceProvider(source())
                     .addSinkProvider(new PassThroughSinkProvider()).addSink("mem", new CollectingSink()).build().start()) {
            String log = err.text();
            assertFalse(log.contains("client.acks") || log.contains("sasl.jaas.config"), log);
            assertTrue(log.contains("unknown configuration key environguard.sink.pass.topik"), log);
        }
        ConfigDescription d = EnvironGuard.builder().config(config).addSourceProvider(source())
                .addSinkProvider(new PassThroughSinkProvider()).build().describeConfiguration();
        Map<String, ConfigSetting> byKey = d.settings().stream()
                .collect(Collectors.toMap(s -> s.key().name(), s -> s));
        assertEquals(ConfigSetting.MASK, byKey.get(PassThroughSinkProvider.CLIENT + "sasl.jaas.config").value());
        assertEquals("sink pass", byKey.get(PassThroughSinkProvider.CLIENT + "acks").owner());
        assertTrue(byKey.containsKey(PassThroughSinkProvider.CLIENT), "the family itself is listed");
        assertEquals(Set.of("environguard.sink.pass.topik"), d.unknownKeys().keySet());
        assertFalse(d.toText().contains("s3cr3t"), d.toText());
        assertThrows(IllegalArgumentException.class, () -> ConfigKey.family("environguard.sink.pass.client", "x", false));
        assertFalse(ConfigKey.family(PassThroughSinkProvider.CLIENT, "x", false).covers(PassThroughSinkProvider.CLIENT));
    }

    @Test
    void thePolicysDeclaredKeysAreExactlyTheKeysItReads() {
        assertEquals(PolicyConfig.KEYS, PolicyKeys.KEYS.stream().map(ConfigKey::name).collect(Collectors.toSet()));
        assertEquals(PolicyConfig.KEYS.size(), PolicyKeys.KEYS.size());
    }

    // Errors name the key in every layer: the guard's own keys, the policy's, a source's and a sink's;
    // and, for a value from outside the code, where it came from.

    @Test
    void aBadQueueCapacityNamesItsKeyAndVariableAndDoesNotBlameTheSource() {
        GuardConfig config = GuardConfig.builder().environment(Map.of("ENVIRONGUARD_DISPATCH_QUEUE_CAPACITY", "-1")).build();
        ManualSourceProvider src = source();
        GuardStartException e = assertThrows(GuardStartException.class, () -> EnvironGuard.builder().config(config)
                .addSourceProvider(src).addSink("mem", new CollectingSink()).build().start());
        assertEquals("invalid configuration: configuration key environguard.dispatch.queue.capacity (from environment"
                + " variable ENVIRONGUARD_DISPATCH_QUEUE_CAPACITY): expected an integer of at least 1 (the value is not"
                + " repeated here, as it may be a secret)", e.getMessage());
        assertTrue(src.listener.get() == null, "the source was never started");
    }

    @Test
    void aNegativeCloseTimeoutNamesItsKeyAndSystemProperty() {
        Properties props = new Properties();
        props.setProperty("environguard.dispatch.close.timeout", "PT-1S");
        GuardConfig config = GuardConfig.builder().systemProperties(props).build();
        GuardStartException e = assertThrows(GuardStartException.class, () -> EnvironGuard.builder().config(config)
                .addSourceProvider(source()).addSink("mem", new CollectingSink()).build().start());
        assertEquals("invalid configuration: configuration key environguard.dispatch.close.timeout (from system property"
                + " environguard.dispatch.close.timeout): expected a duration of 0 or more", e.getMessage());
    }

    @Test
    void aBadPolicyValueNamesItsKeyAndFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("guard.properties");
        Files.writeString(file, "environguard.policy.dedupe.window=often\n");
        GuardConfig config = GuardConfig.builder().file(file).build();
        GuardStartException e = assertThrows(GuardStartException.class, () -> EnvironGuard.builder().config(config)
                .addSourceProvider(source()).addSink("mem", new CollectingSink()).build().start());
        assertTrue(e.getMessage().startsWith("invalid configuration: configuration key environguard.policy.dedupe.window (from"
                + " file " + file + "): expected a duration"), e.getMessage());
        assertFalse(e.getMessage().contains("often"));
    }

    @Test
    void aBadSourceValueNamesTheSourceTheKeyAndWhereItCameFrom() {
        ManualSourceProvider strict = new ManualSourceProvider("strict", 1, Availability.available("ok")) {
            @Override
            public EventSource create(GuardConfig config) {
                // As the built-in sources do: the settings record knows the key, not where its value came from.
                throw new ConfigException("environguard.source.strict.interval", "expected at least 10ms");
            }
        };
        GuardConfig config = GuardConfig.builder()
                .environment(Map.of("ENVIRONGUARD_SOURCE_STRICT_INTERVAL", "1ms")).build();
        GuardStartException e = assertThrows(GuardStartException.class, () -> EnvironGuard.builder().config(config)
                .addSourceProvider(strict).addSink("mem", new CollectingSink()).build().start());
        assertEquals("source strict could not start: invalid configuration: configuration key"
                + " environguard.source.strict.interval (from environment variable ENVIRONGUARD_SOURCE_STRICT_INTERVAL):"
                + " expected at least 10ms", e.getMessage());
    }

    @Test
    void aBadSinkValueNamesItsKey() {
        GuardStartException e = assertThrows(GuardStartException.class, () -> EnvironGuard.builder()
                .config(GuardConfig.of(Map.of(EnvironGuard.SINKS, "hook", HookSinkProvider.RETRIES, "-1")))
                .addSourceProvider(source()).addSinkProvider(new HookSinkProvider()).build().start());
        assertTrue(e.getMessage().contains("hook: configuration key environguard.sink.hook.retries: expected an"
                + " integer of at least 0"), e.getMessage());
    }

    @Test
    void everyCoreKeyIsDeclared() {
        Set<String> core = EnvironGuard.builder().config(GuardConfig.empty()).build().describeConfiguration().settings()
                .stream().filter(s -> s.owner().equals("core")).map(s -> s.key().name()).collect(Collectors.toSet());
        assertEquals(Set.of(EnvironGuard.SOURCE, EnvironGuard.SINKS, EnvironGuard.QUEUE_CAPACITY, EnvironGuard.CLOSE_TIMEOUT,
                GuardConfig.PROC_ROOT, GuardConfig.CONFIG_FILE, EnvironGuard.LOSS_INTERVAL, EnvironGuard.RATE_PREFIX), core);
    }
}
