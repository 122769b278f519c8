package io.environguard.linux.procfs;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.api.Rules;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import io.environguard.testkit.KernelPaths;
import io.environguard.testkit.RecordingSink;
import io.environguard.testkit.SimProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The polling source inside a whole guard: provider selection, configuration, the pipeline and a sink. */
class ProcfsGuardTest {

    private static final String SERVICE = "META-INF/services/" + EventSourceProvider.class.getName();

    private SimWorld world;

    @BeforeEach
    void create() {
        world = SimWorld.create();
    }

    @AfterEach
    void delete() {
        world.close();
    }

    private EnvironGuard.Builder guard(RecordingSink sink) {
        return EnvironGuard.builder()
                .config(GuardConfig.empty())
                .set(GuardConfig.PROC_ROOT, world.fs.root().toString())
                .set(ProcfsSettings.INTERVAL, "20ms")
                // simulated pids may equal this JVM's pid; the guard's own process is the simulated one
                .set("environguard.policy.protect.self", "false")
                .addSink("rec", sink);
    }

    @Test
    void chosenByNameItAlertsThroughThePipeline() throws Exception {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.spawn("cat");
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard g = guard(sink).set(EnvironGuard.SOURCE, "procfs").build().start()) {
            assertEquals("procfs", g.sourceName());
            assertEquals("procfs", g.coverage().source());
            world.fs.openFd(reader.pid(), KernelPaths.environ(target.pid()));
            Alert alert = sink.awaitAlert(a -> a.hasAccess() && a.access().reader().pid() == reader.pid(), Duration.ofSeconds(10));
            assertEquals(Rules.ENVIRON_READ, alert.rule());
            assertEquals(AccessKind.HELD_OPEN, alert.access().kind());
            assertEquals(target.pid(), alert.access().target().pid());
        }
    }

    /** A stand-in for fanotify that cannot run here, found by ServiceLoader like the real one. */
    public static final class UnavailableFanotify implements EventSourceProvider {
        @Override
        public String name() {
            return "fanotify";
        }

        @Override
        public int priority() {
            return 100;
        }

        @Override
        public Availability availability() {
            return Availability.unavailable("needs CAP_SYS_ADMIN");
        }

        @Override
        public EventSource create(GuardConfig config) {
            throw new AssertionError("never created");
        }
    }

    @Test
    void chosenAutomaticallyWhenFanotifyIsUnavailable(@TempDir Path dir) throws Exception {
        // only this module's provider and a stand-in for fanotify that cannot run here, through ServiceLoader,
        // whatever else the class path holds (a source added in code would run instead of discovered ones)
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve(EventSourceProvider.class.getName()), UnavailableFanotify.class.getName() + "\n"
                + ProcfsPollingSourceProvider.class.getName() + "\n");
        URL only = dir.resolve(SERVICE).toUri().toURL();
        ClassLoader loader = new ClassLoader(getClass().getClassLoader()) {
            @Override
            public Enumeration<URL> getResources(String name) throws IOException {
                return name.equals(SERVICE) ? Collections.enumeration(List.of(only)) : super.getResources(name);
            }
        };
        RecordingSink sink = new RecordingSink();
        try (EnvironGuard g = guard(sink).classLoader(loader).build().start()) {
            assertEquals("procfs", g.sourceName());
        }
    }

    @Test
    void invalidSettingsFailTheStartNamingTheKeyNotTheValue() {
        RecordingSink sink = new RecordingSink();
        GuardStartException e = assertThrows(GuardStartException.class, () -> guard(sink)
                .set(EnvironGuard.SOURCE, "procfs").set(ProcfsSettings.MAX_FDS, "hunter2").build().start());
        assertTrue(e.getMessage().contains(ProcfsSettings.MAX_FDS), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        GuardStartException tooFast = assertThrows(GuardStartException.class, () -> guard(sink)
                .set(EnvironGuard.SOURCE, "procfs").set(ProcfsSettings.INTERVAL, "1ms").build().start());
        assertTrue(tooFast.getMessage().contains(ProcfsSettings.INTERVAL), tooFast.getMessage());
    }

    @Test
    void aMissingProcRootFailsTheStartWithAClearMessage(@TempDir Path dir) {
        RecordingSink sink = new RecordingSink();
        GuardStartException e = assertThrows(GuardStartException.class, () -> guard(sink)
                .set(EnvironGuard.SOURCE, "procfs").set(GuardConfig.PROC_ROOT, dir.resolve("nothing").toString())
                .build().start());
        assertTrue(e.getMessage().contains("environguard.proc.root"), e.getMessage());
    }

    @Test
    void settingsComeFromTheirKeys() {
        ProcfsSettings s = ProcfsSettings.from(GuardConfig.builder()
                .set("ENVIRONGUARD_SOURCE_PROCFS_INTERVAL", "250ms")
                .set(ProcfsSettings.MAX_FDS, "99")
                .set(ProcfsSettings.SCAN_BUDGET, "2s")
                .set(ProcfsSettings.FULL_SCAN_INTERVAL, "0s")
                .set(ProcfsSettings.COMMAND_LINES, "off")
                .set(GuardConfig.PROC_ROOT, "/host/proc")
                .build());
        assertEquals(new ProcfsSettings(Path.of("/host/proc"), Duration.ofMillis(250), 99, Duration.ofSeconds(2),
                Duration.ZERO, false), s);
        assertEquals(ProcfsSettings.defaults(Path.of("/proc")), ProcfsSettings.from(GuardConfig.empty()));
    }
}
