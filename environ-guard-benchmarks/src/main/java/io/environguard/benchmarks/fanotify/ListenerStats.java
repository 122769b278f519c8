package io.environguard.benchmarks.fanotify;

import java.util.HashMap;
import java.util.Map;

/**
 * One {@code stats} answer of a listener, C or Java.
 *
 * <pre>{@code
 * ListenerStats s = ListenerStats.parse("stats events=10 cpu_ns=5000 hits=1 fd_errors=0 overflows=0");
 * }</pre>
 *
 * @param events         kernel records read so far (every {@code /proc} open on the host)
 * @param cpuNanos       the listener process's CPU time so far, every thread
 * @param hits           environ/mem opens noticed (C) or alerts that reached the sink (Java)
 * @param lost           events known lost: fd errors and overflows (C), loss reports' counts (Java)
 * @param readerCpuNanos the Java kernel-read thread's CPU time, or -1 (C, or no guard)
 * @param resolverCpuNanos the Java resolver thread's CPU time, or -1 (C, or no guard)
 * @param accesses       accesses the Java source delivered (C: the same as {@code hits})
 */
record ListenerStats(long events, long cpuNanos, long hits, long lost, long readerCpuNanos, long resolverCpuNanos,
                     long accesses) {

    static ListenerStats parse(String line) {
        Map<String, Long> v = keyValues(line);
        long lost = v.containsKey("lost") ? v.get("lost") : v.getOrDefault("fd_errors", 0L) + v.getOrDefault("overflows", 0L);
        long hits = v.getOrDefault("hits", 0L);
        return new ListenerStats(require(v, "events", line), require(v, "cpu_ns", line), hits, lost,
                v.getOrDefault("reader_cpu_ns", -1L), v.getOrDefault("resolver_cpu_ns", -1L),
                v.getOrDefault("accesses", hits));
    }

    /** The numeric {@code key=value} words of a line; other words are skipped. */
    static Map<String, Long> keyValues(String line) {
        Map<String, Long> out = new HashMap<>();
        for (String word : line.split(" ")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                try {
                    out.put(word.substring(0, eq), Long.parseLong(word.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    // Not a number: not a counter.
                }
            }
        }
        return out;
    }

    private static long require(Map<String, Long> values, String key, String line) {
        Long v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no " + key + "= in \"" + line + "\"");
        }
        return v;
    }
}
