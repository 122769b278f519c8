package io.environguard.internal;

import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.spi.AccessListener;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a source feeds: judges each access with the policy and hands alerts to the dispatcher.
 * Policy calls are serialised (the policy keeps windows and is not thread-safe); dispatching never blocks.
 */
public final class Pipeline implements AccessListener {

    /** The loss cause under which a failure inside the pipeline itself is counted. */
    public static final String PIPELINE_ERROR = "pipeline_error";

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private final Function<EnvironAccess, Optional<Alert>> policy;
    private final Dispatcher dispatcher;
    private final Object policyLock = new Object();
    private final LongAdder accesses = new LongAdder();
    private final LongAdder alerts = new LongAdder();
    private final LongAdder suppressed = new LongAdder();
    private final Map<String, LongAdder> lost = new ConcurrentHashMap<>();
    private final AlertObservers observers;

    /**
     * @param policy     judges one access (normally {@code Policy::evaluate}); called under a lock, one at a time
     * @param dispatcher where alerts go
     */
    public Pipeline(Function<EnvironAccess, Optional<Alert>> policy, Dispatcher dispatcher) {
        this(policy, dispatcher, new AlertObservers());
    }

    /**
     * @param policy     judges one access (normally {@code Policy::evaluate}); called under a lock, one at a time
     * @param dispatcher where alerts go
     * @param observers  told of every alert after it is dispatched, and of every loss report
     */
    public Pipeline(Function<EnvironAccess, Optional<Alert>> policy, Dispatcher dispatcher, AlertObservers observers) {
        this.policy = policy;
        this.dispatcher = dispatcher;
        this.observers = observers;
    }

    @Override
    public void onAccess(EnvironAccess access) {
        accesses.increment();
        Optional<Alert> alert;
        try {
            synchronized (policyLock) {
                alert = policy.apply(access);
            }
        } catch (RuntimeException e) {
            // A policy bug must not kill the source's thread, nor be silent: count it as a loss and say so.
            LOG.error("policy failed on an access from source {}; counted as lost ({})", access.source(), PIPELINE_ERROR, e);
            onLoss(new LossReport(PIPELINE_ERROR, 1, "the policy failed on an access: " + e.getClass().getSimpleName()));
            return;
        }
        if (alert.isPresent()) {
            alerts.increment();
            dispatcher.dispatch(alert.get());
            if (observers.any()) {
                observers.alert(alert.get(), nanosSince(access.time()));
            }
        } else {
            suppressed.increment();
        }
    }

    /** Nanoseconds from {@code time} to now on the wall clock (access times are wall-clock instants); 0 if it stepped back. */
    private static long nanosSince(Instant time) {
        Instant now = Instant.now();
        long nanos = (now.getEpochSecond() - time.getEpochSecond()) * 1_000_000_000L + (now.getNano() - time.getNano());
        return Math.max(0, nanos);
    }

    @Override
    public void onLoss(LossReport loss) {
        lost.computeIfAbsent(loss.cause(), k -> new LongAdder()).add(loss.count());
        if (observers.any()) {
            observers.loss(loss);
        }
        String reason = loss.count() + " event(s) lost (" + loss.cause() + ")"
                + (loss.detail().isEmpty() ? "" : ": " + loss.detail())
                + "; environ reads in that time may have been missed";
        Alert alert = new Alert(Instant.now(), Rules.EVENTS_LOST, Severity.HIGH, List.of(reason), null, null,
                List.of(), loss.count(), Map.of(loss.cause(), loss.count()));
        alerts.increment();
        dispatcher.dispatch(alert);
        if (observers.any()) {
            observers.alert(alert, -1);
        }
    }

    public long accesses() {
        return accesses.sum();
    }

    public long alerts() {
        return alerts.sum();
    }

    public long suppressed() {
        return suppressed.sum();
    }

    /** Lost events by cause, sorted by cause. */
    public Map<String, Long> lostByCause() {
        Map<String, Long> out = new TreeMap<>();
        lost.forEach((cause, n) -> out.put(cause, n.sum()));
        return out;
    }
}
