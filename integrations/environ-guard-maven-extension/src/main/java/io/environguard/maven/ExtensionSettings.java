package io.environguard.maven;

import io.environguard.api.GuardConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The extension's settings, under {@code environguard.maven.}, and the guard's configuration (every other
 * {@code environguard.*} key). Layers, each winning over the one before: the project's
 * {@code .mvn/environ-guard.properties} (the extension's configuration file, next to {@code .mvn/extensions.xml}),
 * the file named by {@code environguard.config.file}, {@code ENVIRONGUARD_*} environment variables, system properties
 * ({@code MAVEN_OPTS}), and the build's {@code -D} user properties (the command line, {@code .mvn/maven.config}).
 *
 * <pre>{@code
 * mvn -Denvironguard.maven.report-dir=build/eg -Denvironguard.policy.allow.exe=/usr/bin/my-agent verify
 * }</pre>
 *
 * @param skip           {@code environguard.maven.skip}: do not guard this build (default false)
 * @param required       {@code environguard.maven.required}: fail the build when the guard cannot watch (default
 *                       true); false only warns
 * @param failOnFindings {@code environguard.maven.fail-on-findings}: fail the build when there are findings (default
 *                       true); false reports them only
 * @param settle         {@code environguard.maven.settle}: the most the end of the build waits for the last events
 *                       (default 2s)
 * @param hardenSelf     {@code environguard.maven.harden-self}: without root, make the Maven JVM non-dumpable so that
 *                       processes of its user cannot read its environ or mem (default true; no {@code jcmd} to it then)
 * @param reportDir      {@code environguard.maven.report-dir}: where the reports go (default {@code target/environ-guard}
 *                       under the directory Maven runs in); relative paths are taken from there
 * @param guard          the guard's configuration, without the extension's own keys
 */
record ExtensionSettings(boolean skip, boolean required, boolean failOnFindings, Duration settle,
                         boolean hardenSelf, Path reportDir, GuardConfig guard) {

    static final String PREFIX = "environguard.maven.";
    static final String SKIP = PREFIX + "skip";
    static final String REQUIRED = PREFIX + "required";
    static final String FAIL_ON_FINDINGS = PREFIX + "fail-on-findings";
    static final String SETTLE = PREFIX + "settle";
    static final String REPORT_DIR = PREFIX + "report-dir";
    static final String HARDEN_SELF = PREFIX + "harden-self";
    /** The extension's configuration file, relative to the project's top directory. */
    static final String PROJECT_FILE = ".mvn/environ-guard.properties";

    /**
     * @param projectDir     the project's top directory (where {@code .mvn} is), or {@code null}
     * @param executionRoot  the directory Maven runs in
     * @param userProperties the build's {@code -D} properties
     * @throws IllegalArgumentException naming the key of an invalid value
     */
    static ExtensionSettings from(Path projectDir, Path executionRoot, Properties userProperties,
                                  Map<String, String> env, Properties systemProperties) {
        GuardConfig.Builder b = GuardConfig.builder();
        if (projectDir != null && Files.isRegularFile(projectDir.resolve(PROJECT_FILE))) {
            b.file(projectDir.resolve(PROJECT_FILE));
        }
        String file = systemProperties.getProperty(GuardConfig.CONFIG_FILE,
                userProperties.getProperty(GuardConfig.CONFIG_FILE, env.get("ENVIRONGUARD_CONFIG_FILE")));
        if (file != null && !file.isBlank()) {
            b.file(executionRoot.resolve(file));
        }
        b.environment(env).systemProperties(systemProperties).systemProperties(userProperties);
        GuardConfig all = b.build();

        Map<String, String> guardKeys = new LinkedHashMap<>();
        all.asMap().forEach((k, v) -> {
            if (!GuardConfig.normalize(k).startsWith(GuardConfig.normalize(PREFIX))) {
                guardKeys.put(k, v);
            }
        });
        String dir = all.getString(REPORT_DIR, "target/environ-guard");
        return new ExtensionSettings(all.getBoolean(SKIP, false), all.getBoolean(REQUIRED, true),
                all.getBoolean(FAIL_ON_FINDINGS, true), all.getDuration(SETTLE, Duration.ofSeconds(2)),
                all.getBoolean(HARDEN_SELF, true), executionRoot.resolve(dir), GuardConfig.of(guardKeys));
    }
}
