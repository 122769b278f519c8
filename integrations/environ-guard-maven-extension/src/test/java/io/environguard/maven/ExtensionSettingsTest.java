package io.environguard.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The extension's keys and their layers: .mvn/environ-guard.properties, environment, system and user properties. */
class ExtensionSettingsTest {

    @TempDir
    Path project;

    @Test
    void defaults() {
        ExtensionSettings s = ExtensionSettings.from(project, project, new Properties(), Map.of(), new Properties());
        assertFalse(s.skip());
        assertTrue(s.required());
        assertTrue(s.failOnFindings());
        assertTrue(s.hardenSelf());
        assertEquals(Duration.ofSeconds(2), s.settle());
        assertEquals(project.resolve("target/environ-guard"), s.reportDir());
        assertTrue(s.guard().asMap().isEmpty());
    }

    @Test
    void eachLayerWinsOverTheOneBeforeAndTheExtensionsKeysStayOutOfTheGuards() throws Exception {
        Files.createDirectories(project.resolve(".mvn"));
        Files.writeString(project.resolve(".mvn/environ-guard.properties"), String.join("\n",
                "environguard.maven.settle=5s",
                "environguard.maven.report-dir=build/eg",
                "environguard.policy.allow.exe=/usr/bin/from-file",
                "environguard.policy.sweep.threshold=20",
                "environguard.policy.dedupe.window=30s",
                "environguard.source=targeted"));
        Properties system = new Properties();
        system.setProperty("environguard.policy.sweep.threshold", "30");
        system.setProperty("environguard.maven.fail-on-findings", "false");
        Properties user = new Properties();
        user.setProperty("environguard.policy.sweep.threshold", "40");
        user.setProperty("environguard.maven.skip", "true");
        Map<String, String> env = Map.of("ENVIRONGUARD_POLICY_ALLOW_EXE", "/usr/bin/from-env",
                "ENVIRONGUARD_POLICY_DEDUPE_WINDOW", "45s");
        ExtensionSettings s = ExtensionSettings.from(project, project, user, env, system);
        assertTrue(s.skip());
        assertFalse(s.failOnFindings());
        assertEquals(Duration.ofSeconds(5), s.settle());
        assertEquals(project.resolve("build/eg"), s.reportDir());
        assertEquals("/usr/bin/from-env", s.guard().getString("environguard.policy.allow.exe", null));
        assertEquals("45s", s.guard().getString("environguard.policy.dedupe.window", null));
        assertEquals(40, s.guard().getInt("environguard.policy.sweep.threshold", 0));
        assertEquals("targeted", s.guard().getString("environguard.source", null));
        assertTrue(s.guard().asMap().keySet().stream().noneMatch(k -> k.startsWith("environguard.maven.")),
                s.guard().asMap().toString());
    }

    @Test
    void anInvalidValueNamesItsKey() {
        Properties user = new Properties();
        user.setProperty("environguard.maven.settle", "soon");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExtensionSettings.from(project, project, user, Map.of(), new Properties()));
        assertTrue(e.getMessage().contains("environguard.maven.settle"), e.getMessage());
    }
}
