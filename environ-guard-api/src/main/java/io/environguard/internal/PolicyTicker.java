package io.environguard.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the policy's clock on when no access arrives: calls {@link Pipeline#tick()} about once a second on a
 * daemon thread of its own ({@code environ-guard-policy-ticker}), so that a sweep that went quiet gets its
 * {@code environ_sweep_ended} alert one window after its last read. A tick that throws is logged and the next
 * one runs as usual. {@link #close()} stops the thread and waits for it (bounded).
 *
 * <pre>{@code
 * PolicyTicker ticker = PolicyTicker.start(pipeline, PolicyTicker.DEFAULT_INTERVAL);
 * ...
 * ticker.close();      // then pipeline.flush(), then the dispatcher
 * }</pre>
 */
public final class PolicyTicker implements AutoCloseable {

    /** About once a second: closing alerts are not urgent, and a tick costs a look at the oldest episodes. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(PolicyTicker.class);
    private static final long JOIN_MILLIS = 2_000;

    private final Thread thread;
    private volatile boolean running = true;

    private PolicyTicker(Runnable tick, Duration interval) {
        long nanos = interval.toNanos();
        if (nanos <= 0) {
            throw new IllegalArgumentException("the tick interval must be positive");
        }
        thread = new Thread(() -> loop(tick, nanos), "environ-guard-policy-ticker");
        thread.setDaemon(true);
    }

    /** Starts a ticker that calls {@code pipeline.tick()} every {@code interval}. */
    public static PolicyTicker start(Pipeline pipeline, Duration interval) {
        return start(Objects.requireNonNull(pipeline, "pipeline")::tick, interval);
    }

    static PolicyTicker start(Runnable tick, Duration interval) {
        PolicyTicker t = new PolicyTicker(tick, interval);
        t.thread.start();
        return t;
    }

    private void loop(Runnable tick, long intervalNanos) {
        long next = System.nanoTime() + intervalNanos;
        while (running) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    if (!running) {
                        return;
                    }
                    continue; // a stray interrupt: keep ticking
                }
            }
            next += intervalNanos;
            if (next < System.nanoTime()) {
                next = System.nanoTime() + intervalNanos; // fell behind (a stopped VM): no burst of catch-up ticks
            }
            try {
                tick.run();
            } catch (RuntimeException | Error e) {
                LOG.error("a policy tick failed; the next one runs as usual", e);
                if (e instanceof VirtualMachineError) {
                    throw (VirtualMachineError) e;
                }
            }
        }
    }

    /** Whether the ticker thread is running. */
    boolean isAlive() {
        return thread.isAlive();
    }

    /** Stops ticking and waits up to 2 s for a tick in progress to finish. Idempotent. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
