package io.environguard.linux.internal;

import java.util.concurrent.TimeUnit;

/**
 * The one way a source stops a thread of its own that it has already told to stop (a wake-up, a latch): wait for
 * it, interrupt it if it has not finished, wait once more. Never throws; an interrupt of the caller is kept.
 *
 * <pre>{@code
 * wakeup.signal();
 * if (!Threads.join(reader, 5_000)) {
 *     log.warn("thread {} did not stop within {} ms", reader.getName(), 10_000);
 * }
 * }</pre>
 */
public final class Threads {

    private Threads() {
    }

    /**
     * Waits up to {@code millis} for {@code t} to end; then interrupts it and waits up to {@code millis} again.
     *
     * @param t      the thread, already told to stop; {@code null} is a thread that never started
     * @param millis each of the two waits
     * @return whether the thread has ended
     */
    public static boolean join(Thread t, long millis) {
        if (t == null) {
            return true;
        }
        boolean interrupted = false;
        try {
            for (int attempt = 0; attempt < 2 && t.isAlive(); attempt++) {
                if (attempt == 1) {
                    t.interrupt();
                }
                try {
                    TimeUnit.MILLISECONDS.timedJoin(t, millis);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return !t.isAlive();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
