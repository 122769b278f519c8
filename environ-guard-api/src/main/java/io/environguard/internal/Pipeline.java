package io.environguard.internal;

import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.policy.Policy;
import io.environguard.spi.AccessListener;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a source feeds: judges each access with the policy and hands alerts to the dispatcher, and, on
 * {@link #tick()}, hands over the alerts of sweeps that ended. Policy calls are serialised (the policy keeps
 * windows and is not thread-safe); dispatching never blocks.
 *
 * <p><b>Outcomes.</b> Every access is counted under exactly one {@link AccessOutcome} (what the policy did with
 * it), except one on which the policy itself failed, which is counted as a {@value #PIPELINE_ERROR} loss:
 * {@code accesses() == sum(outcomes()) + policy failures}.
 *
 * <p><b>Clock.</b> The policy's clock is the time of the accesses. Between accesses, {@link #tick()} moves it on
 * at the pace of the monotonic clock from the latest access time seen, so that a quiet sweep ends one window
 * after its last read whatever the source's clock (a replayed script of past times included).
 */
public final class Pipeline implements AccessListener {

    /** The loss cause under which a failure inside the pipeline itself is counted. */
    public static final String PIPELINE_ERROR = "pipeline_error";

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    private static final AccessOutcome[] OUTCOMES = AccessOutcome.values();

    /** What the pipeline needs of a policy; {@link Policy} in production. Called under the pipeline's lock. */
    interface Judge {
        Optional<Alert> evaluate(EnvironAccess access);

        AccessOutcome lastOutcome();

        List<Alert> expire(Instant now);

        List<Alert> flush(Instant now);
    }

    private final Judge policy;
    private final Dispatcher dispatcher;
    private final Object policyLock = new Object();
    private final LongAdder accesses = new LongAdder();
    private final LongAdder alerts = new LongAdder();
    private final LongAdder suppressed = new LongAdder();
    private final LongAdder[] outcomes = new LongAdder[OUTCOMES.length];
    private final Map<String, LongAdder> lost = new ConcurrentHashMap<>();
    /** The latest access time seen (epoch nanos) and the monotonic time it was seen at; under the policy lock. */
    private long latestAccessNanos = Long.MIN_VALUE;
    private long latestSeenAtNanoTime;

    /**
     * @param policy     judges each access; called under a lock, one at a time
     * @param dispatcher where alerts go
     */
    public Pipeline(Policy policy, Dispatcher dispatcher) {
        this(judge(policy), dispatcher);
    }

    Pipeline(Judge policy, Dispatcher dispatcher) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = new LongAdder();
        }
    }

    private static Judge judge(Policy policy) {
        Objects.requireNonNull(policy, "policy");
        return new Judge() {
            @Override
            public Optional<Alert> evaluate(EnvironAccess access) {
                return policy.evaluate(access);
            }

            @Override
            public AccessOutcome lastOutcome() {
                return policy.lastOutcome();
            }

            @Override
            public List<Alert> expire(Instant now) {
                return policy.expire(now);
            }

            @Override
            public List<Alert> flush(Instant now) {
                return policy.flush(now);
            }
        };
    }

    @Override
    public void onAccess(EnvironAccess access) {
        accesses.increment();
        Optional<Alert> alert;
        AccessOutcome outcome;
        try {
            synchronized (policyLock) {
                alert = policy.evaluate(access);
                outcome = policy.lastOutcome();
                long t = epochNanos(access.time());
                if (t > latestAccessNanos) {
                    latestAccessNanos = t;
                    latestSeenAtNanoTime = System.nanoTime();
                }
            }
        } catch (RuntimeException e) {
            // A policy bug must not kill the source's thread, nor be silent: count it as a loss and say so.
            LOG.error("policy failed on an access from source {}; counted as lost ({})", access.source(), PIPELINE_ERROR, e);
            onLoss(new LossReport(PIPELINE_ERROR, 1, "the policy failed on an access: " + e.getClass().getSimpleName()));
            return;
        }
        outcomes[outcome.ordinal()].increment();
        if (alert.isPresent()) {
            alerts.increment();
            dispatcher.dispatch(alert.get());
        } else {
            suppressed.increment();
        }
    }

    @Override
    public void onLoss(LossReport loss) {
        lost.computeIfAbsent(loss.cause(), k -> new LongAdder()).add(loss.count());
        String reason = loss.count() + " event(s) lost (" + loss.cause() + ")"
                + (loss.detail().isEmpty() ? "" : ": " + loss.detail())
                + "; environ reads in that time may have been missed";
        Alert alert = new Alert(Instant.now(), Rules.EVENTS_LOST, Severity.HIGH, List.of(reason), null, null,
                List.of(), loss.count(), Map.of(loss.cause(), loss.count()));
        alerts.increment();
        dispatcher.dispatch(alert);
    }

    /**
     * Ends the sweeps that have been quiet for a window by the policy's clock and dispatches their closing
     * alerts. The guard's ticker calls it about once a second; safe from any thread.
     */
    public void tick() {
        List<Alert> ended;
        try {
            synchronized (policyLock) {
                ended = policy.expire(policyNow());
            }
        } catch (RuntimeException e) {
            LOG.error("policy failed to end quiet sweeps; counted as lost ({})", PIPELINE_ERROR, e);
            onLoss(new LossReport(PIPELINE_ERROR, 1, "the policy failed to end quiet sweeps: " + e.getClass().getSimpleName()));
            return;
        }
        dispatchAll(ended);
    }

    /**
     * Ends every sweep that had its alert, quiet or not, and dispatches the closing alerts: the guard calls it when
     * it closes, after the source stopped and before the sinks close, so that no folded read goes unseen.
     */
    public void flush() {
        List<Alert> ended;
        try {
            synchronized (policyLock) {
                ended = policy.flush(policyNow());
            }
        } catch (RuntimeException e) {
            LOG.error("policy failed to end its sweeps at close; counted as lost ({})", PIPELINE_ERROR, e);
            onLoss(new LossReport(PIPELINE_ERROR, 1, "the policy failed to end its sweeps: " + e.getClass().getSimpleName()));
            return;
        }
        dispatchAll(ended);
    }

    private void dispatchAll(List<Alert> ended) {
        for (Alert a : ended) {
            alerts.increment();
            dispatcher.dispatch(a);
        }
    }

    /** The latest access time plus the monotonic time since; the wall clock before any access. Under the lock. */
    private Instant policyNow() {
        if (latestAccessNanos == Long.MIN_VALUE) {
            return Instant.now();
        }
        long elapsed = Math.max(0, System.nanoTime() - latestSeenAtNanoTime);
        long t = latestAccessNanos + elapsed;
        return Instant.ofEpochSecond(Math.floorDiv(t, 1_000_000_000L), Math.floorMod(t, 1_000_000_000L));
    }

    /** Epoch nanos, saturated far beyond any real time (the policy clamps such times too). */
    private static long epochNanos(Instant t) {
        long s = Math.max(-4_600_000_000L, Math.min(4_600_000_000L, t.getEpochSecond()));
        return s * 1_000_000_000L + t.getNano();
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

    /** Accesses by outcome, keyed by {@link AccessOutcome#id()}, in the enum's order; every outcome present. */
    public Map<String, Long> outcomes() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (AccessOutcome o : OUTCOMES) {
            out.put(o.id(), outcomes[o.ordinal()].sum());
        }
        return out;
    }

    /** Lost events by cause, sorted by cause. */
    public Map<String, Long> lostByCause() {
        Map<String, Long> out = new TreeMap<>();
        lost.forEach((cause, n) -> out.put(cause, n.sum()));
        return out;
    }
}
