package io.environguard.benchmarks.fanotify;

import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the Java listener saw, stamped with {@link System#nanoTime()} ({@code CLOCK_MONOTONIC} on Linux, the
 * clock the load generator stamps its opens with): every access as it left the source, and every alert as it
 * reached the sink; with each access, the time the source's kernel-read thread read its event
 * ({@link EnvironAccess#time()}, wall clock, in epoch nanoseconds). Kept in memory and printed only when the harness asks, so that recording costs a list
 * append while the guard is measured. Losses are recorded as the source reports them, with their cause.
 *
 * <pre>{@code
 * Recorder recorder = new Recorder();
 * recorder.access(System.nanoTime(), access);     // source side
 * recorder.alert(System.nanoTime(), alert);       // sink side
 * recorder.drain().forEach(System.out::println);  // "access T READER TARGET READ", "alert T RULE READER TARGET COUNT"
 *                                                 // and "loss T CAUSE COUNT"
 * }</pre>
 *
 * <p>Thread-safe: accesses come from the source's resolver thread, alerts from the sink's dispatcher thread.
 */
final class Recorder {

    private final List<String> lines = new ArrayList<>();
    private final Map<Integer, Long> firstAccessByReader = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong> accessesByReader = new ConcurrentHashMap<>();
    private final AtomicLong alerts = new AtomicLong();

    void access(long nanos, EnvironAccess access) {
        int reader = access.reader().pid();
        int target = access.target().pid();
        firstAccessByReader.putIfAbsent(reader, nanos);
        accessesByReader.computeIfAbsent(reader, k -> new AtomicLong()).incrementAndGet();
        Instant read = access.time();
        String line = "access " + nanos + " " + reader + " " + target + " "
                + (read.getEpochSecond() * 1_000_000_000L + read.getNano());
        synchronized (lines) {
            lines.add(line);
        }
    }

    void alert(long nanos, Alert alert) {
        alerts.incrementAndGet();
        String line = "alert " + nanos + " " + alert.rule() + " " + pid(alert, true) + " " + pid(alert, false)
                + " " + alert.count();
        synchronized (lines) {
            lines.add(line);
        }
    }

    void loss(long nanos, LossReport loss) {
        String line = "loss " + nanos + " " + loss.cause() + " " + loss.count();
        synchronized (lines) {
            lines.add(line);
        }
    }

    private static int pid(Alert alert, boolean reader) {
        if (!alert.hasAccess()) {
            return ProcessInfo.UNKNOWN;
        }
        return (reader ? alert.access().reader() : alert.access().target()).pid();
    }

    /** When the first access by {@code reader} left the source, or -1. */
    long firstAccess(int reader) {
        return firstAccessByReader.getOrDefault(reader, -1L);
    }

    /** How many accesses by {@code reader} left the source. */
    long accesses(int reader) {
        AtomicLong n = accessesByReader.get(reader);
        return n == null ? 0 : n.get();
    }

    long alerts() {
        return alerts.get();
    }

    /** The recorded lines, oldest first; they are forgotten. */
    List<String> drain() {
        synchronized (lines) {
            List<String> out = new ArrayList<>(lines);
            lines.clear();
            return out;
        }
    }

    /** Forgets everything (a new guard starts). */
    void reset() {
        drain();
        firstAccessByReader.clear();
        accessesByReader.clear();
        alerts.set(0);
    }
}
