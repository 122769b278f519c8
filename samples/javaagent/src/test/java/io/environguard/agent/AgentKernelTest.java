package io.environguard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.jna.Native;
import io.environguard.EnvironGuard;
import io.environguard.linux.targeted.TargetedFanotifySourceProvider;
import io.environguard.spi.Availability;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * {@code java -javaagent:...} in a child JVM whose application knows nothing of environ-guard: the agent
 * scrubs the named variable before {@code main} (the application still sees it) and alerts on a read of
 * the JVM's environ. The agent jar is built here (a manifest whose Class-Path names the build's classes
 * and jars), since the shaded jar exists only after the package phase. The test reads the child's environ
 * only to check that the value is absent.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentKernelTest {

    @BeforeAll
    static void kernel() {
        Availability a = new TargetedFanotifySourceProvider().availability();
        if (!a.available()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("the targeted source must run on CI: " + a.detail());
            }
            Assumptions.abort("the targeted source cannot run here: " + a.detail());
        }
    }

    @Test
    void guardsAndScrubsAJvmWithNoCodeChange() throws Exception {
        Path dir = Files.createTempDirectory("eg-agent");
        String value = "agent-test-value-" + UUID.randomUUID();
        Process child = null;
        try {
            Path agent = agentJar(dir.resolve("agent.jar"));
            String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
            ProcessBuilder pb = new ProcessBuilder(java, "-javaagent:" + agent + "=scrub=EG_AGENT_SECRET,sinks=jsonl",
                    "-cp", codeSource(SleepingApp.class).toString(), SleepingApp.class.getName());
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().put("EG_AGENT_SECRET", value);
            child = pb.start();
            List<String> out = pump(child.getInputStream());
            List<String> err = pump(child.getErrorStream());

            assertEquals("app getenv-present=true", await(out, l -> l.startsWith("app "), child, err));
            String guarding = await(err, l -> l.startsWith("environ-guard agent:"), child, err);
            assertTrue(guarding.contains("guarding pid " + child.pid() + " with source targeted")
                    && guarding.contains("scrubbed [EG_AGENT_SECRET]"), guarding);

            byte[] environ = Files.readAllBytes(Path.of("/proc/" + child.pid() + "/environ"));
            String text = new String(environ, StandardCharsets.ISO_8859_1);
            assertFalse(text.contains(value), "the scrubbed value is gone from /proc/<pid>/environ");
            assertTrue(text.contains("EG_AGENT_SECRET=" + "*".repeat(value.length())), "masked in place");

            // That read was this JVM's: the agent's guard reports it as a JSON line on the child's stdout.
            String self = "\"pid\":" + ProcessHandle.current().pid() + ",";
            String alert = await(out, l -> l.startsWith("{") && l.contains("\"reader\":{" + self), child, err);
            assertTrue(alert.contains("\"rule\":\"environ_read_protected_target\""), alert);
            assertTrue(alert.contains("\"severity\":\"critical\""), alert);
            assertFalse(alert.contains(value), "no value in the alert");
        } finally {
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** A jar of only a manifest: Premain-Class, and a Class-Path of the build's classes and dependency jars. */
    private static Path agentJar(Path jar) throws IOException, URISyntaxException {
        List<String> classPath = new ArrayList<>();
        for (Class<?> c : List.of(EnvironGuardAgent.class, EnvironGuard.class, TargetedFanotifySourceProvider.class,
                Native.class, LoggerFactory.class)) {
            Path source = codeSource(c);
            classPath.add(source.toUri().toString()); // a directory's URI ends with '/', as Class-Path needs
        }
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.put(new Attributes.Name("Premain-Class"), EnvironGuardAgent.class.getName());
        main.put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.flush();
        }
        return jar;
    }

    private static Path codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<String> pump(InputStream in) {
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child ended
            }
        }, "agent-test-pump");
        t.setDaemon(true);
        t.start();
        return lines;
    }

    private static String await(List<String> lines, Predicate<String> match, Process child, List<String> err)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (String l : lines) {
                if (match.test(l)) {
                    return l;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no matching line within 30 s" + (child.isAlive() ? "" : " (exit " + child.exitValue() + ")")
                + "; stdout " + lines + "; stderr " + err);
    }
}
