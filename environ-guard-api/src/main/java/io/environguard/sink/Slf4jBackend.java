package io.environguard.sink;

import java.io.PrintStream;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * Whether SLF4J has a backend. Without one (no logback, log4j-slf4j2-impl, slf4j-simple... on the class path),
 * SLF4J falls back to a logger that discards everything, and the {@code slf4j} sink would throw every alert
 * away with only SLF4J's own one-line notice as a sign.
 */
final class Slf4jBackend {

    /** What the guard prints on standard error once per start when the {@code slf4j} sink has no backend. */
    static final String WARNING = "environ-guard: WARNING: the slf4j sink is active but no SLF4J backend is on the class path,"
            + " so every alert it receives is discarded; add a backend (e.g. logback-classic or slf4j-simple), or write alerts"
            + " as JSON lines with environguard.sinks=jsonl (environguard.sink.jsonl.path: a file, or - for standard output)";

    private Slf4jBackend() {
    }

    static boolean isMissing(ILoggerFactory factory) {
        return factory instanceof NOPLoggerFactory;
    }

    /** Prints {@link #WARNING} to {@code err} when SLF4J has no backend. */
    static void warnIfMissing(PrintStream err) {
        if (isMissing(LoggerFactory.getILoggerFactory())) {
            err.println(WARNING);
        }
    }
}
