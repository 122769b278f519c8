package io.environguard;

import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.internal.Dispatcher;
import io.environguard.internal.Pipeline;
import io.environguard.internal.PolicyTicker;
import io.environguard.internal.ProviderLoader;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
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
 * {@link Builder#addSourceProvider}.
 */
public final class EnvironGuard implements AutoCloseable {

    /** Names the source, or {@code auto}. */
    public static final String SOURCE = "environguard.source";
    /** Comma-separated sink names; unset: {@code slf4j} plus every provider enabled by default. */
    public static final String SINKS = "environguard.sinks";
    /** Capacity of each sink's queue. */
    public static final String QUEUE_CAPACITY = "environguard.dispatch.queue.capacity";
    /** How long {@link #close()} waits for sinks to drain. */
    public static final String CLOSE_TIMEOUT = "environguard.dispatch.close.timeout";
    /** The procfs root that sources read ({@code /proc}); the testkit points it at simulated trees. */
    public static final String PROC_ROOT = "environguard.proc.root";

    private static final Set<String> CORE_KEYS =
            Set.of(SOURCE, SINKS, QUEUE_CAPACITY, CLOSE_TIMEOUT, PROC_ROOT, GuardConfig.CONFIG_FILE);
    private static final Logger LOG = LoggerFactory.getLogger(EnvironGuard.class);

    private final GuardConfig config;
    private final ClassLoader classLoader;
    private final List<EventSourceProvider> extraSources;
    private final List<AlertSinkProvider> extraSinkProviders;
    private final Map<String, AlertSink> extraSinks;
    private final Policy explicitPolicy;

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
            List<EventSourceProvider> allSources = concat(extraSources, sources.providers());
            List<AlertSinkProvider> allSinkProviders = concat(extraSinkProviders, sinkProviders.providers());
            warnUnknownKeys(allSources, allSinkProviders);

            EventSourceProvider chosen = chooseSource(allSources, sources.failures());
            Map<String, AlertSink> sinks = createSinks(allSinkProviders);
            PolicyConfig policyConfig;
            int queueCapacity;
            Duration closeTimeout;
            try {
                policyConfig = explicitPolicy != null ? null : PolicyConfig.from(config);
                queueCapacity = config.getInt(QUEUE_CAPACITY, 1024);
                closeTimeout = config.getDuration(CLOSE_TIMEOUT, Duration.ofSeconds(5));
            } catch (IllegalArgumentException e) {
                closeAll(sinks);
                throw new GuardStartException("invalid configuration: " + e.getMessage(), e);
            }
            EventSource s = null;
            Dispatcher d = null;
            try {
                s = chosen.create(config);
                EventSource created = s;
                Policy policy = explicitPolicy != null ? explicitPolicy
                        : new Policy(withGuardedPids(policyConfig, created), ProcessHandle.current().pid(), created::exeOf);
                d = new Dispatcher(sinks, queueCapacity, closeTimeout);
                d.start();
                Pipeline p = new Pipeline(policy, d);
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
                    closeAll(sinks);
                }
                throw new GuardStartException("source " + safeName(chosen) + " could not start: " + e.getMessage(), e);
            }
            this.source = s;
            this.sourceName = safeName(chosen);
            this.dispatcher = d;
            this.ticker = PolicyTicker.start(pipeline, PolicyTicker.DEFAULT_INTERVAL);
            this.state = State.RUNNING;
            LOG.info("environ-guard watching with source {} and sinks {}", sourceName, sinks.keySet());
            return this;
        }
    }

    /** The running source's name. */
    public String sourceName() {
        requireRunning();
        return sourceName;
    }

    /** What the running source watches and cannot see. */
    public Coverage coverage() {
        requireRunning();
        return source.coverage();
    }

    /** A snapshot of the counters; after {@link #close()} it holds the final figures. */
    public GuardStats stats() {
        synchronized (lifecycle) {
            if (pipeline == null) {
                throw new IllegalStateException("the guard has not started");
            }
            return new GuardStats(pipeline.accesses(), pipeline.alerts(), pipeline.suppressed(),
                    pipeline.lostByCause().values().stream().mapToLong(Long::longValue).sum(),
                    pipeline.lostByCause(), dispatcher.stats(), sourceMetrics(), pipeline.outcomes());
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

    public boolean isRunning() {
        return state == State.RUNNING;
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

    private static void closeAll(Map<String, AlertSink> sinks) {
        sinks.forEach((name, sink) -> {
            try {
                sink.close();
            } catch (Exception e) {
                LOG.warn("sink {} failed to close: {}", name, e.toString());
            }
        });
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("the guard is not running");
        }
    }

    private EventSourceProvider chooseSource(List<EventSourceProvider> all, List<String> loadFailures) throws GuardStartException {
        String wanted = config.getString(SOURCE, "auto").trim().toLowerCase(Locale.ROOT);
        List<String> why = new ArrayList<>();
        if (!wanted.equals("auto")) {
            for (EventSourceProvider p : all) {
                if (wanted.equals(safeName(p))) {
                    Availability a = availability(p);
                    if (!a.available()) {
                        throw new GuardStartException("source " + wanted + " (chosen by " + SOURCE + ") is unavailable: " + a.detail());
                    }
                    return p;
                }
            }
            throw new GuardStartException("no source named " + wanted + " (" + SOURCE + "); known sources: "
                    + names(all) + failuresSuffix(loadFailures));
        }
        List<EventSourceProvider> byPriority = new ArrayList<>(all);
        byPriority.sort(Comparator.comparingInt(EnvironGuard::safePriority).reversed());
        for (EventSourceProvider p : byPriority) {
            Availability a = availability(p);
            if (a.available()) {
                return p;
            }
            why.add(safeName(p) + ": " + a.detail());
        }
        if (byPriority.isEmpty()) {
            throw new GuardStartException("no event source is on the classpath; add environ-guard-linux (fanotify and procfs sources)"
                    + failuresSuffix(loadFailures));
        }
        throw new GuardStartException("no event source can run here:\n  " + String.join("\n  ", why) + failuresSuffix(loadFailures));
    }

    private Map<String, AlertSink> createSinks(List<AlertSinkProvider> providers) throws GuardStartException {
        Map<String, AlertSinkProvider> byName = new LinkedHashMap<>();
        for (AlertSinkProvider p : providers) {
            byName.putIfAbsent(safeName(p), p);
        }
        List<String> names;
        if (config.contains(SINKS)) {
            names = config.getList(SINKS).stream().map(n -> n.toLowerCase(Locale.ROOT)).distinct().toList();
        } else {
            // Unset: every provider that is enabled by default (slf4j, and plugins whose own keys are set);
            // sinks added in code replace the slf4j fallback, so that an embedding application's alerts are not logged twice.
            names = new ArrayList<>();
            byName.forEach((name, p) -> {
                boolean slf4jFallback = name.equals("slf4j");
                if ((!slf4jFallback || extraSinks.isEmpty()) && enabledByDefault(p, config)) {
                    names.add(name);
                }
            });
        }
        Map<String, AlertSink> sinks = new LinkedHashMap<>(extraSinks);
        List<String> broken = new ArrayList<>();
        for (String name : names) {
            if (!byName.containsKey(name)) {
                throw new GuardStartException("no sink named " + name + " (" + SINKS + "); known sinks: " + byName.keySet()
                        + "; a sink plugin is added by putting its jar on the classpath");
            }
        }
        for (String name : names) {
            AlertSinkProvider p = byName.get(name);
            try {
                sinks.put(name, Objects.requireNonNull(p.create(config), "provider returned no sink"));
            } catch (Exception | LinkageError e) {
                // A broken sink never stops the others: report it and go on with the rest.
                broken.add(name + ": " + e.getMessage());
                LOG.error("sink {} could not be created and is skipped: {}", name, e.toString());
            }
        }
        if (sinks.isEmpty()) {
            throw new GuardStartException("no sink could be created" + (broken.isEmpty() ? "" : ": " + broken)
                    + "; set " + SINKS + " (known: " + byName.keySet() + ")");
        }
        return sinks;
    }

    private void warnUnknownKeys(List<EventSourceProvider> sources, List<AlertSinkProvider> sinks) {
        Set<String> known = new TreeSet<>(CORE_KEYS);
        known.addAll(PolicyConfig.KEYS);
        List<String> prefixes = new ArrayList<>();
        sources.forEach(p -> prefixes.add("environguard.source." + safeName(p) + "."));
        sinks.forEach(p -> prefixes.add("environguard.sink." + safeName(p) + "."));
        for (String key : config.unknownKeys(known, prefixes)) {
            LOG.warn("unknown configuration key {} is ignored (misspelt, or its provider is not on the classpath)", key);
        }
    }

    private static Availability availability(EventSourceProvider p) {
        try {
            return Objects.requireNonNull(p.availability(), "no availability");
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("its availability probe failed: " + e);
        }
    }

    private static boolean enabledByDefault(AlertSinkProvider p, GuardConfig config) {
        try {
            return p.enabledByDefault(config);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("sink provider {} failed to say whether it is enabled: {}", p.getClass().getName(), e.toString());
            return false;
        }
    }

    private static String safeName(Object provider) {
        try {
            if (provider instanceof EventSourceProvider s) {
                return s.name().toLowerCase(Locale.ROOT);
            }
            return ((AlertSinkProvider) provider).name().toLowerCase(Locale.ROOT);
        } catch (RuntimeException | LinkageError e) {
            return provider.getClass().getName();
        }
    }

    private static int safePriority(EventSourceProvider p) {
        try {
            return p.priority();
        } catch (RuntimeException | LinkageError e) {
            return Integer.MIN_VALUE;
        }
    }

    private static String names(List<EventSourceProvider> all) {
        return all.isEmpty() ? "none" : all.stream().map(EnvironGuard::safeName).toList().toString();
    }

    private static String failuresSuffix(List<String> failures) {
        return failures.isEmpty() ? "" : "\n  (also: " + String.join("; ", failures) + ")";
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

        /** The base configuration; {@link #set} values win over it. */
        public Builder config(GuardConfig config) {
            this.config = config;
            return this;
        }

        /** Sets one key, over the base configuration. */
        public Builder set(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /** Where {@link java.util.ServiceLoader} looks for providers. */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = Objects.requireNonNull(classLoader);
            return this;
        }

        /** A source provider in addition to those found by ServiceLoader. */
        public Builder addSourceProvider(EventSourceProvider provider) {
            sources.add(Objects.requireNonNull(provider));
            return this;
        }

        /** A sink provider in addition to those found by ServiceLoader. */
        public Builder addSinkProvider(AlertSinkProvider provider) {
            sinkProviders.add(Objects.requireNonNull(provider));
            return this;
        }

        /**
         * A sink instance that always receives alerts. When any is added and {@code environguard.sinks} is unset,
         * the default {@code slf4j} sink is not added.
         */
        public Builder addSink(String name, AlertSink sink) {
            sinks.put(Objects.requireNonNull(name), Objects.requireNonNull(sink));
            return this;
        }

        /** A policy built in code, instead of {@code Policy.fromConfig(config)}. */
        public Builder policy(Policy policy) {
            this.policy = policy;
            return this;
        }

        public EnvironGuard build() {
            if (!overrides.isEmpty()) {
                GuardConfig.Builder b = GuardConfig.builder();
                b.setAll((config == null ? GuardConfig.load() : config).asMap());
                b.setAll(overrides);
                config = b.build();
            }
            return new EnvironGuard(this);
        }
    }
}
