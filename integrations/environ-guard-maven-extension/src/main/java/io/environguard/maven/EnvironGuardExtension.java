package io.environguard.maven;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.GuardConfig;
import io.environguard.ci.Finding;
import io.environguard.ci.JUnitReport;
import io.environguard.ci.JsonlFindings;
import io.environguard.ci.Reports;
import io.environguard.ci.RunVerdict;
import io.environguard.ci.TreeGuard;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.maven.AbstractMavenLifecycleParticipant;
import org.apache.maven.MavenExecutionException;
import org.apache.maven.execution.MavenSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards a Maven build: when the session starts, a guard starts in the Maven JVM; every plugin, test JVM and forked
 * process of the build (everything whose lineage contains the Maven JVM) is judged; when the session ends, the
 * findings fail the build and the reports are written under {@code target/environ-guard/}
 * ({@code TEST-environ-guard.xml}, JUnit XML, and {@code findings.jsonl}). The Maven JVM and the processes above it
 * (the shell that ran {@code mvn}, the CI runner) are the worst case: any read of them by the build fails it.
 *
 * <p>Enabled as a core extension, in the project's {@code .mvn/extensions.xml}:
 * <pre>{@code
 * <extensions>
 *   <extension>
 *     <groupId>io.environguard</groupId>
 *     <artifactId>environ-guard-maven-extension</artifactId>
 *     <version>0.1.0-SNAPSHOT</version>
 *   </extension>
 * </extensions>
 * }</pre>
 * or without touching the project, {@code mvn -Dmaven.ext.class.path=<the extension's jar and its dependencies> verify}.
 * Settings: {@link ExtensionSettings}. Only a core extension sees the session start: declared as a build extension in a
 * POM's {@code <build><extensions>}, it would start after the projects are read and is not supported.
 *
 * <p>A singleton Plexus component, declared in {@code META-INF/plexus/components.xml} rather than with JSR-330
 * annotations: see that file for why.
 */
public final class EnvironGuardExtension extends AbstractMavenLifecycleParticipant {

    static final String ROOT_LABEL = "this build";
    static final String JUNIT_FILE = "TEST-environ-guard.xml";
    static final String JSONL_FILE = "findings.jsonl";
    private static final Logger LOG = LoggerFactory.getLogger("environ-guard");

    private TreeGuard guard;
    private ExtensionSettings settings;
    private long started;

    @Override
    public void afterSessionStart(MavenSession session) throws MavenExecutionException {
        started = System.nanoTime();
        File top = session.getRequest().getMultiModuleProjectDirectory();
        Path executionRoot = Path.of(session.getExecutionRootDirectory() == null
                ? System.getProperty("user.dir") : session.getExecutionRootDirectory());
        try {
            settings = ExtensionSettings.from(top == null ? null : top.toPath(), executionRoot,
                    session.getUserProperties(), System.getenv(), System.getProperties());
        } catch (IllegalArgumentException e) {
            throw new MavenExecutionException("environ-guard: invalid configuration: " + e.getMessage(), e);
        }
        if (settings.skip()) {
            LOG.info("environ-guard: not guarding this build ({}=true)", ExtensionSettings.SKIP);
            return;
        }
        GuardConfig config = settings.guard();
        if (!config.contains(EnvironGuard.SINKS)) {
            config = config.with(EnvironGuard.SINKS, ""); // the judge is the build's sink; the host's alerts stay out of its log
        }
        try {
            // the extension's own class realm holds the sources (META-INF/services); Maven's context loader does not
            guard = TreeGuard.builder().config(config).settle(settings.settle()).rootLabel(ROOT_LABEL)
                    .classLoader(EnvironGuardExtension.class.getClassLoader())
                    .hardenSelf(settings.hardenSelf())
                    .onFinding(f -> LOG.error("environ-guard: {}", Reports.liveLine(f, ROOT_LABEL)))
                    .start();
        } catch (GuardStartException | RuntimeException | LinkageError e) {
            String why = "environ-guard cannot watch this build: " + e.getMessage();
            if (settings.required()) {
                throw new MavenExecutionException(why + " (-D" + ExtensionSettings.SKIP + "=true runs the build unguarded;"
                        + " -D" + ExtensionSettings.REQUIRED + "=false only warns)", e);
            }
            LOG.warn("{}; the build runs unguarded ({}=false)", why, ExtensionSettings.REQUIRED);
            return;
        }
        guard.rootIsThisProcess();
        LOG.info("environ-guard: guarding {} (mode {}, source {}); reports go to {}", ROOT_LABEL, guard.mode().id(),
                guard.sourceName(), settings.reportDir());
    }

    @Override
    public void afterSessionEnd(MavenSession session) throws MavenExecutionException {
        TreeGuard g = guard;
        guard = null;
        if (g == null) {
            return;
        }
        RunVerdict verdict;
        try {
            verdict = g.finish();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            g.close();
            throw new MavenExecutionException("environ-guard: interrupted while judging the build", e);
        } finally {
            g.close();
        }
        Path dir = settings.reportDir();
        String reportProblem = null;
        try {
            JUnitReport.write(dir.resolve(JUNIT_FILE), verdict, ROOT_LABEL, Duration.ofNanos(System.nanoTime() - started));
            try (JsonlFindings jsonl = JsonlFindings.create(dir.resolve(JSONL_FILE))) {
                verdict.findings().forEach(jsonl::write);
            }
        } catch (IOException e) {
            reportProblem = "cannot write the reports under " + dir + ": " + e.getMessage();
        }
        List<Finding> findings = verdict.findings();
        for (int i = 0; i < findings.size(); i++) {
            for (String line : Reports.findingLines(findings.get(i), i + 1, findings.size(), verdict.tree(), ROOT_LABEL)) {
                LOG.error("environ-guard: {}", line);
            }
        }
        for (String line : Reports.summary(verdict, ROOT_LABEL)) {
            if (verdict.failed()) {
                LOG.error("environ-guard: {}", line);
            } else {
                LOG.info("environ-guard: {}", line);
            }
        }
        if (reportProblem != null) {
            LOG.error("environ-guard: {}", reportProblem);
        }
        if (verdict.failed() && settings.failOnFindings()) {
            throw new MavenExecutionException("environ-guard: " + Reports.summary(verdict, ROOT_LABEL).get(0)
                    + "; see the report above and " + dir.resolve(JUNIT_FILE), (File) null);
        }
        if (reportProblem != null) {
            throw new MavenExecutionException("environ-guard: " + reportProblem, (File) null);
        }
    }
}
