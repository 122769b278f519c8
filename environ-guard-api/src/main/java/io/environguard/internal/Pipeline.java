package io.environguard.internal;

import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.policy.Policy;
import io.environguard.spi.AccessListener;
import io.environguard.spi.AlertObserver;
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
    private final AlertObservers observers;
    private final NoiseControl noise;
    /** For latencies: renewed every tick, so that a wall-clock step shows within a second. */
    private volatile WallClock wallClock = WallClock.now();
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

    /**
     * @param policy     judges each access; called under a lock, one at a time
     * @param dispatcher where alerts go
     * @param observers  told of every alert after it is dispatched, and of every loss report
     */
    public Pipeline(Policy policy, Dispatcher dispatcher, AlertObservers observers) {
        this(judge(policy), dispatcher, observers, NoiseControl.none());
    }

    /**
     * @param policy     judges each access; called under a lock, one at a time
     * @param dispatcher where alerts go
     * @param observers  told of every alert after it is dispatched, and of every loss report
     * @param noise      aggregates loss alerts and applies rate limits; what it holds back it hands over on
     *                   {@link #tick()} and {@link #flush()}
     */
    public Pipeline(Policy policy, Dispatcher dispatcher, AlertObservers observers, NoiseControl noise) {
        this(judge(policy), dispatcher, observers, noise);
    }

    Pipeline(Judge policy, Dispatcher dispatcher) {
        this(policy, dispatcher, new AlertObservers(), NoiseControl.none());
    }

    Pipeline(Judge policy, Dispatcher dispatcher, AlertObservers observers, NoiseControl noise) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.observers = Objects.requireNonNull(observers, "observers");
        this.noise = Objects.requireNonNull(noise, "noise");
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
        if (alert.isPresent() && noise.limitsAny()) {
            NoiseControl.Decision d = noise.admit(alert.get());
            dispatchAll(d.due());
            if (!d.pass()) {
                // Held back by its rule's rate limit: counted here, listed in that rule's summary at the window's end.
                outcome = AccessOutcome.RATE_LIMITED;
                alert = Optional.empty();
            }
        }
        outcomes[outcome.ordinal()].increment();
        if (alert.isPresent()) {
            alerts.increment();
            dispatcher.dispatch(alert.get());
            if (observers.any()) {
                // A clock read only for an observer that wants it: at high alert rates a sampling observer declines.
                observers.alert(alert.get(),
                        observers.wantLatency() ? nanosSince(access.time()) : AlertObserver.NOT_MEASURED);
            }
        } else {
            suppressed.increment();
        }
    }

    /**
     * Nanoseconds from {@code time} to now on the wall clock (access times are wall-clock instants); 0 if it stepped
     * back. "Now" is the wall clock read at the last {@link #tick()} plus the monotonic time since: one
     * {@code System.nanoTime()} per alert instead of a wall-clock read, which costs several times more.
     */
    private long nanosSince(Instant time) {
        WallClock c = wallClock;
        long now = c.wallNanos + (System.nanoTime() - c.monoNanos);
        return Math.max(0, now - epochNanos(time));
    }

    /** The wall clock (epoch nanos) and the monotonic clock read together; renewed on every tick. */
    private record WallClock(long wallNanos, long monoNanos) {
        static WallClock now() {
            Instant w = Instant.now();
            return new WallClock(epochNanos(w), System.nanoTime());
        }
    }

    @Override
    public void onLoss(LossReport loss) {
        lost.computeIfAbsent(loss.cause(), k -> new LongAdder()).add(loss.count());
        if (observers.any()) {
            observers.loss(loss);
        }
        // Aggregated per cause (the first at once, the rest once per interval); certainly-no-read reports only counted.
        dispatchAll(noise.onLoss(loss));
    }

    /**
     * Ends the sweeps that have been quiet for a window by the policy's clock and dispatches their closing
     * alerts. The guard's ticker calls it about once a second; safe from any thread.
     */
    public void tick() {
        wallClock = WallClock.now();
        dispatchAll(noise.tick());
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
            ended = List.of();
        }
        dispatchAll(ended);
        // Last: whatever rate limits and loss aggregation still hold, so that nothing held back goes unseen.
        dispatchAll(noise.flush());
    }

    /** Alerts held back by rate limits so far, by rule. */
    public Map<String, Long> rateLimitedByRule() {
        return noise.rateLimitedByRule();
    }

    private void dispatchAll(List<Alert> ended) {
        for (Alert a : ended) {
            alerts.increment();
            dispatcher.dispatch(a);
            if (observers.any()) {
                observers.alert(a, AlertObserver.NO_ACCESS); // raised by the clock, not by an access: nothing to measure
            }
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
