package io.environguard.linux.process;

import io.environguard.linux.nativeio.Clocks;

/**
 * Converts {@code CLOCK_MONOTONIC} nanoseconds (the proc connector's timestamps, {@code System.nanoTime()})
 * into the clock ticks of {@code CLOCK_BOOTTIME} that {@code /proc/P/stat} counts start times in. The two
 * clocks differ by the time the machine spent suspended; the offset is sampled at creation and again by
 * {@link #refresh()} (the feed calls it now and then, so a resume is picked up).
 *
 * <p>A start time derived this way from a fork message can be one tick above the kernel's: the kernel takes
 * the child's start a few microseconds before it stamps the message, and a tick boundary may fall between.
 *
 * <pre>{@code
 * BootClock clock = BootClock.host();
 * long ticks = clock.ticks(forkEvent.timestampNanos());
 * }</pre>
 */
public final class BootClock {

    private final long nanosPerTick;
    private volatile long offsetNanos;
    private final boolean host;

    private BootClock(long offsetNanos, long ticksPerSecond, boolean host) {
        this.offsetNanos = offsetNanos;
        this.nanosPerTick = 1_000_000_000L / ticksPerSecond;
        this.host = host;
    }

    /** @return this machine's clocks */
    public static BootClock host() {
        return new BootClock(Clocks.boottimeMinusMonotonic(), Clocks.ticksPerSecond(), true);
    }

    /**
     * A fixed offset and tick rate (simulated trees in tests).
     *
     * @param offsetNanos    {@code CLOCK_BOOTTIME} minus {@code CLOCK_MONOTONIC}, in nanoseconds
     * @param ticksPerSecond clock ticks per second ({@code USER_HZ}, usually 100)
     * @return a clock that {@link #refresh()} leaves as it is
     */
    public static BootClock fixed(long offsetNanos, long ticksPerSecond) {
        return new BootClock(offsetNanos, ticksPerSecond, false);
    }

    /**
     * @param monotonicNanos a {@code CLOCK_MONOTONIC} time in nanoseconds
     * @return clock ticks since boot at that time ({@code /proc/P/stat} field 22 scale)
     */
    public long ticks(long monotonicNanos) {
        return (monotonicNanos + offsetNanos) / nanosPerTick;
    }

    /**
     * @param monotonicNanos a {@code CLOCK_MONOTONIC} time in nanoseconds
     * @return nanoseconds past the start of the tick that {@code monotonicNanos} falls in
     */
    public long intoTick(long monotonicNanos) {
        return (monotonicNanos + offsetNanos) % nanosPerTick;
    }

    /** @return nanoseconds per tick (10 ms at the usual {@code USER_HZ} of 100) */
    public long nanosPerTick() {
        return nanosPerTick;
    }

    /** Samples the offset again (after a suspend it has grown). */
    public void refresh() {
        if (host) {
            offsetNanos = Clocks.boottimeMinusMonotonic();
        }
    }
}
