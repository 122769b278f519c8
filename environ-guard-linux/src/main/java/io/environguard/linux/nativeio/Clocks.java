package io.environguard.linux.nativeio;

import com.sun.jna.Memory;

/**
 * The two kernel clocks that tie process events to {@code /proc}: the proc connector stamps its messages with
 * {@code CLOCK_MONOTONIC} nanoseconds, while {@code /proc/P/stat} gives a process's start in clock ticks of
 * {@code CLOCK_BOOTTIME} (which, unlike the monotonic clock, keeps counting while the machine is suspended).
 * {@code System.nanoTime()} is {@code CLOCK_MONOTONIC} on Linux.
 *
 * <pre>{@code
 * long offset = Clocks.boottimeMinusMonotonic();            // constant until the next suspend
 * long startTicks = (eventNanos + offset) / (1_000_000_000L / Clocks.ticksPerSecond());
 * }</pre>
 */
public final class Clocks {

    private Clocks() {
    }

    /** The time of {@code clock} in nanoseconds, or -1 when the kernel refuses. */
    public static long now(int clock) {
        Memory ts = new Memory(16);
        if (LinuxLibC.clock_gettime(clock, ts) != 0) {
            return -1;
        }
        return ts.getLong(0) * 1_000_000_000L + ts.getLong(8);
    }

    /**
     * {@code CLOCK_BOOTTIME - CLOCK_MONOTONIC} in nanoseconds: the time the machine spent suspended. Read as
     * the smallest difference over a few samples, so that a preemption between the two reads does not count.
     */
    public static long boottimeMinusMonotonic() {
        long bestWidth = Long.MAX_VALUE;
        long best = 0;
        for (int i = 0; i < 5; i++) {
            long mono = now(LinuxLibC.CLOCK_MONOTONIC);
            long boot = now(LinuxLibC.CLOCK_BOOTTIME);
            long mono2 = now(LinuxLibC.CLOCK_MONOTONIC);
            // boot was read between mono and mono2: boot - mono2 <= offset <= boot - mono
            if (mono2 - mono < bestWidth) {
                bestWidth = mono2 - mono;
                best = boot - mono - bestWidth / 2;
            }
        }
        return best;
    }

    /** {@code USER_HZ}, the unit of start times in {@code /proc} ({@code sysconf(_SC_CLK_TCK)}; 100 if it fails). */
    public static long ticksPerSecond() {
        long hz = LinuxLibC.sysconf(LinuxLibC.SC_CLK_TCK);
        return hz > 0 ? hz : 100;
    }
}
