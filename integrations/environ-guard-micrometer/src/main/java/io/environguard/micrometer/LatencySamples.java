package io.environguard.micrometer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;

/**
 * A bounded, lock-free ring of latency samples: any thread adds one in a few nanoseconds (a fetch-and-add and an
 * ordered store), and one draining thread hands them on (to a Micrometer timer, whose percentile histograms cost
 * far more than the alert path can spare). When samples come faster than they are drained, the oldest are skipped
 * and counted: the timer's samples are then a subset of the alerts, its percentiles still those of what it saw.
 *
 * <pre>{@code
 * LatencySamples samples = new LatencySamples(4096);
 * samples.add(250_000);                          // on the alerting thread
 * samples.drain(timerRecorder, 4096);            // on the draining thread
 * }</pre>
 */
final class LatencySamples {

    private final AtomicLongArray slots;
    private final int mask;
    private final AtomicLong claimed = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    /** The next position to drain; touched by the draining thread only. */
    private long next;

    /** @param capacity a power of two */
    LatencySamples(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two of at least 2");
        }
        this.slots = new AtomicLongArray(capacity);
        this.mask = capacity - 1;
    }

    /** Adds a sample of {@code nanos} (0 or more). Thread-safe, never blocks. */
    void add(long nanos) {
        long position = claimed.getAndIncrement();
        // 0 marks an empty slot, so a sample is stored plus one.
        slots.lazySet((int) (position & mask), nanos + 1);
    }

    /**
     * Hands at most {@code max} samples to {@code sink}, oldest first, and empties their slots. Samples overwritten
     * before they were drained, and those past {@code max} in a backlog larger than the ring, are skipped and counted.
     * One thread at a time. Returns how many were handed on.
     */
    int drain(LongConsumer sink, int max) {
        long end = claimed.get();
        long capacity = mask + 1L;
        if (end - next > capacity) {
            skipped.addAndGet(end - next - capacity);
            next = end - capacity;
        }
        int handed = 0;
        while (next < end && handed < max) {
            long v = slots.getAndSet((int) (next & mask), 0);
            if (v == 0) {
                break; // claimed, not yet written: the next drain takes it
            }
            sink.accept(v - 1);
            next++;
            handed++;
        }
        return handed;
    }

    /** Samples skipped so far because they came faster than they were drained. */
    long skipped() {
        return skipped.get();
    }
}
