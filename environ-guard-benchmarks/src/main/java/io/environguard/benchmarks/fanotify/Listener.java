package io.environguard.benchmarks.fanotify;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener under test: the C reference listener or the Java guard, driven through the same line protocol
 * (see {@code harness/reflistener.c} and {@link GuardListenerMain}). {@link #start} returns once its mark is
 * in place; {@link #stop} removes it, so that "no listener" really means no mark.
 *
 * <pre>{@code
 * try (Listener c = Listener.reference(bin, log)) {
 *     c.start();
 *     ListenerStats before = c.stats();
 *     ...
 *     c.stop();
 * }
 * }</pre>
 */
abstract class Listener implements AutoCloseable {

    private final String name;

    Listener(String name) {
        this.name = name;
    }

    /** "C" or "Java". */
    final String name() {
        return name;
    }

    /** The C reference listener; a fresh process per {@link #start}. */
    static Listener reference(Path bin, Path log) {
        return new Reference(bin, log);
    }

    /** The Java guard in one long-lived JVM (so that JIT-compiled code carries over between starts). */
    static Listener guard(List<String> javaCommand, Path log) {
        return new Guard(javaCommand, log);
    }

    abstract void start();

    /** Removes the mark (the C listener exits; the Java guard closes, its JVM stays). */
    abstract void stop();

    /** The process that reads the fanotify descriptor (for SIGSTOP/SIGCONT by the load generator). */
    abstract long pid();

    abstract LineProcess process();

    final ListenerStats stats() {
        return ListenerStats.parse(process().request("stats", "stats "));
    }

    /** When the listener first saw reader {@code pid} (CLOCK_MONOTONIC ns), or -1. */
    final long seen(long pid) {
        return Long.parseLong(process().request("seen " + pid, "seen ").substring(5));
    }

    /** How many of reader {@code pid}'s opens the listener saw. */
    final long count(long pid) {
        return Long.parseLong(process().request("count " + pid, "count ").substring(6));
    }

    /** What was recorded since the last dump; see the protocol. */
    final List<String> dump() {
        process().send("dump");
        return new ArrayList<>(process().linesUntil("end", LineProcess.ANSWER));
    }

    /** Waits until {@code condition} holds, asking every 10 ms; false when the time runs out. */
    static boolean waitUntil(java.util.function.BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * Waits until the listener has read everything queued: its event count unchanged over 100 ms (foreign
     * opens keep trickling in on a shared machine, so "unchanged" is the best there is), at most 10 s.
     */
    final void settle() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long last = stats().events();
        while (System.nanoTime() < deadline) {
            Thread.sleep(100);
            long now = stats().events();
            if (now == last) {
                return;
            }
            last = now;
        }
    }

    @Override
    public abstract void close();

    private static final class Reference extends Listener {
        private final Path bin;
        private final Path log;
        private LineProcess process;

        Reference(Path bin, Path log) {
            super("C");
            this.bin = bin;
            this.log = log;
        }

        @Override
        void start() {
            stop();
            // FAN_UNLIMITED_QUEUE: the Java source's default, so both see the same queue.
            process = LineProcess.start("reflistener", List.of(bin.resolve("reflistener").toString(), "--unlimited-queue"), log);
            process.await("ready", LineProcess.ANSWER);
        }

        @Override
        void stop() {
            if (process != null) {
                process.send("quit");
                process.close();
                process = null;
            }
        }

        @Override
        long pid() {
            return process().pid();
        }

        @Override
        LineProcess process() {
            if (process == null) {
                throw new IllegalStateException("the C listener is not running");
            }
            return process;
        }

        @Override
        public void close() {
            if (process != null) {
                process.close();
                process = null;
            }
        }
    }

    private static final class Guard extends Listener {
        private final LineProcess process;

        Guard(List<String> javaCommand, Path log) {
            super("Java");
            process = LineProcess.start("guard JVM", javaCommand, log);
        }

        @Override
        void start() {
            process.request("start", "ready");
        }

        @Override
        void stop() {
            process.request("stop", "stopped ");
        }

        @Override
        long pid() {
            return process.pid();
        }

        @Override
        LineProcess process() {
            return process;
        }

        @Override
        public void close() {
            process.close();
        }
    }
}
