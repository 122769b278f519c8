package io.environguard.benchmarks.fanotify;

import java.util.List;
import java.util.Map;

/** What one round measures, phase by phase: plain data, turned into a table and JSON by {@link Report}. */
final class Measurements {

    private Measurements() {
    }

    /**
     * A listener draining a backlog made while it was stopped.
     *
     * @param events         kernel records it read between the two snapshots
     * @param cpuNanos       its process CPU time over them
     * @param readerCpuNanos the Java kernel-read thread's share, or -1
     * @param drainNanos     from SIGCONT to the marker (the last event queued) leaving the listener
     */
    record Drain(long events, long cpuNanos, long readerCpuNanos, long drainNanos) {
        double cpuMicrosPerEvent() {
            return cpuNanos / 1000.0 / events;
        }

        double readerCpuMicrosPerEvent() {
            return readerCpuNanos < 0 ? Double.NaN : readerCpuNanos / 1000.0 / events;
        }

        double eventsPerSecond() {
            return events * 1e9 / drainNanos;
        }
    }

    /**
     * One host-overhead condition: the workloads' times with this listener (or none) running.
     *
     * @param opensNanos        wall time of the open loop
     * @param opensCpuNanos     the open loop's own CPU time (the kernel's cost of the mark lands here)
     * @param psNanos           wall time of the {@code ps aux} runs
     * @param psCpuNanos        CPU time of the {@code ps} processes
     * @param opensEvents       kernel records the listener read for the open loop (0 without one)
     * @param opensListenerCpu  the listener's CPU time for them
     * @param psEvents          kernel records the listener read for the {@code ps} runs
     * @param psListenerCpu     the listener's CPU time for them
     */
    record Overhead(long opensNanos, long opensCpuNanos, long psNanos, long psCpuNanos,
                    long opensEvents, long opensListenerCpu, long psEvents, long psListenerCpu) {
    }

    /**
     * Reads of a target's environ by fresh readers, one at a time, matched by reader pid.
     *
     * @param samples      opens made
     * @param sinkNanos    open to alert at the sink (Java) or to the listener noticing it (C), per matched sample
     * @param sourceNanos  open to the access leaving the source (Java only; empty for C)
     * @param readNanos    open to the source's kernel-read thread reading the event (Java only, wall clock:
     *                     CLOCK_REALTIME in the reader, {@code Instant.now()} in the source)
     * @param missing      opens with no matching alert (or hit)
     * @param cpu          the listener's CPU time per access over the phase (every access, foreign ones too)
     */
    record Latency(int samples, long[] sinkNanos, long[] sourceNanos, long[] readNanos, int missing, AccessCpu cpu) {
    }

    /**
     * CPU time per environ access over a phase, in microseconds; thread figures are -1 for the C listener.
     *
     * @param process  the whole listener process (for Java: every thread, JIT and GC included)
     * @param resolver the Java resolver thread (reader and target details, the policy, the hand-off to the sinks)
     * @param reader   the Java kernel-read thread (every /proc event, the resolver's own opens included)
     */
    record AccessCpu(double process, double resolver, double reader) {
        static AccessCpu between(ListenerStats before, ListenerStats after) {
            long accesses = after.accesses() - before.accesses();
            if (accesses <= 0) {
                return new AccessCpu(Double.NaN, Double.NaN, Double.NaN);
            }
            return new AccessCpu(perAccess(after.cpuNanos() - before.cpuNanos(), accesses),
                    before.resolverCpuNanos() < 0 ? -1 : perAccess(after.resolverCpuNanos() - before.resolverCpuNanos(), accesses),
                    before.readerCpuNanos() < 0 ? -1 : perAccess(after.readerCpuNanos() - before.readerCpuNanos(), accesses));
        }

        private static double perAccess(long nanos, long accesses) {
            return nanos / 1000.0 / accesses;
        }
    }

    /**
     * One reader opening the environ of {@code targets} processes as fast as it can.
     *
     * @param targets          environ files opened successfully by the reader
     * @param seen             of those, opens the listener saw (accesses leaving the source, for Java)
     * @param distinctTargets  distinct targets among them
     * @param sweepElapsedNanos how long the reader took
     * @param lastSeenNanos    from the reader's first open to the last of its opens leaving the listener (the
     *                         source, for Java): how long the listener took to work through the sweep
     * @param alertsByRule     alerts at the sink for this reader, by rule (Java only)
     * @param lossesByCause    loss reports while the sweep ran, host-wide, by cause
     */
    record Sweep(int targets, long seen, long distinctTargets, long sweepElapsedNanos, long lastSeenNanos,
                 Map<String, Long> alertsByRule, Map<String, Long> lossesByCause) {
        long missed() {
            return targets - seen;
        }
    }

    /**
     * One round: each phase, C and Java alternating in order from one round to the next.
     *
     * @param backgroundOpensPerSecond {@code /proc} opens per second by other processes while the round began
     */
    record Round(int index, List<String> order, double backgroundOpensPerSecond, Map<String, Drain> drain,
                 Map<String, Overhead> overhead, Map<String, Latency> latency, Map<String, Sweep> sweep) {
    }
}
