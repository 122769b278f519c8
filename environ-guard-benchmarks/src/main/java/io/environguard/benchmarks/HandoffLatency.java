package io.environguard.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The Java side of {@code harness/handoff.c}: what one or more thread hand-offs through an {@link ArrayBlockingQueue}
 * (the fanotify source's resolver queue) cost on this machine, with the woken threads asleep between two hand-offs,
 * as the resolver and a sink lane are between two lone environ opens. The last thread of the chain stamps the clock;
 * the hand-off back to the main thread is not timed. With {@code busy}, the first waker spins 30 µs after its hand-off
 * (as the kernel-read thread goes on reading) instead of waiting at once.
 *
 * <pre>
 * java -cp environ-guard-benchmarks/target/classes io.environguard.benchmarks.HandoffLatency 3000 1000 2 [busy]
 * </pre>
 */
public final class HandoffLatency {

    private HandoffLatency() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: HandoffLatency COUNT SPACING_US CHAIN [busy]");
            System.exit(2);
        }
        int count = Integer.parseInt(args[0]);
        long spacingNanos = Long.parseLong(args[1]) * 1000;
        int chain = Integer.parseInt(args[2]);
        boolean busyAfter = args.length > 3 && args[3].equals("busy");
        if (count < 1 || spacingNanos < 0 || chain < 1) {
            System.err.println("HandoffLatency: COUNT and CHAIN must be at least 1, SPACING_US at least 0");
            System.exit(2);
        }
        List<BlockingQueue<long[]>> queues = new ArrayList<>();
        for (int i = 0; i <= chain; i++) {
            queues.add(new ArrayBlockingQueue<>(16));
        }
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < chain; i++) {
            int k = i;
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        long[] item = queues.get(k).take();
                        if (k == chain - 1) {
                            item[1] = System.nanoTime();
                        }
                        queues.get(k + 1).put(item);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "handoff-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        long[] latency = new long[count];
        for (int n = -500; n < count; n++) { // 500 uncounted: the JIT
            LockSupport.parkNanos(spacingNanos);
            long[] item = new long[2];
            item[0] = System.nanoTime();
            queues.get(0).put(item);
            if (busyAfter) {
                long until = System.nanoTime() + 30_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            queues.get(chain).take();
            if (n >= 0) {
                latency[n] = item[1] - item[0];
            }
        }
        threads.forEach(Thread::interrupt);
        Arrays.sort(latency);
        System.out.printf(Locale.ROOT, "HandoffLatency: %d x %d hand-off(s), %d us apart%s: p50 %.1f us, p90 %.1f us,"
                        + " p99 %.1f us%n", count, chain, spacingNanos / 1000, busyAfter ? ", waker busy 30 us after" : "",
                latency[count / 2] / 1e3, latency[count * 9 / 10] / 1e3, latency[count * 99 / 100] / 1e3);
    }
}
