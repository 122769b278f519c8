package io.environguard.testkit;

import io.environguard.api.Ancestor;
import io.environguard.api.Coverage;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.spi.AccessListener;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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

    /**
     * One step of a script: exactly one of the three is set.
     *
     * @param access an access to deliver, or {@code null}
     * @param loss   a loss report to deliver, or {@code null}
     * @param pause  how long to wait before the next step, or {@code null}
     */
    public record Step(EnvironAccess access, LossReport loss, Duration pause) {
        /**
         * Checks that exactly one field is set.
         *
         * @param access an access to deliver, or {@code null}
         * @param loss   a loss report to deliver, or {@code null}
         * @param pause  how long to wait before the next step, or {@code null}
         * @throws IllegalArgumentException when none or more than one is set
         */
        public Step {
            int set = (access != null ? 1 : 0) + (loss != null ? 1 : 0) + (pause != null ? 1 : 0);
            if (set != 1) {
                throw new IllegalArgumentException("a step is an access, a loss or a pause");
            }
        }

        /**
         * @param access the access to deliver
         * @return a step that delivers it
         */
        public static Step access(EnvironAccess access) {
            return new Step(Objects.requireNonNull(access), null, null);
        }

        /**
         * @param loss the loss report to deliver
         * @return a step that delivers it
         */
        public static Step loss(LossReport loss) {
            return new Step(null, Objects.requireNonNull(loss), null);
        }

        /**
         * @param pause how long to wait before the next step; keep it short
         * @return a step that waits
         */
        public static Step pause(Duration pause) {
            return new Step(null, null, Objects.requireNonNull(pause));
        }
    }

    private final List<Step> script;
    private final CountDownLatch replayed = new CountDownLatch(1);
    private volatile AccessListener listener;
    private volatile Thread replayer;
    private volatile String failure;
    private final Map<String, Long> metrics = new ConcurrentHashMap<>();
    /** What {@link EventSource#ancestorsOf} answers, by pid; set by the test as a process table would learn it. */
    private final Map<Integer, List<Ancestor>> lineages = new ConcurrentHashMap<>();

    private ScriptedEventSource(List<Step> script) {
        this.script = List.copyOf(script);
    }

    /**
     * @param steps the script, in order
     * @return a source that replays {@code steps} when started
     */
    public static ScriptedEventSource of(List<Step> steps) {
        return new ScriptedEventSource(steps);
    }

    /**
     * @param accesses the accesses, in order
     * @return a source that replays these accesses, in order, with no pauses, when started
     */
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
            public Map<String, Long> metrics() {
                return Map.copyOf(metrics);
            }

            @Override
            public List<Ancestor> ancestorsOf(ProcessInfo process) {
                return lineages.getOrDefault(process.pid(), List.of());
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

    /**
     * Waits until every step of the script was delivered (or the replay was interrupted by the guard's close).
     *
     * @param timeout the longest wait
     * @throws InterruptedException when the waiting thread is interrupted
     * @throws TimeoutException     when {@code timeout} passes first
     */
    public void awaitReplayed(Duration timeout) throws InterruptedException, TimeoutException {
        if (!replayed.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException("the script of " + script.size() + " step(s) was not replayed within " + timeout);
        }
    }

    /**
     * Delivers one more access now, on the caller's thread.
     *
     * @param access the access
     * @throws IllegalStateException when no guard has started the source
     */
    public void emit(EnvironAccess access) {
        requireStarted().onAccess(access);
    }

    /**
     * Delivers a loss report now, on the caller's thread.
     *
     * @param loss the report
     * @throws IllegalStateException when no guard has started the source
     */
    public void emitLoss(LossReport loss) {
        requireStarted().onLoss(loss);
    }

    /**
     * Makes the running source report that it stopped watching ({@link EventSource#failure()}), as a source whose
     * kernel-read thread died would: for tests of health checks.
     *
     * @param why what {@link EventSource#failure()} reports
     */
    public void fail(String why) {
        failure = Objects.requireNonNull(why, "why");
    }

    /**
     * Sets one of the source's own counters or gauges ({@link EventSource#metrics()}).
     *
     * @param name  a snake_case name, e.g. {@code kernel_events_read}
     * @param value its value
     */
    public void setMetric(String name, long value) {
        metrics.put(Objects.requireNonNull(name, "name"), value);
    }

    /**
     * Sets the ancestors the source knows of process {@code pid} from now on ({@link EventSource#ancestorsOf}), as a
     * process table that has caught up would: for readers whose accesses carried a lineage cut short.
     *
     * @param pid       a process id
     * @param ancestors its ancestors, parent first
     */
    public void setLineage(int pid, List<Ancestor> ancestors) {
        lineages.put(pid, List.copyOf(ancestors));
    }

    private AccessListener requireStarted() {
        AccessListener l = listener;
        if (l == null) {
            throw new IllegalStateException("the source has not been started by a guard");
        }
        return l;
    }
}
