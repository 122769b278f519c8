package io.environguard.linux.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.AliasKind;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.linux.hardening.Hardening;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.spi.AlertSink;
import io.environguard.testkit.FdSpec;
import io.environguard.testkit.KernelPaths;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.RecordingSink;
import io.environguard.testkit.ScriptedEventSource;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The README's Java examples, compiled and, where that makes sense in a test, run. {@link ReadmeSnippetsTest} checks
 * that README.md shows them exactly. To change one, edit it here and run
 * {@code mvn -B -ntp -pl environ-guard-linux -am test -Dtest=ReadmeSnippetsTest -Dreadme.snippets.update=true}.
 *
 * <p>They run in the Linux module on purpose: with the real sources on the class path, as in a user's project.
 */
class ReadmeExamplesTest {

    private static final Logger log = LoggerFactory.getLogger(ReadmeExamplesTest.class);

    /** The sink under test in the testkit example: any sink of the reader's own. */
    static final class MySink implements AlertSink {
        final List<Alert> received = new CopyOnWriteArrayList<>();

        @Override
        public void publish(Alert alert) {
            received.add(alert);
        }
    }

    /** Run with a class path whose only source is a scripted one, so that the quick start watches nothing real. */
    @Test
    void libraryQuickStart() throws Exception {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(OnlySource.classLoader(ReadmeScriptedSource.class));
        ReadmeScriptedSource.STARTED.clear();
        try {
            // snippet:start library
            // imports: io.environguard.EnvironGuard, io.environguard.api.GuardConfig
            try (EnvironGuard guard = EnvironGuard.builder()
                    .config(GuardConfig.load())                 // environguard.* properties, ENVIRONGUARD_* variables
                    .set("environguard.sinks", "slf4j,jsonl")
                    .build()
                    .start()) {                                 // returns once the source is watching
                log.info("watching with {}: {}", guard.sourceName(), guard.coverage());
                runTheApplication();                            // your application runs here
                log.info("{}", guard.stats());                  // accesses and their outcomes, alerts, per-sink counters, lost events
            }
            // snippet:end
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
        assertEquals(1, ReadmeScriptedSource.STARTED.size(), "the scripted source ran");
    }

    private static void runTheApplication() throws Exception {
        ReadmeScriptedSource.STARTED.get(0).awaitReplayed(Duration.ofSeconds(5));
    }

    /** Compiled, not run: it would scrub and harden the test JVM itself. */
    @SuppressWarnings("unused")
    private static void selfProtection() throws Exception {
        // snippet:start self-protection
        // imports: io.environguard.EnvironGuard, io.environguard.linux.hardening.Hardening, java.util.Map
        Map<String, String> env = System.getenv();          // read your configuration first (the JVM caches it)
        EnvironGuard guard = EnvironGuard.builder()
                .set("environguard.source", "targeted")     // auto picks it when the host-wide source cannot run
                .build().start();
        Hardening.scrub("DB_PASSWORD");                      // /proc/<pid>/environ now shows DB_PASSWORD=********
        Hardening.makeNonDumpable();                         // other processes of your user get EACCES
        // snippet:end
        guard.close();
    }

    /** Run as written, in the module that has the real fanotify and procfs sources on its class path. */
    @Test
    void testkitPipeline() throws Exception {
        // snippet:start testkit-pipeline
        // imports: io.environguard.EnvironGuard, io.environguard.api.AliasKind, io.environguard.api.Alert
        // imports: io.environguard.api.EnvironAccess, io.environguard.api.GuardConfig, io.environguard.api.ProcessInfo
        // imports: io.environguard.api.Rules, io.environguard.testkit.RecordingSink
        // imports: io.environguard.testkit.ScriptedEventSource, java.time.Duration, java.util.List
        // imports: static org.junit.jupiter.api.Assertions.assertEquals
        RecordingSink recorder = new RecordingSink();
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of(
                EnvironAccess.builder().source("test").path("/proc/42/environ").alias(AliasKind.PROCESS)
                        .reader(ProcessInfo.builder(4242).exe("/usr/bin/cat").startTime(7).build())
                        .target(ProcessInfo.builder(42).exe("/usr/bin/sleep").startTime(3).build())
                        .build()));
        try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
                .addSourceProvider(source)                  // runs instead of the sources on the class path
                .addSink("mine", new MySink())              // the sink under test
                .addSink("recorder", recorder)
                .build().start()) {
            Alert alert = recorder.awaitAlerts(1, Duration.ofSeconds(5)).get(0);
            assertEquals(Rules.ENVIRON_READ, alert.rule());
        }
        // snippet:end
    }

    @Test
    void inspectorOnASimulatedTree() throws Exception {
        // snippet:start inspector
        // imports: io.environguard.api.ProcessInfo, io.environguard.linux.proc.ProcessInspector
        // imports: io.environguard.testkit.FdSpec, io.environguard.testkit.KernelPaths, io.environguard.testkit.ProcessSpec
        // imports: io.environguard.testkit.SimProcess, io.environguard.testkit.SimulatedProcFs
        // imports: static org.junit.jupiter.api.Assertions.assertEquals
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess target = fs.spawn(ProcessSpec.builder().comm("sleep").build());
            SimProcess reader = fs.spawn(ProcessSpec.builder().comm("x) (y").exe("/tmp/cat").build());
            fs.openFd(reader.pid(), new FdSpec(3, KernelPaths.environ(target.pid())));
            ProcessInfo info = new ProcessInspector(fs.root()).inspect(reader.pid());
            assertEquals("x) (y", info.comm());                                     // parsed from the last ')'
            fs.exit(target.pid());                                                  // its directory vanishes
        }
        // snippet:end
    }

    @Test
    void aSinkPluginDeclaresItsKeys() throws Exception {
        RecordingSink recorder = new RecordingSink();
        ScriptedEventSource source = ScriptedEventSource.ofAccesses(List.of());
        try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.of(Map.of(
                        "environguard.sinks", "mine", MySinkProvider.PREFIX, "EG")))
                .addSourceProvider(source).addSinkProvider(new MySinkProvider()).addSink("recorder", recorder)
                .build().start()) {
            assertTrue(guard.describeConfiguration().settings().stream()
                    .anyMatch(s -> s.key().name().equals(MySinkProvider.PREFIX) && s.value().equals("EG")));
            assertEquals(List.of("recorder", "mine"), guard.stats().sinks().stream().map(s -> s.sink()).toList());
        }
    }
}
