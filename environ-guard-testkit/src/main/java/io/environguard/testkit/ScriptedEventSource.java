package io.environguard.testkit;

import io.environguard.api.Coverage;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.spi.AccessListener;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An event source that replays a script of accesses and losses through the real pipeline (policy, dispatcher,
 * sinks), so that a sink, a policy or an agent can be tested without a kernel. Add it to the builder with
 * {@code addSourceProvider}: a source added in code runs instead of any source found on the class path (unless
 * {@code environguard.source} names another source, which start refuses with a message that says so).
 *
 * <pre>{@code
 * ScriptedEventSource source = ScriptedEventSource.of(List.of(
 *         ScriptedEventSource.Step.access(accessOfCatReadingSleep),
 *         ScriptedEventSource.Step.loss(new LossReport("queue_overflow", 1, "test"))));
 * RecordingSink sink = new RecordingSink();
 * try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
 *         .addSourceProvider(source).addSink("rec", sink).build().start()) {
 *     source.awaitReplayed(Duration.ofSeconds(5));
 *     assertEquals(2, sink.awaitAlerts(2, Duration.ofSeconds(5)).size());
 * }
 * }</pre>
 *
 * <p>The script is replayed once, in order, on a thread of its own that {@link EventSource#start} starts. While a
 * guard runs, {@link #emit} and {@link #emitLoss} deliver more at any time.
 */
public final class ScriptedEventSource implements EventSourceProvider {

    /** The name to select it by. */
    public static final String NAME = "scripted";

    /** One step of a script: exactly one of the three is set. */
    public record Step(EnvironAccess access, LossReport loss, Duration pause) {
        public Step {
            int set = (access != null ? 1 : 0) + (loss != null ? 1 : 0) + (pause != null ? 1 : 0);
            if (set != 1) {
                throw new IllegalArgumentException("a step is an access, a loss or a pause");
            }
        }

        public static Step access(EnvironAccess access) {
            return new Step(Objects.requireNonNull(access), null, null);
        }

        public static Step loss(LossReport loss) {
            return new Step(null, Objects.requireNonNull(loss), null);
        }

        /** Waits before the next step (bounded by the caller's script; keep it short). */
        public static Step pause(Duration pause) {
            return new Step(null, null, Objects.requireNonNull(pause));
        }
    }

    private final List<Step> script;
    private final CountDownLatch replayed = new CountDownLatch(1);
    private volatile AccessListener listener;
    private volatile Thread replayer;
    private volatile String failure;
    private final java.util.Map<String, Long> metrics = new java.util.concurrent.ConcurrentHashMap<>();

    private ScriptedEventSource(List<Step> script) {
        this.script = List.copyOf(script);
    }

    /** A source that replays {@code steps} when started. */
    public static ScriptedEventSource of(List<Step> steps) {
        return new ScriptedEventSource(steps);
    }

    /** A source that replays these accesses, in order, with no pauses. */
    public static ScriptedEventSource ofAccesses(List<EnvironAccess> accesses) {
        List<Step> steps = new ArrayList<>(accesses.size());
        accesses.forEach(a -> steps.add(Step.access(a)));
        return new ScriptedEventSource(steps);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Lowest priority: among several sources added in code, it runs only when no other can. */
    @Override
    public int priority() {
        return Integer.MIN_VALUE;
    }

    @Override
    public Availability availability() {
        return Availability.available("replays a script of " + script.size() + " step(s)");
    }

    @Override
    public EventSource create(GuardConfig config) {
        return new EventSource() {
            @Override
            public void start(AccessListener l) {
                if (listener != null) {
                    throw new IllegalStateException("a scripted source replays its script once");
                }
                listener = l;
                Thread t = new Thread(ScriptedEventSource.this::replay, "environ-guard-scripted-source");
                t.setDaemon(true);
                replayer = t;
                t.start();
            }

            @Override
            public Coverage coverage() {
                return new Coverage(NAME, List.of("the accesses of its script"), List.of("everything else: it watches no kernel"));
            }

            @Override
            public java.util.Optional<String> failure() {
                return java.util.Optional.ofNullable(failure);
            }

            @Override
            public java.util.Map<String, Long> metrics() {
                return java.util.Map.copyOf(metrics);
            }

            @Override
            public void close() {
                Thread t = replayer;
                if (t != null) {
                    t.interrupt();
                }
            }
        };
    }

    private void replay() {
        try {
            for (Step step : script) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                if (step.access() != null) {
                    listener.onAccess(step.access());
                } else if (step.loss() != null) {
                    listener.onLoss(step.loss());
                } else {
                    Thread.sleep(step.pause().toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            replayed.countDown();
        }
    }

    /** Waits until every step of the script was delivered. */
    public void awaitReplayed(Duration timeout) throws InterruptedException, TimeoutException {
        if (!replayed.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("the script of " + script.size() + " step(s) was not replayed within " + timeout);
        }
    }

    /** Delivers one more access now, on the caller's thread. */
    public void emit(EnvironAccess access) {
        requireStarted().onAccess(access);
    }

    /** Delivers a loss report now, on the caller's thread. */
    public void emitLoss(LossReport loss) {
        requireStarted().onLoss(loss);
    }

    /**
     * Makes the running source report that it stopped watching ({@link EventSource#failure()}), as a source whose
     * kernel-read thread died would: for tests of health checks.
     */
    public void fail(String why) {
        failure = Objects.requireNonNull(why, "why");
    }

    /** Sets one of the source's own counters or gauges ({@link EventSource#metrics()}), e.g. {@code kernel_events_read}. */
    public void setMetric(String name, long value) {
        metrics.put(Objects.requireNonNull(name, "name"), value);
    }

    private AccessListener requireStarted() {
        AccessListener l = listener;
        if (l == null) {
            throw new IllegalStateException("the source has not been started by a guard");
        }
        return l;
    }
}
