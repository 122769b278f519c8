package io.environguard.linux.fanotify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The processes one test starts, each with a minimal environment (nothing of the test JVM's is copied into
 * a target's environ), all destroyed by {@link #close}. Tests touch no process they did not start.
 */
final class Children implements AutoCloseable {

    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private final List<Process> processes = new ArrayList<>();

    /** Starts {@code command} with stdin a pipe (kept open), stdout and stderr discarded. */
    Process start(String... command) {
        return start(ProcessBuilder.Redirect.DISCARD, command);
    }

    /** As {@link #start(String...)}, with stdout a pipe the test reads. */
    Process startPiped(String... command) {
        return start(ProcessBuilder.Redirect.PIPE, command);
    }

    private Process start(ProcessBuilder.Redirect out, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectOutput(out)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("ENVIRONGUARD_TEST_VARIABLE", "not-a-secret");
        try {
            Process p = pb.start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + List.of(command), e);
        }
    }

    /** A {@code sleep} that lives until closed. */
    Process sleeper() {
        return start("sleep", "300");
    }

    /** A python3 process with two extra threads; returns once all three tasks exist. */
    Process threaded() {
        Process p = start(PYTHON, "-c", "import sys, threading\n"
                + "stop = threading.Event()\n"
                + "for _ in range(2):\n"
                + "    threading.Thread(target=stop.wait, daemon=True).start()\n"
                + "sys.stdin.read()\n");
        await("three tasks in " + p.pid(), () -> tasks(p.pid()).size() >= 3, Duration.ofSeconds(20));
        return p;
    }

    /** Runs {@code command} to completion (bounded) and returns its exit code. */
    int run(Duration timeout, String... command) {
        Process p = start(command);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(List.of(command) + " did not finish within " + timeout);
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The thread ids of process {@code pid}. */
    static List<Integer> tasks(long pid) {
        try (var dirs = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return dirs.map(d -> Integer.parseInt(d.getFileName().toString())).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The children of {@code pid} (its main thread's), from {@code /proc/P/task/P/children}. */
    static List<Integer> childrenOf(long pid) {
        try {
            String text = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children"), StandardCharsets.US_ASCII).trim();
            return text.isEmpty() ? List.of() : java.util.Arrays.stream(text.split("\\s+")).map(Integer::parseInt).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static String exeOf(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString();
        } catch (IOException e) {
            return null;
        }
    }

    static void await(String what, java.util.function.BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** Ends a process started here and waits (bounded) until it is reaped. */
    static void stop(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            stop(p);
        }
    }
}
