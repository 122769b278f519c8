package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.environguard.samples.webhook.WebhookSinkProvider;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * (finding Java, symlinks, the conf file, plugins/), the bundled sinks (sinks/kafka, sinks/otel, off until linked into
 * plugins/), the configuration file's list of keys, and the systemd unit.
 * Needs no root: where the monitor runs, it runs the procfs polling source.
 */
class DistributionTest {

    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final String VERSION = System.getProperty("project.version", "");
    /** The sink plugins the distribution bundles, each in sinks/NAME. */
    private static final List<String> BUNDLED_SINKS = List.of("kafka", "otel");

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
        assertFalse(lib.stream().anyMatch(n -> n.startsWith("environ-guard-sink-") || n.startsWith("kafka-")
                || n.startsWith("opentelemetry-")), "the bundled sinks are not in lib/ (not on the default class path): " + lib);
        assertTrue(Files.isRegularFile(dist.home.resolve("sinks/README.txt")));
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

    /**
     * The run subcommand's class data sharing archive: the first run writes it under its JVM's pid, the next renames it
     * and maps it; a damaged archive, a directory others may write, a place where none can be made, and
     * ENVIRON_GUARD_CDS=off each still run the command and keep its exit status, printing nothing about CDS; on a CI
     * runner (CI set) an archive is written only into ENVIRON_GUARD_CDS_DIR.
     */
    @Test
    void theRunArchiveIsWrittenThenUsedAndNeverStopsTheCommand() throws Exception {
        Path cds = tmp.resolve("cache/environ-guard");
        Map<String, String> env = env("ENVIRON_GUARD_CDS_DIR", cds.toString());

        assertRun(env, 3);
        List<String> written = archives(cds);
        assertEquals(1, written.size(), written.toString());
        assertTrue(written.get(0).matches("run-[0-9]+-[0-9]+\\.[0-9]+\\.jsa"), "written under the JVM's pid: " + written);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cds)));

        assertRun(env, 4);
        List<String> renamed = archives(cds);
        assertEquals(1, renamed.size(), renamed.toString());
        assertTrue(renamed.get(0).matches("run-[0-9]+-[0-9]+\\.jsa"), "renamed for use once its JVM is gone: " + renamed);
        assertEquals(written.get(0).replaceFirst("\\.[0-9]+\\.jsa$", ".jsa"), renamed.get(0));

        Path archive = cds.resolve(renamed.get(0));
        Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rw-------"));
        Files.write(archive, "not an archive".repeat(1000).getBytes(StandardCharsets.US_ASCII));
        assertRun(env, 5);

        Path shared = Files.createDirectories(tmp.resolve("shared-cache"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertRun(env("ENVIRON_GUARD_CDS_DIR", shared.toString()), 6);
        assertEquals(List.of(), archives(shared), "no archive in a directory others may write");

        Path off = tmp.resolve("off-cache");
        assertRun(env("ENVIRON_GUARD_CDS_DIR", off.toString(), "ENVIRON_GUARD_CDS", "off"), 7);
        assertFalse(Files.exists(off), "ENVIRON_GUARD_CDS=off makes no archive directory");

        Path aFile = Files.writeString(tmp.resolve("a-file"), "");
        assertRun(env("ENVIRON_GUARD_CDS_DIR", aFile.resolve("cannot-be-made").toString()), 8);
        assertRun(env("ENVIRON_GUARD_CDS_DIR", null, "XDG_CACHE_HOME", null, "HOME", null), 9);

        Path runnerCache = tmp.resolve("runner-cache");
        assertRun(env("ENVIRON_GUARD_CDS_DIR", null, "XDG_CACHE_HOME", runnerCache.toString(), "CI", "true"), 10);
        assertEquals(List.of(), archives(runnerCache.resolve("environ-guard")),
                "on a CI runner no archive is written where the job was not told to cache one");
        assertRun(env("ENVIRON_GUARD_CDS_DIR", null, "XDG_CACHE_HOME", runnerCache.toString(), "CI", null), 11);
        assertEquals(1, archives(runnerCache.resolve("environ-guard")).size(), "off a CI runner the default place is used");
    }

    /** {@code run --source procfs -- sh -c 'exit STATUS'}: keeps the status and prints nothing about CDS. */
    private void assertRun(Map<String, String> env, int status) throws Exception {
        Distribution.Result r = dist.launch(env, LIMIT, "run", "--source", "procfs", "--settle", "100ms", "--", "sh", "-c",
                "exit " + status);
        assertEquals(status, r.status(), r.toString());
        assertFalse(r.stderr().contains("[cds") || r.stderr().contains("[warning]") || r.stderr().contains("shared archive")
                || r.stderr().contains("Sharing") || r.stderr().contains("unknown configuration key"), r.toString());
    }

    private static List<String> archives(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsa")).sorted().toList();
        }
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

    /**
     * sinks/kafka and sinks/otel each hold the plugin's jar and exactly its runtime jars (those its module copies to
     * target/lib) less the jars lib/ holds; no artifact is in two of lib/, sinks/kafka and sinks/otel, whatever the
     * version, so that linking both gives one class path without duplicates.
     */
    @Test
    void eachBundledSinkHoldsItsRuntimeJarsLessThoseOfLib() throws Exception {
        Set<String> lib = jarNames(dist.home.resolve("lib"));
        for (String sink : BUNDLED_SINKS) {
            Path moduleLib = Path.of(System.getProperty("sink." + sink + ".lib", "missing")).toAbsolutePath();
            assertTrue(Files.isDirectory(moduleLib), moduleLib + ": the sink module's runtime jars, copied in its package"
                    + " phase; build through the reactor (-pl samples/cli -am)");
            Set<String> expected = new TreeSet<>(jarNames(moduleLib));
            assertFalse(expected.isEmpty(), moduleLib + " is empty");
            expected.removeAll(lib);
            expected.add("environ-guard-sink-" + sink + "-" + VERSION + ".jar");
            assertEquals(expected, jarNames(dist.home.resolve("sinks").resolve(sink)), "sinks/" + sink);
        }
        Map<String, List<String>> places = new TreeMap<>();
        List<String> dirs = new ArrayList<>(List.of("lib"));
        BUNDLED_SINKS.forEach(sink -> dirs.add("sinks/" + sink));
        for (String dir : dirs) {
            for (String jar : jarNames(dist.home.resolve(dir))) {
                places.computeIfAbsent(artifactId(jar), a -> new ArrayList<>()).add(dir + "/" + jar);
            }
        }
        places.values().removeIf(where -> where.size() == 1);
        assertEquals(Map.of(), places, "artifacts shipped in more than one directory");
    }

    /**
     * Off by default, the Kafka sink is unknown to the monitor; linked into plugins/ as README and plugins/README.txt
     * say, the monitor lists its keys, starts it, and its producer connects to the bootstrap address: a loopback
     * socket of this test's, which accepts and closes.
     */
    @Test
    void theBundledKafkaSinkRunsOnceLinkedIntoPlugins() throws Exception {
        try (ServerSocket broker = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Map<String, String> env = env("ENVIRONGUARD_SINK_KAFKA_BOOTSTRAP_SERVERS",
                    broker.getInetAddress().getHostAddress() + ":" + broker.getLocalPort());
            assertUnknownUntilLinked("kafka", env, "environguard.sink.kafka.topic");

            link("kafka");
            Distribution.Result keys = dist.launch(env, LIMIT, "--list-keys");
            assertEquals(0, keys.status(), keys.toString());
            for (String key : List.of("environguard.sink.kafka.bootstrap.servers", "environguard.sink.kafka.topic",
                    "environguard.sink.kafka.producer.")) {
                assertTrue(keys.stdout().contains(key + " "), key + " missing from --list-keys:\n" + keys.stdout());
            }
            broker.setSoTimeout((int) LIMIT.toMillis());
            CompletableFuture<Boolean> connected = CompletableFuture.supplyAsync(() -> {
                try (Socket producer = broker.accept()) {
                    return true;
                } catch (IOException e) {
                    return false;           // closed by the try-with-resources above, or no connection within LIMIT
                }
            });
            Distribution.Result on = dist.launch(env, LIMIT, "--source", "procfs", "--sink", "kafka", "--duration", "5s");
            assertStartedAndCounted("kafka", on);
            assertTrue(completed(connected), "the Kafka producer of the bundled sink connected to " + broker + "; " + on);
        }
    }

    /**
     * Off by default, the OpenTelemetry sink is unknown to the monitor; linked into plugins/, the monitor lists its keys
     * and starts it with an SDK of its own, which needs autoconfigure and the OTLP exporter from sinks/otel (without
     * them, the sink could not be created and would be missing from the final counters). The endpoint is a loopback
     * HTTP server of this test's answering 200, for alerts of other processes that the monitor may see meanwhile.
     */
    @Test
    void theBundledOtelSinkRunsOnceLinkedIntoPlugins() throws Exception {
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            Map<String, String> env = env("ENVIRONGUARD_SINK_OTEL_INSTANCE", "own",
                    "ENVIRONGUARD_SINK_OTEL_EXPORTER_OTLP_ENDPOINT", "http://" + collector.getAddress().getAddress().getHostAddress()
                            + ":" + collector.getAddress().getPort());
            assertUnknownUntilLinked("otel", env, "environguard.sink.otel.flush.timeout");

            link("otel");
            Distribution.Result keys = dist.launch(env, LIMIT, "--list-keys");
            assertEquals(0, keys.status(), keys.toString());
            for (String key : List.of("environguard.sink.otel.instance", "environguard.sink.otel.flush.timeout",
                    "environguard.sink.otel.")) {
                assertTrue(keys.stdout().contains(key + " "), key + " missing from --list-keys:\n" + keys.stdout());
            }
            Distribution.Result on = dist.launch(env, LIMIT, "--source", "procfs", "--sink", "otel", "--duration", "2s");
            assertStartedAndCounted("otel", on);
        } finally {
            collector.stop(0);
        }
    }

    /** A link in plugins/ to nothing (a misspelt sink) is named on stderr; the monitor still runs. */
    @Test
    void theLauncherNamesALinkToNothingInPlugins() throws Exception {
        Files.createSymbolicLink(dist.home.resolve("plugins/kafak"), Path.of("../sinks/kafak"));
        Distribution.Result r = dist.launch(env(), LIMIT, "--version");
        assertEquals(0, r.status(), r.toString());
        assertEquals("environ-guard: " + dist.home.resolve("plugins/kafak") + " is a link to nothing (../sinks/kafak); ignored",
                r.stderr().strip());
    }

    /**
     * Before its link: {@code key} (one the sink declares, and not set: --list-keys lists a key that is set even when no
     * code knows it) is not in --list-keys, and --sink NAME stops the monitor with status 1.
     */
    private void assertUnknownUntilLinked(String sink, Map<String, String> env, String key) throws Exception {
        Distribution.Result keys = dist.launch(env(), LIMIT, "--list-keys");
        assertEquals(0, keys.status(), keys.toString());
        assertFalse(keys.stdout().contains(key + " "), key + " is listed before the bundle is linked:\n" + keys.stdout());
        Distribution.Result off = dist.launch(env, LIMIT, "--source", "procfs", "--sink", sink, "--duration", "1s");
        assertEquals(1, off.status(), off.toString());
        assertTrue(off.stderr().contains("environ-guard: cannot watch: no sink named " + sink + " (environguard.sinks)"),
                off.toString());
    }

    /** The monitor watched, stopped at the end of --duration, and its final counters name the sink: it was created. */
    private static void assertStartedAndCounted(String sink, Distribution.Result r) {
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.stderr().contains("environ-guard: watching with source procfs"), r.toString());
        assertFalse(r.stderr().contains("could not be created"), r.toString());
        assertTrue(r.stderr().lines().anyMatch(l -> l.startsWith("environ-guard: stopped (end of --duration)")
                && l.contains("; sink " + sink + ": ")), "the final counters name sink " + sink + ": " + r);
    }

    /** Turns a bundled sink on as the README says: ln -s ../sinks/NAME plugins/NAME. */
    private void link(String sink) throws IOException {
        Files.createSymbolicLink(dist.home.resolve("plugins").resolve(sink), Path.of("../sinks").resolve(sink));
    }

    private static boolean completed(CompletableFuture<Boolean> connected) throws Exception {
        try {
            return connected.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return false;
        }
    }

    private static Set<String> jarNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar"))
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    /** kafka-clients of kafka-clients-4.3.1.jar, zstd-jni of zstd-jni-1.5.6-10.jar: the name before the version. */
    static String artifactId(String jar) {
        Matcher m = Pattern.compile("(.+?)-\\d.*\\.jar").matcher(jar);
        return m.matches() ? m.group(1) : jar;
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
        // The bundled sinks' jars hold record header and attribute names under environguard. that are not keys (as the
        // micrometer jar holds meter names): their keys are what their providers declare, which --list-keys prints.
        BUNDLED_SINKS.forEach(sink -> {
            try {
                link(sink);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Distribution.Result declared = dist.launch(env(), LIMIT, "--list-keys");
        assertEquals(0, declared.status(), declared.toString());
        Matcher listed = Pattern.compile("(?m)^(environguard\\.sink\\.(?:" + String.join("|", BUNDLED_SINKS)
                + ")\\.\\S*)\\s").matcher(declared.stdout());
        while (listed.find()) {
            String key = listed.group(1);
            (key.endsWith(".") ? prefixes : known).add(key);
        }
        for (String sink : BUNDLED_SINKS) {
            assertTrue(known.stream().anyMatch(k -> k.startsWith("environguard.sink." + sink + ".")),
                    "--list-keys lists the keys of the bundled sink " + sink + ":\n" + declared.stdout());
        }
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
