package io.environguard.benchmarks.fanotify;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child process of the harness, spoken to line by line: commands on its stdin, answers read from its stdout
 * by a pump thread, stderr appended to a log file. Closing it closes its stdin (every harness program exits
 * on end of input), waits a little, and then kills it; it never signals anything but this one child.
 *
 * <pre>{@code
 * try (LineProcess p = LineProcess.start("reflistener", List.of(bin + "/reflistener"), log)) {
 *     p.await("ready", Duration.ofSeconds(10));
 *     String stats = p.request("stats", "stats ");
 * }
 * }</pre>
 */
final class LineProcess implements AutoCloseable {

    /** How long an answer to a command may take; the harness is bounded in time. */
    static final Duration ANSWER = Duration.ofSeconds(30);
    private static final String EOF = "\u0000eof";

    private final String name;
    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private LineProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = process.getOutputStream();
        Thread pump = new Thread(this::pump, "pump " + name);
        pump.setDaemon(true);
        pump.start();
    }

    static LineProcess start(String name, List<String> command, Path stderrLog) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderrLog.toFile()));
        try {
            return new LineProcess(name, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + ")", e);
        }
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            // The process died; EOF below tells the waiting side.
        }
        lines.add(EOF);
    }

    long pid() {
        return process.pid();
    }

    String name() {
        return name;
    }

    void send(String command) {
        try {
            stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(name + " no longer takes commands (" + exitDescription() + ")", e);
        }
    }

    /** Sends {@code command} and returns its one-line answer, which must start with {@code answerPrefix}. */
    String request(String command, String answerPrefix) {
        send(command);
        return await(answerPrefix, ANSWER);
    }

    /**
     * The next line, which must start with {@code prefix}.
     *
     * @throws IllegalStateException if another line comes first, the process ends, or the time runs out
     */
    String await(String prefix, Duration timeout) {
        String line = next(timeout);
        if (!line.startsWith(prefix)) {
            throw new IllegalStateException(name + " answered \"" + line + "\" where \"" + prefix + "...\" was expected");
        }
        return line;
    }

    /** Every line up to (not including) the first that equals {@code terminator}. */
    List<String> linesUntil(String terminator, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> out = new ArrayList<>();
        while (true) {
            String line = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (line.equals(terminator)) {
                return out;
            }
            out.add(line);
        }
    }

    private String next(Duration timeout) {
        String line;
        try {
            line = lines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
        if (line == null) {
            throw new IllegalStateException(name + " said nothing within " + timeout.toMillis() + " ms");
        }
        if (line.equals(EOF)) {
            lines.add(EOF);
            throw new IllegalStateException(name + " ended (" + exitDescription() + "); see the harness log");
        }
        return line;
    }

    /** Waits for the process to exit by itself and returns its status. */
    int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " did not exit within " + timeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
        return process.exitValue();
    }

    private String exitDescription() {
        return process.isAlive() ? "still running" : "exit status " + process.exitValue();
    }

    /** Ends input, gives the process 5 s to exit, then kills it (SIGKILL ends a stopped process too). */
    @Override
    public void close() {
        try {
            stdin.close();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
