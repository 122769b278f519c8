package io.environguard.policy;

import io.environguard.api.GuardConfig;
import io.environguard.api.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading the policy's settings from {@code environguard.policy.*} keys. */
class PolicyConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        PolicyConfig c = PolicyConfig.defaults();

        assertEquals(List.of(), c.allowRules());
        assertEquals(Set.copyOf(PolicyConfig.DEFAULT_KNOWN_READERS), c.knownReaders());
        assertEquals(Severity.LOW, c.knownReaderSeverity());
        assertEquals(10, c.sweepThreshold());
        assertEquals(Duration.ofSeconds(10), c.sweepWindow());
        assertEquals(Duration.ofSeconds(60), c.dedupeWindow());
        assertTrue(c.protectSelf());
        assertEquals(65_536, c.maxStateEntries());
        assertTrue(c.sweepFamilies());
        assertEquals(1024, c.sweepMaxListed());
        assertEquals(c.toString(), PolicyConfig.from(GuardConfig.empty()).toString());
    }

    @Test
    void everyKeyIsReadInAnySpelling() {
        GuardConfig config = GuardConfig.of(Map.ofEntries(
                Map.entry("environguard.policy.allow.exe", "/usr/bin/a, /usr/bin/b"),
                Map.entry("environguard.policy.allow.uid", "1000"),
                Map.entry("environguard.policy.allow.parent-exe", "/usr/bin/bash"),
                Map.entry("environguard.policy.allow.ancestor.exe", "/opt/agent/bin/agent"),
                Map.entry("environguard.policy.sweep.families", "false"),
                Map.entry("ENVIRONGUARD_POLICY_SWEEP_MAX_LISTED", "7"),
                Map.entry("ENVIRONGUARD_POLICY_ALLOW_CONTAINER", "3f2a9c1b7d4e"),
                Map.entry("environguard.policy.allow.rules", "exe=/usr/bin/c&target.exe=/usr/bin/d"),
                Map.entry("environguard.policy.known.readers", "/usr/local/bin/procs"),
                Map.entry("environguard.policy.known-readers.defaults", "false"),
                Map.entry("environguard.policy.known.readers.severity", "info"),
                Map.entry("environguard.policy.sweep.threshold", "4"),
                Map.entry("environguard.policy.sweep.window", "2s"),
                Map.entry("environguard.policy.dedupe.window", "500ms"),
                Map.entry("environguard.policy.protect.self", "false"),
                Map.entry("environguard.policy.protect.pids", "42, 43"),
                Map.entry("environguard.policy.protect.exe", "/usr/bin/vault"),
                Map.entry("environguard.policy.state.max-entries", "100")));

        PolicyConfig c = PolicyConfig.from(config);

        assertEquals(List.of(AllowRule.exe("/usr/bin/a"), AllowRule.exe("/usr/bin/b"), AllowRule.uid(1000),
                AllowRule.parentExe("/usr/bin/bash"), AllowRule.ancestorExe("/opt/agent/bin/agent"),
                AllowRule.container("3f2a9c1b7d4e"),
                AllowRule.builder().exe("/usr/bin/c").targetExe("/usr/bin/d").build()), c.allowRules());
        assertEquals(Set.of("/usr/local/bin/procs"), c.knownReaders());
        assertEquals(Severity.INFO, c.knownReaderSeverity());
        assertEquals(4, c.sweepThreshold());
        assertEquals(Duration.ofSeconds(2), c.sweepWindow());
        assertEquals(Duration.ofMillis(500), c.dedupeWindow());
        assertFalse(c.protectSelf());
        assertEquals(Set.of(42, 43), c.protectedPids());
        assertEquals(Set.of("/usr/bin/vault"), c.protectedExes());
        assertEquals(100, c.maxStateEntries());
        assertFalse(c.sweepFamilies());
        assertEquals(7, c.sweepMaxListed());
        assertEquals(List.of(), config.unknownKeys(PolicyConfig.KEYS, List.of()), "KEYS names every key read");
    }

    @Test
    void keysAreAllUnderThePolicyPrefix() {
        assertEquals(18, PolicyConfig.KEYS.size());
        PolicyConfig.KEYS.forEach(k -> assertTrue(k.startsWith("environguard.policy."), k));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "environguard.policy.sweep.threshold  | hunter2xyz",
            "environguard.policy.sweep.threshold  | 1",
            "environguard.policy.sweep.window     | hunter2xyz",
            "environguard.policy.sweep.window     | 0s",
            "environguard.policy.dedupe.window    | 2d",
            "environguard.policy.allow.uid        | hunter2xyz",
            "environguard.policy.allow.exe        | hunter2xyz",
            "environguard.policy.allow.rules      | uid=hunter2xyz",
            "environguard.policy.known.readers    | hunter2xyz",
            "environguard.policy.known.readers.severity | hunter2xyz",
            "environguard.policy.protect.pids     | -hunter2xyz",
            "environguard.policy.protect.exe      | hunter2xyz",
            "environguard.policy.protect.self     | hunter2xyz",
            "environguard.policy.state.max.entries | 0",
            "environguard.policy.sweep.max.listed  | 0",
            "environguard.policy.sweep.max.listed  | 65537",
            "environguard.policy.sweep.families    | hunter2xyz",
            "environguard.policy.allow.ancestor.exe | hunter2xyz",
    })
    void anInvalidValueNamesTheKeyButNeverRepeatsTheValue(String key, String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PolicyConfig.from(GuardConfig.of(Map.of(key, value))));

        assertTrue(e.getMessage().startsWith("configuration key " + key + ":"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void aSweepListsAtLeastTheTargetsThatMadeIt() {
        PolicyConfig c = PolicyConfig.builder().sweepThreshold(20).sweepMaxListed(5).build();
        assertEquals(20, c.sweepMaxListed(), "never below the threshold");
    }

    @Test
    void builderRefusesRulesThatOnlyNameTargets() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AllowRule.builder().targetExe("/usr/bin/sleep").build());
        assertTrue(e.getMessage().contains("needs at least one condition on the reader"), e.getMessage());
    }
}
