package io.environguard.internal;

import io.environguard.api.Alert;
import io.environguard.api.LossReport;
import io.environguard.spi.AlertObserver;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The observers of one guard: added and removed at any time, read without a lock on every alert (a volatile
 * array, copied on change), so that a guard nobody observes pays one volatile read per alert.
 *
 * <pre>{@code
 * AlertObservers observers = new AlertObservers();
 * observers.add(myObserver);
 * if (observers.any()) {
 *     observers.alert(alert, latencyNanos);
 * }
 * }</pre>
 */
public final class AlertObservers {

    private static final Logger LOG = LoggerFactory.getLogger(AlertObservers.class);
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final AlertObserver[] NONE = new AlertObserver[0];

    private final Object lock = new Object();
    private volatile AlertObserver[] current = NONE;
    private volatile long lastFailureLog;
    private volatile boolean anyFailureLogged;

    /** Adds {@code observer}; adding one twice makes it called twice. */
    public void add(AlertObserver observer) {
        Objects.requireNonNull(observer, "observer");
        synchronized (lock) {
            AlertObserver[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = observer;
            current = next;
        }
    }

    /** Removes one registration of {@code observer}; returns whether there was one. */
    public boolean remove(AlertObserver observer) {
        synchronized (lock) {
            AlertObserver[] now = current;
            for (int i = 0; i < now.length; i++) {
                if (now[i] == observer) {
                    AlertObserver[] next = new AlertObserver[now.length - 1];
                    System.arraycopy(now, 0, next, 0, i);
                    System.arraycopy(now, i + 1, next, i, now.length - i - 1);
                    current = next;
                    return true;
                }
            }
            return false;
        }
    }

    /** Whether any observer is registered: callers skip the clock read when none is. */
    public boolean any() {
        return current.length != 0;
    }

    /**
     * Whether any observer wants the next access-raised alert's latency (see {@link AlertObserver#wantsLatency()}):
     * callers read the clock only then. One that throws is logged and counted as wanting it.
     */
    public boolean wantLatency() {
        for (AlertObserver o : current) {
            try {
                if (o.wantsLatency()) {
                    return true;
                }
            } catch (RuntimeException e) {
                failed(o, e);
                return true;
            }
        }
        return false;
    }

    /** Tells every observer of {@code alert}; one that throws is logged (at most once a minute) and skipped. */
    public void alert(Alert alert, long latencyNanos) {
        for (AlertObserver o : current) {
            try {
                o.onAlert(alert, latencyNanos);
            } catch (RuntimeException e) {
                failed(o, e);
            }
        }
    }

    /** Tells every observer of {@code loss}. */
    public void loss(LossReport loss) {
        for (AlertObserver o : current) {
            try {
                o.onLoss(loss);
            } catch (RuntimeException e) {
                failed(o, e);
            }
        }
    }

    private void failed(AlertObserver o, RuntimeException e) {
        long now = System.nanoTime();
        if (!anyFailureLogged || now - lastFailureLog >= FAILURE_LOG_INTERVAL_NANOS) {
            anyFailureLogged = true;
            lastFailureLog = now;
            LOG.warn("alert observer {} failed (logged at most once a minute): {}", o.getClass().getName(), e.toString());
        }
    }
}
