package io.environguard.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Assumptions;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The extension in a real Maven build: a tiny project, built in a temporary directory, offline, with the extension in
 * its {@code .mvn/extensions.xml}, run by {@code mvn} from a shell this test starts (the "runner" whose environ the
 * project's test reads, with {@code -Dread=true}). As root (the host source) and as nobody through {@code setpriv}
 * (the targeted source on the Maven JVM and that shell).
 *
 * <p>How the extension gets to Maven without {@code mvn install} (the shared {@code ~/.m2} must not receive this
 * build's snapshots): the test lays out a local repository of its own in the temporary directory, with the
 * extension's jar and pom and those of the environ-guard modules it depends on, taken from this reactor. Everything
 * else (plugins, JUnit, JNA) is read from {@code ~/.m2} as a {@code file://} mirror, so that it is copied into the
 * temporary repository and {@code ~/.m2} is only read: Maven runs offline ({@code -o}) with
 * {@code -Daether.offline.protocols=file}. The root runs fill the repository; the nobody runs use it as it is (nobody
 * cannot read {@code /root}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MavenExtensionKernelTest {

    private static final String VERSION = System.getProperty("it.version", "0.1.0-SNAPSHOT");
    private static final Path MAVEN_HOME = Path.of(System.getProperty("it.maven.home", "/usr/share/maven"));
    private static final Path M2 = Path.of(System.getProperty("user.home"), ".m2", "repository");
    private static final Duration BUILD = Duration.ofMinutes(5);
    private static final List<String> AS_NOBODY = List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups");

    private static Path work;

    @BeforeAll
    static void layOut() throws Exception {
        require(isRoot(), "root (CAP_SYS_ADMIN for the host source; setpriv to nobody)");
        require(Files.isDirectory(Path.of("/proc/sys/fs/fanotify")), "a kernel with fanotify");
        require(Files.isExecutable(MAVEN_HOME.resolve("bin/mvn")), "Maven at " + MAVEN_HOME + " (it.maven.home)");
        require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "/usr/bin/setpriv (util-linux)");
        Path jar = Path.of(System.getProperty("it.extension.jar", "target/environ-guard-maven-extension-" + VERSION + ".jar"));
        assertTrue(Files.isRegularFile(jar), "the extension's jar " + jar + " is built in the package phase");

        work = Files.createTempDirectory(Path.of("/tmp"), "eg-maven-it-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path repo = Files.createDirectories(work.resolve("repo"));
        Path basedir = Path.of(System.getProperty("it.basedir", ".")).toAbsolutePath();
        Path integrations = basedir.getParent();
        Path root = integrations.getParent();
        install(repo, "environ-guard-parent", root.resolve("pom.xml"), null);
        install(repo, "environ-guard-integrations", integrations.resolve("pom.xml"), null);
        install(repo, "environ-guard-maven-extension", basedir.resolve("pom.xml"), jar);
        for (String module : List.of("environ-guard-ci", "environ-guard-api", "environ-guard-linux")) {
            Path entry = classpathEntry(module);
            Path moduleDir = entry.getParent().getParent(); // <module>/target/<jar or classes>
            install(repo, module, moduleDir.resolve("pom.xml"), Files.isDirectory(entry) ? jarOf(entry, work.resolve(module + ".jar")) : entry);
        }
        Files.writeString(work.resolve("settings.xml"), "<settings><mirrors><mirror><id>local-m2</id><mirrorOf>*</mirrorOf>"
                + "<url>" + M2.toUri() + "</url></mirror></mirrors></settings>\n", StandardCharsets.UTF_8);
        Files.createDirectories(work.resolve("home"));
        Files.createDirectories(work.resolve("tmp"));
        copyProject(work.resolve("project"));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (work != null) {
            deleteTree(work);
        }
    }

    @Test
    @Order(1)
    void asRootABuildWhoseTestReadsTheEnvironOfTheProcessThatStartedMavenFails() throws Exception {
        Build build = Build.run(false, true);
        assertEquals(1, build.status, build.output);
        assertTrue(build.output.contains("environ-guard: guarding this build (mode host, source fanotify)"), build.output);
        long target = Long.parseLong(Files.readString(work.resolve("project/target/read-target")).trim());
        assertEquals(build.shell, target, "the test read the environ of our shell, Maven's parent");
        assertTrue(build.output.contains("[ERROR] environ-guard: finding 1 of "), build.output);
        assertTrue(build.output.contains("/proc/" + target + "/environ"), build.output);
        assertTrue(build.output.contains("lineage:"), build.output);
        assertTrue(build.output.contains("a process above this build"), build.output);
        assertJUnit(build, target);
        assertTrue(Files.readString(work.resolve("project/target/environ-guard/findings.jsonl")).contains(
                "\"path\":\"/proc/" + target + "/environ\""));
    }

    @Test
    @Order(2)
    void asRootTheSameBuildWithoutTheReadPasses() throws Exception {
        Build build = Build.run(false, false);
        assertEquals(0, build.status, build.output);
        assertTrue(build.output.contains("environ-guard: no process of this build read another process's environ or mem"),
                build.output);
        assertPassingJUnit();
    }

    @Test
    @Order(3)
    void asNobodyABuildWhoseTestReadsTheEnvironOfTheProcessThatStartedMavenFails() throws Exception {
        openToNobody();
        Build build = Build.run(true, true);
        assertEquals(1, build.status, build.output);
        assertTrue(build.output.contains("environ-guard: guarding this build (mode ancestors, source targeted)"), build.output);
        long target = Long.parseLong(Files.readString(work.resolve("project/target/read-target")).trim());
        assertEquals(build.shell, target);
        assertTrue(build.output.contains("[ERROR] environ-guard: finding 1 of "), build.output);
        assertTrue(build.output.contains("/proc/" + target + "/environ"), build.output);
        assertTrue(build.output.contains("by a reader not placed"), build.output);
        assertJUnit(build, target);
    }

    @Test
    @Order(4)
    void asNobodyTheSameBuildWithoutTheReadPasses() throws Exception {
        openToNobody();
        // Without root the kernel hides every reader, so a process outside this test that reads every environ on the
        // machine (KERNEL-FACTS: there is one) fails an unprivileged run, by design. Such a run is tried again, at
        // most twice, when every finding is a read by an unnamed reader that no process of the build held.
        Build build = Build.run(true, false);
        for (int retry = 0; retry < 2 && build.status != 0 && onlyUnplacedReaders(build.output); retry++) {
            build = Build.run(true, false);
        }
        assertEquals(0, build.status, build.output);
        assertTrue(build.output.contains("environ-guard: guarding this build (mode ancestors, source targeted)"), build.output);
        assertPassingJUnit();
    }

    /** Every finding was by a reader the kernel hid and that no process of the build held the file open as. */
    static boolean onlyUnplacedReaders(String output) {
        int findings = 0;
        int unplaced = 0;
        for (String line : output.split("\n")) {
            if (line.matches(".*environ-guard: finding [0-9]+ of [0-9]+ .*")) {
                findings++;
            }
            if (line.contains("environ-guard:   possible: no process of this build held the file open")) {
                unplaced++;
            }
        }
        return findings > 0 && findings == unplaced;
    }

    /** One failed test case per finding, one of them the read of our shell's environ. */
    private static void assertJUnit(Build build, long target) throws Exception {
        Element suite = junit();
        NodeList failures = suite.getElementsByTagName("failure");
        assertTrue(failures.getLength() >= 1, build.output);
        assertEquals(Integer.toString(failures.getLength()), suite.getAttribute("failures"));
        assertEquals(failures.getLength(), suite.getElementsByTagName("testcase").getLength());
        boolean found = false;
        for (int i = 0; i < failures.getLength(); i++) {
            found |= failures.item(i).getTextContent().contains("/proc/" + target + "/environ");
        }
        assertTrue(found, "a failure names /proc/" + target + "/environ");
        int reported = 0;
        for (String line : build.output.split("\n")) {
            if (line.matches(".*environ-guard: finding [0-9]+ of [0-9]+ .*")) {
                reported++;
            }
        }
        assertEquals(failures.getLength(), reported, "one failure per finding reported");
    }

    private static void assertPassingJUnit() throws Exception {
        Element suite = junit();
        assertEquals("0", suite.getAttribute("failures"));
        assertEquals("1", suite.getAttribute("tests"));
    }

    private static Element junit() throws Exception {
        Path xml = work.resolve("project/target/environ-guard/TEST-environ-guard.xml");
        assertTrue(Files.isRegularFile(xml), xml + " was written");
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getDocumentElement();
    }

    /** One run of {@code mvn test} on the tiny project, from a shell of ours: that shell is Maven's parent. */
    private static final class Build {
        final int status;
        final String output;
        final long shell;

        private Build(int status, String output, long shell) {
            this.status = status;
            this.output = output;
            this.shell = shell;
        }

        static Build run(boolean asNobody, boolean read) throws Exception {
            deleteTree(work.resolve("project/target"));
            List<String> command = new ArrayList<>();
            if (asNobody) {
                command.addAll(AS_NOBODY);
            }
            // not "exec": the shell stays, as a CI runner's step shell does, and is the Maven JVM's parent
            command.addAll(List.of("/bin/sh", "-c", "\"$0\" \"$@\"; exit $?", MAVEN_HOME.resolve("bin/mvn").toString(),
                    "-B", "-o", "-ntp", "-s", work.resolve("settings.xml").toString(),
                    "-Dmaven.repo.local=" + work.resolve("repo"), "-Daether.offline.protocols=file",
                    "-Dread=" + read, "test"));
            ProcessBuilder pb = new ProcessBuilder(command).directory(work.resolve("project").toFile()).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.clear();
            env.put("PATH", "/usr/bin:/bin");
            env.put("HOME", work.resolve("home").toString());
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("MAVEN_SKIP_RC", "true");
            // this machine is shared: the host source may place ignore marks only on files of this test's processes
            env.put("MAVEN_OPTS", "-Denvironguard.source.fanotify.ignore-marks-within=" + ProcessHandle.current().pid()
                    + " -Djna.tmpdir=" + work.resolve("tmp") + " -Djava.io.tmpdir=" + work.resolve("tmp"));
            Process p = pb.start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes(); // ends when Maven and everything it started have closed the pipe
            } finally {
                if (!p.waitFor(BUILD.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    fail("mvn did not finish within " + BUILD);
                }
            }
            return new Build(p.exitValue(), new String(out, StandardCharsets.UTF_8), p.pid());
        }
    }

    private static void openToNobody() throws IOException {
        deleteTree(work.resolve("project/target"));
        try (Stream<Path> all = Files.walk(work)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxrwxrwx" : "rw-rw-rw-"));
            }
        }
    }

    /** Puts {@code artifactId}'s pom (and jar) where a local repository has them; no tracking file: "installed". */
    private static void install(Path repo, String artifactId, Path pom, Path jar) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("io/environguard").resolve(artifactId).resolve(VERSION));
        Files.copy(pom, dir.resolve(artifactId + "-" + VERSION + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            Files.copy(jar, dir.resolve(artifactId + "-" + VERSION + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The jar (or classes directory) of an environ-guard module on this test's class path. */
    private static Path classpathEntry(String module) {
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            if (name.equals(module + "-" + VERSION + ".jar")
                    || (name.equals("classes") && p.getParent() != null && p.getParent().getParent() != null
                    && p.getParent().getParent().getFileName().toString().equals(module))) {
                return p.toAbsolutePath();
            }
        }
        throw new AssertionError(module + " is not on the test class path");
    }

    private static Path jarOf(Path classes, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString()));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    private static void copyProject(Path target) throws IOException {
        Path source = Path.of(System.getProperty("it.basedir", ".")).resolve("src/test/resources/tiny-project");
        Map<String, String> versions = Map.of(
                "@junit.version@", System.getProperty("it.junit.version"),
                "@resources.version@", System.getProperty("it.resources.version"),
                "@compiler.version@", System.getProperty("it.compiler.version"),
                "@surefire.version@", System.getProperty("it.surefire.version"));
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(source.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    String text = Files.readString(f, StandardCharsets.UTF_8);
                    for (Map.Entry<String, String> v : versions.entrySet()) {
                        text = text.replace(v.getKey(), v.getValue());
                    }
                    Files.writeString(to, text, StandardCharsets.UTF_8);
                }
            }
        }
        Files.createDirectories(target.resolve(".mvn"));
        Files.writeString(target.resolve(".mvn/extensions.xml"), "<extensions>\n  <extension>\n"
                + "    <groupId>io.environguard</groupId>\n    <artifactId>environ-guard-maven-extension</artifactId>\n"
                + "    <version>" + VERSION + "</version>\n  </extension>\n</extensions>\n", StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void require(boolean met, String what) {
        if (met) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("CI=true, so this kernel test must run, but it lacks " + what);
        }
        Assumptions.abort("skipped: needs " + what + " (on CI, with CI=true, this fails instead)");
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    return f.length > 1 && f[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
