package io.environguard.micrometer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * A bounded, lock-free ring of latency samples: any thread adds one in a few nanoseconds (a fetch-and-add and a
 * compare-and-set), and one draining thread hands them on (to a Micrometer timer, whose percentile histograms cost
 * far more than the alert path can spare). A producer asks {@link #hasRoom()} first and, when the ring holds a full
 * ring's worth not yet drained, does not measure at all and counts the sample as {@link #skip() skipped}: measuring
 * (a clock read) is what costs. Producers that race past a full ring overwrite the oldest samples, which are then
 * skipped and counted too. The timer's samples are then a subset of the alerts (the first of each drain period), its
 * percentiles still those of what it saw.
 *
 * <pre>{@code
 * LatencySamples samples = new LatencySamples(4096);
 * if (samples.hasRoom()) {                       // on the alerting thread
 *     samples.add(250_000);
 * } else {
 *     samples.skip();
 * }
 * samples.drain(timerRecorder, 4096);            // on the draining thread
 * }</pre>
 */
final class LatencySamples {

    /** Bits of a slot that hold the sample; the rest hold the lap it was written in. */
    private static final int VALUE_BITS = 40;
    /** The largest sample kept (about 18 minutes); longer ones are stored as this. */
    static final long MAX_NANOS = (1L << VALUE_BITS) - 1;
    /** Laps are stored as 1..LAPS (0 marks a slot never written). */
    private static final long LAPS = (1L << (Long.SIZE - VALUE_BITS)) - 1;

    private final AtomicLongArray slots;
    private final int mask;
    private final int shift;
    private final AtomicLong claimed = new AtomicLong();
    private final LongAdder skipped = new LongAdder();
    /** The next position to drain; touched by the draining thread only. */
    private long next;
    /** {@link #next} as of the end of the last drain: what producers compare their claims against. */
    private volatile long drained;

    /** @param capacity a power of two */
    LatencySamples(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two of at least 2");
        }
        this.slots = new AtomicLongArray(capacity);
        this.mask = capacity - 1;
        this.shift = Integer.numberOfTrailingZeros(capacity);
    }

    /** The tag of the lap of {@code position}: 1..LAPS. */
    private long tagOf(long position) {
        return (position >>> shift) % LAPS + 1;
    }

    /**
     * Whether a sample added now would be kept until the next drain: fewer than a ring's worth are waiting. Two reads,
     * no write; a few producers may race past it, and then the oldest waiting samples are skipped and counted.
     */
    boolean hasRoom() {
        return claimed.get() - drained < mask + 1L;
    }

    /** Counts a sample that was not measured because the ring had no room. */
    void skip() {
        skipped.increment();
    }

    /** Adds a sample of {@code nanos} (0 or more; above {@link #MAX_NANOS} it is kept as that). Thread-safe, never blocks. */
    void add(long nanos) {
        write(claim(), nanos);
    }

    /** Claims the next position (the first half of {@link #add}; tests interleave the halves). */
    long claim() {
        return claimed.getAndIncrement();
    }

    /**
     * Writes the sample of {@code position} (the second half of {@link #add}). One word holds the sample and its lap,
     * so that the drainer knows which position a slot's value is for. A writer descheduled between its claim and its
     * write may find its slot already holding a later lap's sample: it then drops its own (the drainer counts it as
     * skipped when it meets the later lap there) instead of overwriting a sample that would then be lost uncounted.
     */
    void write(long position, long nanos) {
        int slot = (int) (position & mask);
        long value = tagOf(position) << VALUE_BITS | Math.min(Math.max(nanos, 0), MAX_NANOS);
        long lap = (position >>> shift) % LAPS;
        while (true) {
            long v = slots.get(slot);
            if (v != 0) {
                long ahead = Math.floorMod((v >>> VALUE_BITS) - 1 - lap, LAPS);
                if (ahead > 0 && ahead < LAPS / 2) {
                    return; // lapped: a later sample holds the slot
                }
            }
            if (slots.compareAndSet(slot, v, value)) {
                return;
            }
        }
    }

    /**
     * Hands at most {@code max} samples to {@code sink}, oldest first. Samples overwritten before they were drained
     * (the producers went a lap ahead) are skipped and counted; a claimed slot not yet written ends this drain (the
     * next one takes it). One thread at a time. Returns how many were handed on.
     */
    int drain(LongConsumer sink, int max) {
        long end = claimed.get();
        long capacity = mask + 1L;
        if (end - next > capacity) {
            skipped.add(end - next - capacity);
            next = end - capacity;
        }
        int handed = 0;
        while (next < end && handed < max) {
            long v = slots.get((int) (next & mask));
            long tag = v >>> VALUE_BITS;
            long expected = tagOf(next);
            if (tag == expected) {
                sink.accept(v & MAX_NANOS);
                handed++;
                next++;
            } else if (v != 0 && tag == tagOf(next + capacity)) {
                skipped.increment(); // a later lap wrote over it before it was drained
                next++;
            } else {
                break; // claimed, not yet written: the next drain takes it
            }
        }
        drained = next;
        return handed;
    }

    /** Samples skipped so far because they came faster than they were drained (not measured, or overwritten). */
    long skipped() {
        return skipped.sum();
    }
}
