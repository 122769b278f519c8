package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import io.environguard.linux.KernelTestSupport;
import io.environguard.spi.EventSourceProvider;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The source refuses to start for an ordinary user and says why. A child JVM runs as nobody
 * ({@code setpriv}: a fresh exec, so its {@code /proc/self} is its own) from a world-readable copy of the
 * classpath, since Maven's repository under {@code /root} is not readable to it.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FanotifyUnprivilegedKernelTest {

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void refusesToStartWithoutCapSysAdminAndSaysSo() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "eg-unpriv",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            List<String> classpath = new ArrayList<>();
            int i = 0;
            for (Class<?> c : List.of(FanotifyHostSourceProvider.class, EventSourceProvider.class, Native.class,
                    LoggerFactory.class, UnprivilegedProbeMain.class)) {
                classpath.add(copyReadable(codeSource(c), dir.resolve("cp" + i++)).toString());
            }
            Path jnaTmp = Files.createDirectory(dir.resolve("jna"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
            Files.setPosixFilePermissions(jnaTmp, PosixFilePermissions.fromString("rwxrwxrwx"));
            String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
            ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                    java, "-Djna.tmpdir=" + jnaTmp, "-Djava.io.tmpdir=" + jnaTmp, "-cp", String.join(":", classpath),
                    UnprivilegedProbeMain.class.getName())
                    .redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().put("HOME", jnaTmp.toString());
            Process child = pb.start();
            String out;
            try {
                out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
            } finally {
                child.destroyForcibly();
            }
            assertEquals(0, child.exitValue(), out);
            Map<String, String> said = new LinkedHashMap<>();
            out.lines().filter(l -> l.contains("=")).forEach(l -> said.put(l.substring(0, l.indexOf('=')),
                    l.substring(l.indexOf('=') + 1)));
            assertEquals("100", said.get("priority"), out);
            assertEquals("false", said.get("available"), out);
            assertTrue(said.getOrDefault("detail", "").contains("CAP_SYS_ADMIN"), out);
            assertTrue(said.getOrDefault("detail", "").contains("procfs source"), out);
            assertTrue(said.getOrDefault("start", "").contains("CAP_SYS_ADMIN"), out);
        } finally {
            deleteTree(dir);
        }
    }

    private static Path codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Copies a classes directory or a jar into {@code to} (a jar as {@code to.jar}), readable to all. */
    private static Path copyReadable(Path from, Path to) throws IOException {
        if (Files.isDirectory(from)) {
            try (var paths = Files.walk(from)) {
                for (Path p : paths.toList()) {
                    Path target = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } else {
                        Files.copy(p, target);
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                    }
                }
            }
            return to;
        }
        Path jar = to.resolveSibling(to.getFileName() + ".jar");
        Files.copy(from, jar);
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        return jar;
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
