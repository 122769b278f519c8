package io.environguard.samples.selfprotect;

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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The sample service in a child JVM: it starts guarded by the targeted source, scrubs its secret, serves
 * /health and /coverage on loopback, and alerts (JSON on stdout) when this test reads its environ, which
 * the test does only to check that the value is absent.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SelfProtectedServiceKernelTest {

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
    void servesGuardedAndScrubbed() throws Exception {
        String value = "service-test-value-" + UUID.randomUUID();
        Set<String> classpath = new LinkedHashSet<>();
        for (Class<?> c : List.of(SelfProtectedService.class, EnvironGuard.class, TargetedFanotifySourceProvider.class,
                Native.class, LoggerFactory.class, org.slf4j.simple.SimpleLogger.class)) {
            classpath.add(codeSource(c).toString());
        }
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        ProcessBuilder pb = new ProcessBuilder(java, "-Denvironguard.sinks=jsonl", "-cp", String.join(":", classpath),
                SelfProtectedService.class.getName(), "--scrub", "EG_SERVICE_SECRET", "--port", "0", "--duration", "60s");
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().put("EG_SERVICE_SECRET", value);
        Process child = pb.start();
        try {
            List<String> out = pump(child.getInputStream());
            List<String> err = pump(child.getErrorStream());
            String ready = await(err, l -> l.startsWith("service: ready "), child, err);
            int port = Integer.parseInt(ready.replaceAll(".* port=(\\d+).*", "$1"));
            assertTrue(err.stream().anyMatch(l -> l.startsWith("service: guarded by targeted")), err.toString());
            assertTrue(err.stream().anyMatch(l -> l.startsWith("service: scrubbed [EG_SERVICE_SECRET]")), err.toString());

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("ok\n", health.body());
            String coverage = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/coverage")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(coverage.contains("inode mark"), coverage);

            String environ = new String(Files.readAllBytes(Path.of("/proc/" + child.pid() + "/environ")), StandardCharsets.ISO_8859_1);
            assertFalse(environ.contains(value), "scrubbed");
            String alert = await(out, l -> l.contains("\"reader\":{\"pid\":" + ProcessHandle.current().pid() + ","), child, err);
            assertTrue(alert.contains("\"rule\":\"environ_read_protected_target\""), alert);
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
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
        }, "service-test-pump");
        t.setDaemon(true);
        t.start();
        return lines;
    }

    private static String await(List<String> lines, Predicate<String> match, Process child, List<String> err)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (String l : new ArrayList<>(lines)) {
                if (match.test(l)) {
                    return l;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no matching line within 30 s" + (child.isAlive() ? "" : " (exit " + child.exitValue() + ")")
                + "; said " + lines + "; stderr " + err);
    }
}
