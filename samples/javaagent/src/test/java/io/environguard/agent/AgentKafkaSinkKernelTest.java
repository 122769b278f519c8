package io.environguard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.jna.Native;
import io.environguard.EnvironGuard;
import io.environguard.linux.targeted.TargetedFanotifySourceProvider;
import io.environguard.sink.kafka.KafkaSinkProvider;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * {@code java -javaagent:environ-guard-agent.jar=sinks=kafka,... -cp app:environ-guard-sink-kafka.jar:kafka-clients.jar}:
 * a sink plugin on the application's class path is found by the agent's guard, and a read of the JVM's environ
 * arrives in a real Kafka topic on loopback. The agent jar is a manifest whose Class-Path names the build's classes
 * and jars, as in {@link AgentKernelTest}.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentKafkaSinkKernelTest {

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
    void theAgentDeliversToAKafkaSinkOnTheApplicationsClassPath() throws Exception {
        Path dir = Files.createTempDirectory("eg-agent-kafka");
        Process child = null;
        try (LoopbackBroker broker = LoopbackBroker.start()) {
            broker.createTopic("agent-alerts", 1);
            Path agent = agentJar(dir.resolve("agent.jar"));
            String appClassPath = String.join(":", codeSource(SleepingApp.class).toString(),
                    codeSource(KafkaSinkProvider.class).toString(), codeSource(KafkaProducer.class).toString(),
                    codeSource(org.slf4j.simple.SimpleLogger.class).toString());
            String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
            ProcessBuilder pb = new ProcessBuilder(java,
                    "-javaagent:" + agent + "=sinks=kafka,sink.kafka.bootstrap.servers=" + broker.bootstrapServers()
                            + ",sink.kafka.topic=agent-alerts",
                    "-cp", appClassPath, SleepingApp.class.getName());
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            child = pb.start();
            List<String> out = pump(child.getInputStream());
            List<String> err = pump(child.getErrorStream());
            String guarding = "environ-guard agent: guarding pid " + child.pid();
            await(err, l -> l.startsWith(guarding), child, out, err);

            // This JVM reads the child's environ (only to be seen doing it): the child's guard alerts through Kafka.
            Files.readAllBytes(Path.of("/proc/" + child.pid() + "/environ"));
            String self = "\"reader\":{\"pid\":" + ProcessHandle.current().pid() + ",";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String found = null;
            while (found == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : broker.consume("agent-alerts", 1, Duration.ofSeconds(5))) {
                    String value = LoopbackBroker.text(r.value());
                    if (value.contains(self)) {
                        found = value;
                    }
                }
            }
            assertTrue(found != null, "no alert for this JVM's read in the topic; child stderr: " + err);
            assertTrue(found.contains("\"rule\":\"environ_read_protected_target\""), found);
            assertTrue(found.contains("\"target\":{\"pid\":" + child.pid() + ","), found);
            assertEquals(List.of(), out.stream().filter(l -> l.startsWith("{")).toList(), "alerts go to Kafka, not stdout");
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

    /** A jar of only a manifest: Premain-Class, and a Class-Path of the agent's classes and its dependency jars. */
    private static Path agentJar(Path jar) throws IOException, URISyntaxException {
        List<String> classPath = new ArrayList<>();
        for (Class<?> c : List.of(EnvironGuardAgent.class, EnvironGuard.class, TargetedFanotifySourceProvider.class,
                Native.class, LoggerFactory.class)) {
            classPath.add(codeSource(c).toUri().toString());
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
        }, "agent-kafka-test-pump");
        t.setDaemon(true);
        t.start();
        return lines;
    }

    private static void await(List<String> lines, java.util.function.Predicate<String> match, Process child,
                              List<String> out, List<String> err) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (lines.stream().anyMatch(match)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no matching line within 30 s" + (child.isAlive() ? "" : " (exit " + child.exitValue() + ")")
                + "; stdout " + out + "; stderr " + err);
    }
}
