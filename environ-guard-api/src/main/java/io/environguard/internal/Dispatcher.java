package io.environguard.internal;

import io.environguard.api.Alert;
import io.environguard.api.SinkStats;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AsyncAlertSink;
import io.environguard.spi.DeliveryReceipt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands alerts to sinks: one bounded queue and one daemon thread per sink, so that a sink that throws,
 * blocks or is slow loses only its own alerts and never delays the caller or the other sinks.
 *
 * <pre>{@code
 * Dispatcher dispatcher = new Dispatcher(Map.of("slf4j", sink), 1024, Duration.ofSeconds(2));
 * dispatcher.start();
 * dispatcher.dispatch(alert);          // never blocks, never throws
 * dispatcher.close();                  // delivers what is queued, bounded in time
 * }</pre>
 *
 * <p>Every alert handed to {@link #dispatch} ends up in exactly one counter of each sink's
 * {@link SinkStats}: {@code delivered}, {@code failed} (the sink threw, or an {@link AsyncAlertSink} reported a
 * failure), {@code dropped} (the queue was full, or the dispatcher was closed) or, once {@link #close} has
 * returned, {@code undelivered} (still queued, held by a sink thread that close gave up on, or published to an
 * asynchronous sink that had not reported its outcome). So, once close has returned,
 * {@code delivered + dropped + failed + undelivered} is the number of alerts dispatched; before that the
 * difference is what is queued or in flight. A sink that close gave up on may still return later, and an
 * asynchronous sink may still report; such an alert then moves from undelivered to delivered or failed.
 */
public final class Dispatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** Alerts a sink thread takes from its queue at once: one lock acquisition per batch, not per alert. */
    private static final int MAX_BATCH = 64;
    /**
     * Checks of an empty queue before parking, so that a steady stream costs the producer no wake-up call.
     * None on a single CPU, where spinning only keeps the producer from running (as in java.util.concurrent).
     */
    private static final int SPINS = Runtime.getRuntime().availableProcessors() > 1 ? 64 : 0;
    /** After close's timeout, how long interrupted sink threads get to stop before close gives up on them. */
    private static final long GRACE_MILLIS = 100;
    /** A sink that keeps failing is reported once per interval, with the count of failures in between. */
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Lane[] lanes;
    private final Duration closeTimeout;
    private final Object stateLock = new Object();
    private boolean started;
    private boolean closing;
    private volatile boolean closed;
    private volatile boolean closeFinished;

    /**
     * @param sinksByName   the sinks, delivered to in this map's iteration order of names
     * @param queueCapacity alerts each sink's queue holds before further alerts are dropped (at least 1)
     * @param closeTimeout  how long {@link #close} waits, in total, for the sinks to drain their queues
     */
    public Dispatcher(Map<String, AlertSink> sinksByName, int queueCapacity, Duration closeTimeout) {
        Objects.requireNonNull(sinksByName, "sinksByName");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be at least 1");
        }
        if (closeTimeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must not be negative");
        }
        this.closeTimeout = closeTimeout;
        List<Lane> built = new ArrayList<>(sinksByName.size());
        sinksByName.forEach((name, sink) -> built.add(new Lane(
                Objects.requireNonNull(name, "sink name"), Objects.requireNonNull(sink, "sink"), queueCapacity)));
        this.lanes = built.toArray(new Lane[0]);
    }

    /** Starts the sink threads ({@code environ-guard-sink-<name>}). Alerts dispatched before are kept. Idempotent. */
    public void start() {
        synchronized (stateLock) {
            if (closing) {
                throw new IllegalStateException("dispatcher is closed");
            }
            if (!started) {
                started = true;
                for (Lane lane : lanes) {
                    lane.thread.start();
                }
            }
        }
    }

    /**
     * Queues {@code alert} for every sink. Never blocks and never throws: where a sink's queue is full,
     * or the dispatcher is closed, that sink's {@code dropped} counter goes up instead. {@code null} is ignored.
     */
    public void dispatch(Alert alert) {
        if (alert == null) {
            return;
        }
        if (closed) {
            for (Lane lane : lanes) {
                lane.dropped.increment();
            }
            return;
        }
        for (Lane lane : lanes) {
            lane.offer(alert);
        }
    }

    /** Delivery counters per sink, in the order the sinks were given. */
    public List<SinkStats> stats() {
        boolean finished = closeFinished;
        List<SinkStats> out = new ArrayList<>(lanes.length);
        for (Lane lane : lanes) {
            out.add(lane.stats(finished));
        }
        return List.copyOf(out);
    }

    /**
     * Stops accepting alerts, lets each sink deliver what is queued within the close timeout (in total,
     * not per sink), then interrupts the sinks still busy and gives them 100 ms more;
     * what they still hold counts as undelivered. Each sink's {@link AlertSink#close} runs on its own thread
     * after its last publish (for a sink close gave up on: if it ever returns); a throwing close is logged.
     * Returns within about the close timeout plus the grace. Idempotent.
     */
    @Override
    public void close() {
        boolean wasStarted;
        synchronized (stateLock) {
            if (closing) {
                return;
            }
            closing = true;
            wasStarted = started;
        }
        closed = true;
        for (Lane lane : lanes) {
            lane.closing = true;
            LockSupport.unpark(lane.thread);
        }
        if (wasStarted) {
            boolean interrupted = false;
            long deadline = System.nanoTime() + saturatedNanos(closeTimeout);
            interrupted |= joinAll(deadline);
            List<Lane> stragglers = new ArrayList<>();
            for (Lane lane : lanes) {
                if (lane.thread.isAlive()) {
                    stragglers.add(lane);
                    lane.abandoned = true;
                    lane.thread.interrupt();
                }
            }
            if (!stragglers.isEmpty()) {
                interrupted |= joinAll(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS));
                for (Lane lane : stragglers) {
                    if (lane.thread.isAlive()) {
                        log.warn("alert sink {} did not finish within the close timeout of {} ms; giving up on it",
                                lane.name, closeTimeout.toMillis());
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        } else {
            // No thread ever ran: this thread is the only one to touch the sinks.
            for (Lane lane : lanes) {
                lane.closeSink();
            }
        }
        closeFinished = true;
    }

    /** Waits for every lane thread until {@code deadline}; returns whether this thread was interrupted. */
    private boolean joinAll(long deadline) {
        boolean interrupted = false;
        for (Lane lane : lanes) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0 || interrupted) {
                break;
            }
            try {
                TimeUnit.NANOSECONDS.timedJoin(lane.thread, remaining);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    /** One sink with its queue, thread and counters. */
    private static final class Lane implements Runnable {
        final String name;
        final AlertSink sink;
        /** The same sink when it reports outcomes through receipts; {@code null} for a synchronous sink. */
        final AsyncAlertSink asyncSink;
        final ArrayBlockingQueue<Alert> queue;
        final Thread thread;

        // Written by producers.
        final LongAdder dropped = new LongAdder();
        // taken: only by this lane's thread (or by close() when the thread never started); delivered and failed
        // also by the receipts of an asynchronous sink, on whatever thread completes them.
        final LongAdder taken = new LongAdder();
        final LongAdder delivered = new LongAdder();
        final LongAdder failed = new LongAdder();

        /** Set by the lane thread just before it parks; producers read it after a successful offer. */
        volatile boolean waiting;
        volatile boolean closing;
        /** Close ran out of time: stop publishing; whatever is left counts as undelivered. */
        volatile boolean abandoned;

        // Failure-log rate limiting; guarded by this lane (receipts report failures from other threads).
        private long lastFailureLog;
        private long failuresNotLogged;
        private boolean anyFailureLogged;

        Lane(String name, AlertSink sink, int capacity) {
            this.name = name;
            this.sink = sink;
            this.asyncSink = sink instanceof AsyncAlertSink ? (AsyncAlertSink) sink : null;
            this.queue = new ArrayBlockingQueue<>(capacity);
            this.thread = new Thread(this, "environ-guard-sink-" + name);
            this.thread.setDaemon(true);
        }

        void offer(Alert alert) {
            if (queue.offer(alert)) {
                // Pairs with awaitWork: waiting is written before the queue is re-checked there and read
                // after the offer here, so at least one side sees the other and no wake-up is lost.
                if (waiting) {
                    LockSupport.unpark(thread);
                }
            } else {
                dropped.increment();
            }
        }

        @Override
        public void run() {
            List<Alert> batch = new ArrayList<>(MAX_BATCH);
            try {
                while (!abandoned) {
                    if (queue.drainTo(batch, MAX_BATCH) == 0) {
                        if (closing) {
                            break;
                        }
                        awaitWork();
                        continue;
                    }
                    taken.add(batch.size());
                    for (int i = 0, n = batch.size(); i < n && !abandoned; i++) {
                        deliver(batch.get(i));
                    }
                    batch.clear();
                }
            } finally {
                batch.clear();
                closeSink();
                // After close: an asynchronous sink reports its last outcomes while it closes.
                synchronized (this) {
                    if (failuresNotLogged > 0) {
                        log.warn("alert sink {} failed {} more times since its last reported failure", name, failuresNotLogged);
                        failuresNotLogged = 0;
                    }
                }
            }
        }

        private void awaitWork() {
            for (int i = 0; i < SPINS; i++) {
                Thread.onSpinWait();
                if (!queue.isEmpty() || closing) {
                    return;
                }
            }
            waiting = true;
            try {
                if (queue.isEmpty() && !closing) {
                    LockSupport.park(this);
                }
            } finally {
                waiting = false;
            }
            clearStrayInterrupt();
        }

        /**
         * Only close giving up on this sink may interrupt its thread; an interrupt a sink left behind must
         * neither turn park into a spin nor break the next publish. The flag is cleared first and abandoned
         * read after, so an interrupt from close (which sets abandoned before interrupting) is never lost.
         */
        private void clearStrayInterrupt() {
            if (Thread.interrupted() && abandoned) {
                Thread.currentThread().interrupt();
            }
        }

        private void deliver(Alert alert) {
            clearStrayInterrupt();
            if (asyncSink != null) {
                deliverAsync(alert);
                return;
            }
            try {
                sink.publish(alert);
                delivered.increment();
            } catch (Throwable t) {
                if (abandoned) {
                    // Interrupted by close giving up: the alert counts as undelivered, not as a sink failure.
                    return;
                }
                failed.increment();
                logFailure(alert, t);
            }
        }

        private void deliverAsync(Alert alert) {
            Receipt receipt = new Receipt(this, alert);
            try {
                asyncSink.publish(alert, receipt);
            } catch (Throwable t) {
                if (abandoned) {
                    // Interrupted by close giving up: undelivered, as for a synchronous sink.
                    receipt.discard();
                } else {
                    receipt.failed(t);
                }
            }
        }

        private synchronized void logFailure(Alert alert, Throwable t) {
            long now = System.nanoTime();
            if (anyFailureLogged && now - lastFailureLog < FAILURE_LOG_INTERVAL_NANOS) {
                failuresNotLogged++;
                return;
            }
            // Rule and pids only: the alert's strings (command lines, paths) stay out of the log.
            String what = alert.hasAccess()
                    ? "rule " + alert.rule() + ", reader pid " + alert.access().reader().pid()
                            + ", target pid " + alert.access().target().pid()
                    : "rule " + alert.rule();
            if (failuresNotLogged > 0) {
                log.warn("alert sink {} failed to publish an alert ({}): {}: {} ({} more failures since the last report)",
                        name, what, t.getClass().getName(), t.getMessage(), failuresNotLogged);
            } else {
                log.warn("alert sink {} failed to publish an alert ({}): {}: {}", name, what, t.getClass().getName(), t.getMessage());
            }
            log.debug("alert sink {} failure", name, t);
            anyFailureLogged = true;
            lastFailureLog = now;
            failuresNotLogged = 0;
        }

        void closeSink() {
            try {
                sink.close();
            } catch (Throwable t) {
                log.warn("alert sink {} failed to close: {}: {}", name, t.getClass().getName(), t.getMessage());
                log.debug("alert sink {} close failure", name, t);
            }
        }

        SinkStats stats(boolean closeFinished) {
            // delivered and failed first, taken after: taken only grows and is never below their sum.
            long d = delivered.sum();
            long f = failed.sum();
            long undelivered = 0;
            if (closeFinished) {
                long inHand = Math.max(0, taken.sum() - d - f);
                undelivered = inHand + queue.size();
            }
            return new SinkStats(name, d, dropped.sum(), f, undelivered);
        }
    }

    /**
     * The outcome of one alert published to an asynchronous sink: the first completion counts, later ones are
     * ignored, so an alert is counted once whether the sink completes the receipt, throws, or both.
     */
    private static final class Receipt implements DeliveryReceipt {
        private static final AtomicIntegerFieldUpdater<Receipt> DONE =
                AtomicIntegerFieldUpdater.newUpdater(Receipt.class, "done");

        private final Lane lane;
        private final Alert alert;
        private volatile int done;

        Receipt(Lane lane, Alert alert) {
            this.lane = lane;
            this.alert = alert;
        }

        @Override
        public void delivered() {
            if (DONE.compareAndSet(this, 0, 1)) {
                lane.delivered.increment();
            }
        }

        @Override
        public void failed(Throwable cause) {
            if (DONE.compareAndSet(this, 0, 1)) {
                lane.failed.increment();
                lane.logFailure(alert, cause == null ? new IllegalStateException("no cause given") : cause);
            }
        }

        /** Completes without counting: the alert stays undelivered. */
        void discard() {
            DONE.compareAndSet(this, 0, 1);
        }
    }
}
