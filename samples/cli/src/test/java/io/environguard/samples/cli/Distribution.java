package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The distribution archive, unpacked into a directory of the test's, and its launcher run as a user runs it. Every
 * process is started here and waited for with a bound (killed past it).
 */
final class Distribution {

    static final Path ARCHIVE = Path.of(System.getProperty("cli.dist", "target/environ-guard-dist.tar.gz")).toAbsolutePath();
    /** The JDK running the tests (17+): what the launcher is pointed at. */
    static final Path JAVA_HOME = Path.of(System.getProperty("java.home"));

    final Path home;

    private Distribution(Path home) {
        this.home = home;
    }

    /** Unpacks the archive under {@code dir}; its top directory is {@code environ-guard}. */
    static Distribution unpack(Path dir) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(ARCHIVE), "the distribution " + ARCHIVE + " does not exist; it is built in the package phase");
        Result r = run(List.of("tar", "-xzf", ARCHIVE.toString(), "-C", dir.toString()), Map.of(), Duration.ofSeconds(60));
        assertEquals(0, r.status(), r.toString());
        return new Distribution(dir.resolve("environ-guard"));
    }

    Path launcher() {
        return home.resolve("bin/environ-guard");
    }

    /** Runs the launcher with {@code args} under {@code env} (the whole environment: PATH included only if given). */
    Result launch(Map<String, String> env, Duration limit, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(launcher().toString());
        command.addAll(List.of(args));
        return run(command, env, limit);
    }

    /** What a command did. */
    record Result(int status, String stdout, String stderr) {
        @Override
        public String toString() {
            return "status " + status + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /** Runs {@code command} with exactly {@code env}, waits at most {@code limit}, then kills it. */
    static Result run(List<String> command, Map<String, String> env, Duration limit) throws IOException, InterruptedException {
        Path out = Files.createTempFile("eg-dist-out", ".txt");
        Path err = Files.createTempFile("eg-dist-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            try {
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(command + " did not end within " + limit + "; stderr:\n"
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
            } finally {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
