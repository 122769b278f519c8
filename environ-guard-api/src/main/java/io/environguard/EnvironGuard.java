package io.environguard;

import io.environguard.api.Ancestor;
import io.environguard.api.ConfigDescription;
import io.environguard.api.ConfigException;
import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.ProcessInfo;
import io.environguard.internal.AlertObservers;
import io.environguard.internal.CoreSettings;
import io.environguard.internal.Dispatcher;
import io.environguard.internal.KeyCatalog;
import io.environguard.internal.NoiseControl;
import io.environguard.internal.Pipeline;
import io.environguard.internal.PolicyTicker;
import io.environguard.internal.ProviderLoader;
import io.environguard.internal.SinkAssembly;
import io.environguard.internal.SourceSelection;
import io.environguard.internal.StartFailure;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.AlertObserver;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guard: one event source, the policy, and the sinks, wired together.
 *
 * <pre>{@code
 * try (EnvironGuard guard = EnvironGuard.builder()
 *         .config(GuardConfig.load())                  // environguard.* system properties, ENVIRONGUARD_* ...
 *         .set("environguard.sinks", "jsonl")
 *         .build()
 *         .start()) {
 *     System.err.println("watching with " + guard.sourceName() + ": " + guard.coverage());
 *     ...
 *     System.err.println(guard.stats());
 * }
 * }</pre>
 *
 * <p>Source selection: the provider named by {@code environguard.source} wins (and start fails with its
 * reason if it is unavailable); with {@code auto} (the default), the available provider of highest
 * priority. If none is available, {@link #start()} fails with a message listing each source and why.
 * Providers come from {@link java.util.ServiceLoader} (a broken one is logged and skipped) and from
 * {@link Builder#addSourceProvider}: a provider added in code runs instead of the discovered ones, and
 * {@code environguard.source} naming a discovered source while one is added in code fails the start.
 */
public final class EnvironGuard implements AutoCloseable {

    /** Names the source, or {@code auto}. */
    public static final String SOURCE = SourceSelection.SOURCE;
    /** Comma-separated sink names; unset: {@code slf4j} plus every provider enabled by default. */
    public static final String SINKS = SinkAssembly.SINKS;
    /** Capacity of each sink's queue. */
    public static final String QUEUE_CAPACITY = CoreSettings.QUEUE_CAPACITY;
    /** How long {@link #close()} waits for sinks to drain. */
    public static final String CLOSE_TIMEOUT = CoreSettings.CLOSE_TIMEOUT;
    /**
     * The procfs root that sources read.
     *
     * @deprecated sources read it from the API they plug into: use {@link GuardConfig#PROC_ROOT}
     */
    @Deprecated
    public static final String PROC_ROOT = GuardConfig.PROC_ROOT;

    /** How long lost events of one cause are added up after an alert of that cause ({@code 60s}; {@code 0s}: none). */
    public static final String LOSS_INTERVAL = NoiseControl.LOSS_INTERVAL;
    /** Prefix of per-rule rate limits: {@code environguard.alerts.rate.<rule>=N/DURATION}, e.g. {@code 20/1m}. */
    public static final String RATE_PREFIX = NoiseControl.RATE_PREFIX;

    private static final Logger LOG = LoggerFactory.getLogger(EnvironGuard.class);

    private final GuardConfig config;
    private final ClassLoader classLoader;
    private final List<EventSourceProvider> extraSources;
    private final List<AlertSinkProvider> extraSinkProviders;
    private final Map<String, AlertSink> extraSinks;
    private final Policy explicitPolicy;
    private final AlertObservers observers = new AlertObservers();

    private final Object lifecycle = new Object();
    private volatile State state = State.NEW;
    private EventSource source;
    private String sourceName;
    private Dispatcher dispatcher;
    private Pipeline pipeline;
    private PolicyTicker ticker;

    private enum State { NEW, RUNNING, CLOSED }

    private EnvironGuard(Builder b) {
        this.config = b.config == null ? GuardConfig.load() : b.config;
        this.classLoader = b.classLoader;
        this.extraSources = List.copyOf(b.sources);
        this.extraSinkProviders = List.copyOf(b.sinkProviders);
        this.extraSinks = Map.copyOf(b.sinks);
        this.explicitPolicy = b.policy;
    }

    /** @return a builder with no configuration yet ({@link GuardConfig#load()} unless {@link Builder#config} is called) */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Selects and starts the source, creates the sinks, and returns once the source is watching.
     *
     * @return this guard, for try-with-resources
     * @throws GuardStartException with a message that says what is missing (a capability, a kernel feature,
     *                             a sink's jar or key) and what to do instead
     */
    public EnvironGuard start() throws GuardStartException {
        synchronized (lifecycle) {
            if (state != State.NEW) {
                throw new IllegalStateException("a guard starts once; this one is " + state.name().toLowerCase(Locale.ROOT));
            }
            ProviderLoader.Loaded<EventSourceProvider> sources = ProviderLoader.load(EventSourceProvider.class, classLoader);
            ProviderLoader.Loaded<AlertSinkProvider> sinkProviders = ProviderLoader.load(AlertSinkProvider.class, classLoader);
            sources.failures().forEach(f -> LOG.warn("{}; skipped", f));
            sinkProviders.failures().forEach(f -> LOG.warn("{}; skipped", f));
            List<AlertSinkProvider> allSinkProviders = concat(extraSinkProviders, sinkProviders.providers());
            KeyCatalog.of(concat(extraSources, sources.providers()), allSinkProviders)
                    .unknownKeyWarnings(config).forEach(LOG::warn);

            SourceSelection.Choice chosen;
            CoreSettings core;
            PolicyConfig policyConfig;
            NoiseControl noise;
            try {
                // The guard's own keys are checked before any source or sink exists, so that a bad value is
                // reported against its key, never blamed on the source.
                core = CoreSettings.from(config);
                policyConfig = explicitPolicy != null ? null : PolicyConfig.from(config);
                chosen = SourceSelection.choose(config, extraSources, sources.providers(), sources.failures());
                noise = NoiseControl.from(config, System::nanoTime);
            } catch (IllegalArgumentException e) {
                String why = describe(e);
                throw new GuardStartException(why.startsWith("invalid configuration: ") ? why : "invalid configuration: " + why, e);
            } catch (StartFailure e) {
                throw new GuardStartException(e.getMessage(), e);
            }
            LOG.debug("phase: providers found and configuration checked");
            Map<String, AlertSink> sinks;
            try {
                sinks = SinkAssembly.create(config, allSinkProviders, extraSinks);
            } catch (StartFailure e) {
                throw new GuardStartException(e.getMessage(), e);
            }
            EventSource s = null;
            Dispatcher d = null;
            try {
                s = chosen.provider().create(config);
                EventSource created = s;
                Policy policy = explicitPolicy != null ? explicitPolicy
                        : new Policy(withGuardedPids(policyConfig, created), ProcessHandle.current().pid(), created::exeOf);
                d = new Dispatcher(sinks, core.queueCapacity(), core.closeTimeout());
                d.start();
                Pipeline p = new Pipeline(policy, d, observers, noise);
                LOG.debug("phase: source created, sinks and dispatcher started");
                s.start(p);
                this.pipeline = p;
            } catch (IOException | RuntimeException | LinkageError e) {
                // LinkageError too: a source plugin with a missing class must fail start() cleanly, not leak threads.
                if (s != null) {
                    s.close();
                }
                if (d != null) {
                    d.close(); // closes the sinks too
                } else {
                    SinkAssembly.closeAll(sinks);
                }
                throw new GuardStartException("source " + chosen.name() + " could not start: " + describe(e), e);
            }
            this.source = s;
            this.sourceName = chosen.name();
            this.dispatcher = d;
            this.ticker = PolicyTicker.start(pipeline, PolicyTicker.DEFAULT_INTERVAL);
            this.state = State.RUNNING;
            LOG.info("environ-guard watching with source {} ({}) and sinks {}", sourceName, chosen.reason(), sinks.keySet());
            return this;
        }
    }

    /**
     * Every configuration key this guard understands (core, policy, and each source and sink on the class path or
     * added to the builder), with its effective value and where that came from, secrets masked; and the keys set
     * that nothing reads. Works before {@link #start()} too, so that a tool can list keys without watching.
     *
     * <pre>{@code
     * System.err.print(EnvironGuard.builder().build().describeConfiguration().toText());
     * }</pre>
     *
     * @return the description
     */
    public ConfigDescription describeConfiguration() {
        ProviderLoader.Loaded<EventSourceProvider> sources = ProviderLoader.load(EventSourceProvider.class, classLoader);
        ProviderLoader.Loaded<AlertSinkProvider> sinkProviders = ProviderLoader.load(AlertSinkProvider.class, classLoader);
        return KeyCatalog.of(concat(extraSources, sources.providers()), concat(extraSinkProviders, sinkProviders.providers()))
                .describe(config);
    }

    /**
     * The ancestors of a process as the running source knows them now ({@link EventSource#ancestorsOf}): for a reader
     * whose lineage was cut short when its access was resolved, asked again once the source has caught up.
     *
     * <pre>{@code
     * List<Ancestor> line = guard.ancestorsOf(alert.access().reader());
     * }</pre>
     *
     * @param process a process, as an access named it
     * @return its ancestors, parent first; empty when the source does not know them, or when the guard is not running
     */
    public List<Ancestor> ancestorsOf(ProcessInfo process) {
        Objects.requireNonNull(process, "process");
        EventSource running;
        synchronized (lifecycle) {
            if (state != State.RUNNING) {
                return List.of();
            }
            running = source;
        }
        try {
            List<Ancestor> line = running.ancestorsOf(process);
            return line == null ? List.of() : line;
        } catch (RuntimeException e) {
            LOG.debug("the source could not look up the ancestors of pid {}", process.pid(), e);
            return List.of();
        }
    }

    /** @return the running source's name */
    public String sourceName() {
        requireRunning();
        return sourceName;
    }

    /** @return what the running source watches and cannot see */
    public Coverage coverage() {
        requireRunning();
        return source.coverage();
    }

    /** @return a snapshot of the counters; after {@link #close()} it holds the final figures */
    public GuardStats stats() {
        synchronized (lifecycle) {
            if (pipeline == null) {
                throw new IllegalStateException("the guard has not started");
            }
            return new GuardStats(pipeline.accesses(), pipeline.alerts(), pipeline.suppressed(),
                    pipeline.lostByCause().values().stream().mapToLong(Long::longValue).sum(),
                    pipeline.lostByCause(), dispatcher.stats(), sourceMetrics(), pipeline.outcomes(),
                    pipeline.rateLimitedByRule());
        }
    }

    /** The source's counters; a source that throws reports none (stats must never fail). */
    private Map<String, Long> sourceMetrics() {
        try {
            Map<String, Long> m = source == null ? null : source.metrics();
            return m == null ? Map.of() : m;
        } catch (RuntimeException | LinkageError e) {
            return Map.of();
        }
    }

    /** @return whether {@link #start()} succeeded and {@link #close()} has not been called */
    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /**
     * Why this guard is not watching, or empty while it watches: not started yet, closed, or its source failed
     * ({@link EventSource#failure()}, e.g. {@code "the fanotify reader thread stopped (...)"}). Health checks call
     * it; it never throws.
     *
     * <pre>{@code
     * int status = guard.failure().isEmpty() ? 200 : 503;
     * }</pre>
     *
     * @return why the guard is not watching (not started, closed, or its source failed); empty while it watches
     */
    public Optional<String> failure() {
        State s = state;
        if (s == State.NEW) {
            return Optional.of("the guard has not started");
        }
        if (s == State.CLOSED) {
            return Optional.of("the guard is closed");
        }
        try {
            Optional<String> f = source.failure();
            return f == null ? Optional.empty() : f.map(why -> "source " + sourceName + " failed: " + why);
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("source " + sourceName + " could not tell whether it is watching: " + e);
        }
    }

    /**
     * Tells {@code observer} of every alert from now on (with its latency from the access), and of every loss
     * report; see {@link AlertObserver}. May be called before or after {@link #start()}, from any thread.
     *
     * @param observer told on the alerting thread, so it must be thread-safe and quick; one that throws is logged and
     *                 skipped for that alert
     */
    public void addAlertObserver(AlertObserver observer) {
        observers.add(observer);
    }

    /**
     * Stops telling {@code observer}.
     *
     * @param observer one passed to {@link #addAlertObserver}
     * @return whether it was registered
     */
    public boolean removeAlertObserver(AlertObserver observer) {
        return observers.remove(observer);
    }

    /**
     * Stops the source, ends every open sweep (its {@code environ_sweep_ended} alert lists what was folded into it),
     * then delivers what is queued within the close timeout. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (state != State.RUNNING) {
                state = State.CLOSED;
                return;
            }
            state = State.CLOSED;
            try {
                source.close();
                LOG.debug("phase: source closed");
            } finally {
                try {
                    ticker.close();
                    pipeline.flush();
                } finally {
                    dispatcher.close();
                }
            }
            GuardStats s = stats();
            s.sinks().stream().filter(k -> k.undelivered() > 0).forEach(k ->
                    LOG.warn("sink {} did not receive {} alert(s) before the close timeout", k.sink(), k.undelivered()));
        }
    }

    /**
     * The policy's configuration plus the pids the source guards, so that what is guarded is protected; this
     * JVM's pid is left to {@code environguard.policy.protect.self}.
     */
    private PolicyConfig withGuardedPids(PolicyConfig base, EventSource s) {
        Set<Integer> pids = new TreeSet<>(base.protectedPids());
        Set<Integer> guarded = new TreeSet<>(s.protectedPids());
        guarded.remove((int) ProcessHandle.current().pid());
        if (!pids.addAll(guarded)) {
            return base;
        }
        return PolicyConfig.from(config.with(PolicyConfig.PROTECT_PIDS,
                String.join(",", pids.stream().map(String::valueOf).toList())));
    }

    /** A failure's message; a bad value is called so, with where it came from when the thrower did not know. */
    private String describe(Throwable e) {
        if (e instanceof ConfigException ce) {
            String problem = ce.getMessage().substring(ce.getMessage().indexOf(": ") + 2);
            return "invalid configuration: " + (ce.origin().isPresent() ? ce.getMessage()
                    : config.invalidValue(ce.key(), problem).getMessage());
        }
        if (e instanceof IllegalArgumentException && String.valueOf(e.getMessage()).startsWith("configuration key ")) {
            return "invalid configuration: " + e.getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("the guard is not running");
        }
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Configures a guard. Without {@link #config}, the guard uses {@link GuardConfig#load()}. */
    public static final class Builder {
        private GuardConfig config;
        private final Map<String, String> overrides = new LinkedHashMap<>();
        private ClassLoader classLoader = Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : EnvironGuard.class.getClassLoader();
        private final List<EventSourceProvider> sources = new ArrayList<>();
        private final List<AlertSinkProvider> sinkProviders = new ArrayList<>();
        private final Map<String, AlertSink> sinks = new LinkedHashMap<>();
        private Policy policy;

        private Builder() {
        }

        /**
         * The base configuration; {@link #set} values win over it.
         *
         * @param config the configuration, e.g. {@link GuardConfig#load()}
         * @return this builder
         */
        public Builder config(GuardConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Sets one key, over the base configuration.
         *
         * @param key   the key, in any spelling
         * @param value its value
         * @return this builder
         */
        public Builder set(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /**
         * Where {@link java.util.ServiceLoader} looks for providers (default: the thread's context class loader).
         *
         * @param classLoader the class loader
         * @return this builder
         */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = Objects.requireNonNull(classLoader);
            return this;
        }

        /**
         * A source provider that runs instead of those found by ServiceLoader (with several added, the available
         * one of highest priority among them), unless {@code environguard.source} names one of them.
         *
         * @param provider the provider, e.g. the testkit's {@code ScriptedEventSource}
         * @return this builder
         */
        public Builder addSourceProvider(EventSourceProvider provider) {
            sources.add(Objects.requireNonNull(provider));
            return this;
        }

        /**
         * A sink provider in addition to those found by ServiceLoader; it wins over a discovered one of the same name.
         *
         * @param provider the provider
         * @return this builder
         */
        public Builder addSinkProvider(AlertSinkProvider provider) {
            sinkProviders.add(Objects.requireNonNull(provider));
            return this;
        }

        /**
         * A sink instance that always receives alerts. When any is added and {@code environguard.sinks} is unset,
         * the default {@code slf4j} sink is not added.
         *
         * @param name the sink's name in {@code stats()}
         * @param sink the sink
         * @return this builder
         */
        public Builder addSink(String name, AlertSink sink) {
            sinks.put(Objects.requireNonNull(name), Objects.requireNonNull(sink));
            return this;
        }

        /**
         * A policy built in code, instead of one read from the {@code environguard.policy.*} keys.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder policy(Policy policy) {
            this.policy = policy;
            return this;
        }

        /** @return the guard, not started */
        public EnvironGuard build() {
            if (!overrides.isEmpty()) {
                GuardConfig.Builder b = GuardConfig.builder();
                b.setAll(config == null ? GuardConfig.load() : config);
                b.setAll(overrides);
                config = b.build();
            }
            return new EnvironGuard(this);
        }
    }
}
