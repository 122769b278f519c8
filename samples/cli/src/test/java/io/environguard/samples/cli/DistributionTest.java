package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.samples.webhook.WebhookSinkProvider;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive (built in the package phase; this runs after it): its layout, the POSIX sh launcher
 * (finding Java, symlinks, the conf file, plugins/), the configuration file's list of keys, and the systemd unit.
 * Needs no root: where the monitor runs, it runs the procfs polling source.
 */
class DistributionTest {

    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final String VERSION = System.getProperty("project.version", "");

    @TempDir
    Path tmp;

    private Distribution dist;

    @BeforeEach
    void unpack() throws Exception {
        dist = Distribution.unpack(tmp);
    }

    /** An environment with the JDK under test as JAVA_HOME and a PATH of the usual system directories. */
    private static Map<String, String> env(String... extra) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("PATH", "/usr/local/bin:/usr/bin:/bin",
                "JAVA_HOME", Distribution.JAVA_HOME.toString()));
        for (int i = 0; i < extra.length; i += 2) {
            if (extra[i + 1] == null) {
                env.remove(extra[i]);
            } else {
                env.put(extra[i], extra[i + 1]);
            }
        }
        return env;
    }

    @Test
    void layoutAndModes() throws Exception {
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dist.launcher())));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dist.home.resolve("conf/environ-guard.properties"))));
        assertTrue(Files.isRegularFile(dist.home.resolve("systemd/environ-guard.service")));
        assertTrue(Files.isRegularFile(dist.home.resolve("plugins/README.txt")));
        List<String> lib;
        try (Stream<Path> files = Files.list(dist.home.resolve("lib"))) {
            lib = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (String prefix : List.of("environ-guard-cli-", "environ-guard-api-", "environ-guard-linux-", "environ-guard-micrometer-",
                "micrometer-core-", "micrometer-registry-prometheus-", "jna-", "picocli-", "slf4j-simple-")) {
            assertTrue(lib.stream().anyMatch(n -> n.startsWith(prefix) && n.endsWith(".jar")), prefix + " missing from lib: " + lib);
        }
        assertFalse(lib.stream().anyMatch(n -> n.contains("junit") || n.contains("testkit") || n.contains("jackson")),
                "no test dependency ships: " + lib);
    }

    @Test
    void theLauncherRunsTheMonitor() throws Exception {
        Distribution.Result version = dist.launch(env(), LIMIT, "--version");
        assertEquals(0, version.status(), version.toString());
        assertEquals("environ-guard-cli " + VERSION, version.stdout().strip());
        Distribution.Result help = dist.launch(env(), LIMIT, "--help");
        assertEquals(0, help.status(), help.toString());
        assertTrue(help.stdout().contains("--metrics-address"), help.stdout());
    }

    @Test
    void theLauncherFindsJavaOnThePathWithoutJavaHome() throws Exception {
        Path bin = Files.createDirectory(tmp.resolve("path-bin"));
        Files.createSymbolicLink(bin.resolve("java"), Distribution.JAVA_HOME.resolve("bin/java"));
        Distribution.Result r = dist.launch(env("JAVA_HOME", null, "PATH", bin + ":/usr/bin:/bin"), LIMIT, "--version");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().startsWith("environ-guard-cli "), r.toString());
    }

    @Test
    void anOldJavaOrNoJavaIsAClearErrorAndStatus1() throws Exception {
        Path jdk11 = Files.createDirectories(tmp.resolve("jdk11/bin"));
        Path fake = jdk11.resolve("java");
        Files.writeString(fake, "#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path empty = Files.createDirectory(tmp.resolve("no-java-here"));

        Distribution.Result old = dist.launch(env("JAVA_HOME", jdk11.getParent().toString(), "PATH", empty.toString()), LIMIT, "--version");
        assertEquals(1, old.status(), old.toString());
        assertEquals("environ-guard: needs Java 17 or newer; found: " + fake + " (Java 11). Install a JDK 17+ or set"
                + " JAVA_HOME to one.", old.stderr().strip());

        Distribution.Result none = dist.launch(env("JAVA_HOME", null, "PATH", empty.toString()), LIMIT, "--version");
        assertEquals(1, none.status(), none.toString());
        assertTrue(none.stderr().contains("needs Java 17 or newer; found: no java"), none.toString());
        assertEquals("", none.stdout());

        // A JAVA_HOME that is too old is passed over for a Java 17+ on PATH.
        Path bin = Files.createDirectory(tmp.resolve("path-bin"));
        Files.createSymbolicLink(bin.resolve("java"), Distribution.JAVA_HOME.resolve("bin/java"));
        Distribution.Result fallback = dist.launch(env("JAVA_HOME", jdk11.getParent().toString(), "PATH", bin.toString()),
                LIMIT, "--version");
        assertEquals(0, fallback.status(), fallback.toString());
    }

    @Test
    void theLauncherWorksThroughASymlink() throws Exception {
        Path link = tmp.resolve("usr-local-bin-environ-guard");
        Files.createSymbolicLink(link, dist.launcher());
        Distribution.Result r = Distribution.run(List.of(link.toString(), "--version"), env(), LIMIT);
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stdout().startsWith("environ-guard-cli "), r.toString());
    }

    @Test
    void theConfFileIsReadUnlessAnotherIsNamed() throws Exception {
        Path conf = dist.home.resolve("conf/environ-guard.properties");
        Files.writeString(conf, Files.readString(conf) + "\nenvironguard.source=from-the-conf-file\n");
        Distribution.Result r = dist.launch(env(), LIMIT, "--duration", "1s");
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.stderr().contains("no source named from-the-conf-file"), r.toString());

        Path other = tmp.resolve("other.properties");
        Files.writeString(other, "environguard.source=from-the-other-file\n");
        Distribution.Result named = dist.launch(env("ENVIRONGUARD_CONFIG_FILE", other.toString()), LIMIT, "--duration", "1s");
        assertTrue(named.stderr().contains("no source named from-the-other-file"), named.toString());
        Distribution.Result option = dist.launch(env(), LIMIT, "--config", other.toString(), "--duration", "1s");
        assertTrue(option.stderr().contains("no source named from-the-other-file"), option.toString());
    }

    /** plugins/ is on the class path: a sink plugin dropped there is found by ServiceLoader. */
    @Test
    void aSinkPluginInPluginsIsFound() throws Exception {
        Map<String, String> env = env("ENVIRONGUARD_SINKS", "webhook", "ENVIRONGUARD_SINK_WEBHOOK_URL", "http://127.0.0.1:9/hook");
        Distribution.Result without = dist.launch(env, LIMIT, "--source", "procfs", "--duration", "1s");
        assertEquals(1, without.status(), without.toString());
        assertTrue(without.stderr().contains("no sink named webhook"), without.toString());

        Path jar = webhookJar();
        Files.copy(jar, dist.home.resolve("plugins").resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Distribution.Result with = dist.launch(env, LIMIT, "--source", "procfs", "--duration", "1s");
        assertEquals(0, with.status(), with.toString());
        assertTrue(with.stderr().contains("environ-guard: watching with source procfs"), with.toString());
    }

    /** Every key the code of lib/ (and of a plugin) knows is in conf/environ-guard.properties, and nothing else is. */
    @Test
    void theConfFileListsEveryKeyTheCodeKnows() throws Exception {
        Set<String> known = new TreeSet<>();
        Set<String> prefixes = new TreeSet<>();
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(dist.home.resolve("lib"))) {
            // Our jars; environ-guard-micrometer holds meter names (environguard.accesses...), not keys.
            files.filter(p -> p.getFileName().toString().startsWith("environ-guard-"))
                    .filter(p -> !p.getFileName().toString().startsWith("environ-guard-micrometer-"))
                    .forEach(jars::add);
        }
        jars.add(webhookJar());
        for (Path jar : jars) {
            for (String s : ClassConstants.stringsOf(jar)) {
                if (s.matches("environguard\\.[a-z0-9][a-z0-9.\\-]*[a-z0-9]")) {
                    known.add(s);
                } else if (s.matches("environguard\\.([a-z0-9][a-z0-9.\\-]*\\.)?")) {
                    prefixes.add(s);
                }
            }
        }
        assertTrue(known.size() > 40, "the scan found the keys: " + known);

        Set<String> documented = new TreeSet<>();
        Set<String> templates = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^#?(environguard\\.[^=\\s]+)=").matcher(
                Files.readString(dist.home.resolve("conf/environ-guard.properties"), StandardCharsets.UTF_8));
        while (m.find()) {
            String key = m.group(1);
            if (key.contains("<")) {
                templates.add(key.substring(0, key.indexOf('<')));
            } else {
                documented.add(key);
            }
        }
        Set<String> missing = new TreeSet<>(known);
        missing.removeAll(documented);
        missing.removeIf(k -> templates.stream().anyMatch(k::startsWith));
        assertEquals(Set.of(), missing, "keys the code knows that conf/environ-guard.properties does not list");
        Set<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(known);
        assertEquals(Set.of(), unknown, "keys conf/environ-guard.properties lists that no code reads");
        for (String t : templates) {
            assertTrue(prefixes.contains(t), "the template " + t + "<...> is a prefix the code reads: " + prefixes);
        }
    }

    @Test
    void theSystemdUnitIsHardenedAndVerifies() throws Exception {
        String unit = Files.readString(dist.home.resolve("systemd/environ-guard.service"), StandardCharsets.UTF_8);
        for (String line : List.of("ExecStart=/opt/environ-guard/bin/environ-guard ",
                "CapabilityBoundingSet=CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH\n", "NoNewPrivileges=yes\n",
                "ProtectSystem=strict\n", "LogsDirectory=environ-guard\n", "LogsDirectoryMode=0700\n", "UMask=0077\n",
                "Restart=on-failure\n", "Environment=ENVIRONGUARD_SINK_JSONL_PATH=/var/log/environ-guard/alerts.jsonl\n",
                "--metrics-address 127.0.0.1:9464")) {
            assertTrue(unit.contains(line), "the unit lacks " + line.strip());
        }
        Path tool = Path.of("/usr/bin/systemd-analyze");
        Assumptions.assumeTrue(Files.isExecutable(tool), "systemd-analyze is not installed: the unit is not verified here");
        // verify checks that ExecStart's program exists: point it at the unpacked launcher, change nothing else.
        Path copy = tmp.resolve("environ-guard.service");
        Files.writeString(copy, unit.replace("/opt/environ-guard/bin/environ-guard", dist.launcher().toString()));
        Distribution.Result r = Distribution.run(List.of(tool.toString(), "verify", copy.toString()), env(), LIMIT);
        assertEquals(0, r.status(), r.toString());
        assertFalse(r.stderr().contains("environ-guard.service:"), "no complaint about the unit: " + r);
    }

    /**
     * The webhook sink plugin's jar: Maven hands the reactor's jar after the package phase, its classes directory
     * before; a directory is packed into a jar here, as a plugin ships.
     */
    private Path webhookJar() throws Exception {
        Path location = Path.of(WebhookSinkProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isRegularFile(location)) {
            return location;
        }
        Path jar = tmp.resolve("environ-guard-webhook-sink.jar");
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(location)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(location.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /** String constants of every class in a jar, read from the class files' constant pools (no class is loaded). */
    static final class ClassConstants {
        private ClassConstants() {
        }

        static Set<String> stringsOf(Path jar) throws IOException {
            Set<String> out = new TreeSet<>();
            try (JarFile jf = new JarFile(jar.toFile())) {
                Enumeration<JarEntry> entries = jf.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (e.getName().endsWith(".class")) {
                        try (InputStream in = jf.getInputStream(e)) {
                            utf8Constants(new DataInputStream(in), out);
                        }
                    }
                }
            }
            return out;
        }

        /** The CONSTANT_Utf8 entries of one class file (JVMS 4.4). */
        private static void utf8Constants(DataInputStream in, Set<String> out) throws IOException {
            if (in.readInt() != 0xCAFEBABE) {
                return;
            }
            in.readUnsignedShort();
            in.readUnsignedShort();
            int count = in.readUnsignedShort();
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> out.add(in.readUTF());
                    case 3, 4 -> in.skipBytes(4);
                    case 5, 6 -> {
                        in.skipBytes(8);
                        i++;
                    }
                    case 7, 8, 16, 19, 20 -> in.skipBytes(2);
                    case 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
                    case 15 -> in.skipBytes(3);
                    default -> throw new IOException("unknown constant pool tag " + tag);
                }
            }
        }
    }
}
