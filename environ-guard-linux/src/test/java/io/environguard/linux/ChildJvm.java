package io.environguard.linux;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM a kernel test starts and talks to by lines: commands on its stdin, answers on its stdout.
 * Its classpath is a world-readable copy (Maven's repository under {@code /root} is mode 700), so it may run
 * as an ordinary user through {@code setpriv} (a fresh exec: its {@code /proc/self} is its own, and it is
 * dumpable). Its environment is exactly what the test gives it. {@link #close} ends it and deletes the copy.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(ProbeMain.class, true, Map.of("X", "value"), List.of(Foo.class))) {
 *     child.send("scrub X");
 *     String answer = child.expect("scrubbed", Duration.ofSeconds(20));
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {

    /** setpriv to the nobody user and group, no supplementary groups. */
    public static final List<String> AS_NOBODY =
            List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups");

    private final Path dir;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ChildJvm(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    seen.add(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child ended
            }
        }, "child-jvm-stdout");
        pump.setDaemon(true);
        pump.start();
    }

    /**
     * Starts {@code main} in a new JVM.
     *
     * @param asNobody    run through {@link #AS_NOBODY}
     * @param environment the child's whole environment (PATH is added)
     * @param classpathOf classes whose code sources make up the classpath (main's is added)
     */
    public static ChildJvm start(Class<?> main, boolean asNobody, Map<String, String> environment,
                                 List<Class<?>> classpathOf, String... args) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "eg-child",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            Set<Path> sources = new LinkedHashSet<>();
            sources.add(codeSource(main));
            for (Class<?> c : classpathOf) {
                sources.add(codeSource(c));
            }
            List<String> classpath = new ArrayList<>();
            int i = 0;
            for (Path source : sources) {
                classpath.add(copyReadable(source, dir.resolve("cp" + i++)).toString());
            }
            Path tmp = Files.createDirectory(dir.resolve("tmp"));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
            String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
            List<String> command = new ArrayList<>();
            if (asNobody) {
                command.addAll(AS_NOBODY);
            }
            command.addAll(List.of(java, "-Xshare:off", "-XX:TieredStopAtLevel=1", "-Djna.tmpdir=" + tmp,
                    "-Djava.io.tmpdir=" + tmp, "-cp", String.join(":", classpath), main.getName()));
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().put("HOME", tmp.toString());
            pb.environment().putAll(environment);
            return new ChildJvm(dir, pb.start());
        } catch (IOException | RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** Sends one line to the child's stdin. */
    public void send(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** The next line that starts with {@code prefix}, waiting up to {@code timeout}; lines before it are skipped. */
    public String expect(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("child " + pid() + " said no line starting with '" + prefix + "' within "
                        + timeout + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")")
                        + "; it said: " + seen);
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** The first line said so far or within {@code timeout} that matches; lines are not consumed. */
    public String awaitSaid(String what, java.util.function.Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : seen) {
                if (match.test(line)) {
                    return line;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("child " + pid() + " said nothing " + what + " within " + timeout
                        + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")") + "; it said: " + seen);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    /** Every line the child has said so far. */
    public List<String> said() {
        return List.copyOf(seen);
    }

    @Override
    public void close() throws IOException {
        try {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
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
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** How long tests wait for a child's answer. */
    public static final Duration WAIT = Duration.ofSeconds(30);
}
