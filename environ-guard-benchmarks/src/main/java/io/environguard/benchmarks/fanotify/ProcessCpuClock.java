package io.environguard.benchmarks.fanotify;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * This process's CPU time, all threads, with nanosecond resolution: {@code clock_gettime(CLOCK_PROCESS_CPUTIME_ID)},
 * the clock the C reference listener reads too. ({@code OperatingSystemMXBean.getProcessCpuTime()} counts in
 * 10 ms ticks on Linux, too coarse for a per-event cost.)
 *
 * <pre>{@code
 * long before = ProcessCpuClock.nanos();
 * ... work ...
 * long spent = ProcessCpuClock.nanos() - before;
 * }</pre>
 */
final class ProcessCpuClock {

    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;

    static {
        Native.register(ProcessCpuClock.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private ProcessCpuClock() {
    }

    private static native int clock_gettime(int clock, Memory timespec);

    /** CPU time used by every thread of this process so far, in nanoseconds. */
    static long nanos() {
        try (Memory ts = new Memory(16)) {
            if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, ts) != 0) {
                throw new IllegalStateException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed: errno "
                        + Native.getLastError());
            }
            return ts.getLong(0) * 1_000_000_000L + ts.getLong(8);
        }
    }
}
