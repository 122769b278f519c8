package io.environguard.internal;

import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the sinks a guard delivers to: those named in {@value #SINKS}, or, when it is unset, every provider
 * enabled by default ({@code slf4j}, and plugins whose own keys are set). Sinks added in code always run and
 * replace the {@code slf4j} fallback. A sink that cannot be created is logged and skipped; the others run.
 *
 * <pre>{@code
 * Map<String, AlertSink> sinks = SinkAssembly.create(config, providers, Map.of("recorder", recorder));
 * }</pre>
 */
public final class SinkAssembly {

    /** Comma-separated sink names; unset: {@code slf4j} plus every provider enabled by default. */
    public static final String SINKS = "environguard.sinks";

    private static final Logger LOG = LoggerFactory.getLogger(SinkAssembly.class);

    private SinkAssembly() {
    }

    /**
     * Creates the sinks.
     *
     * @param config     the configuration
     * @param providers  sink providers, those added in code first (the first of a name wins)
     * @param addedSinks sink instances added in code, by name
     * @return the sinks by name, those added in code first
     * @throws StartFailure when a named sink is unknown, or when no sink at all could be created
     */
    public static Map<String, AlertSink> create(GuardConfig config, List<AlertSinkProvider> providers,
                                                Map<String, AlertSink> addedSinks) throws StartFailure {
        Map<String, AlertSinkProvider> byName = new LinkedHashMap<>();
        for (AlertSinkProvider p : providers) {
            byName.putIfAbsent(ProviderCalls.name(p), p);
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
                if ((!slf4jFallback || addedSinks.isEmpty()) && ProviderCalls.enabledByDefault(p, config)) {
                    names.add(name);
                }
            });
        }
        Map<String, AlertSink> sinks = new LinkedHashMap<>(addedSinks);
        List<String> broken = new ArrayList<>();
        for (String name : names) {
            if (!byName.containsKey(name)) {
                throw new StartFailure("no sink named " + name + " (" + SINKS + "); known sinks: " + byName.keySet()
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
            throw new StartFailure("no sink could be created" + (broken.isEmpty() ? "" : ": " + broken)
                    + "; set " + SINKS + " (known: " + byName.keySet() + ")");
        }
        return sinks;
    }

    /**
     * Closes sinks that will never run (start failed after they were created); a sink that throws is logged.
     *
     * @param sinks the sinks to close
     */
    public static void closeAll(Map<String, AlertSink> sinks) {
        sinks.forEach((name, sink) -> {
            try {
                sink.close();
            } catch (Exception e) {
                LOG.warn("sink {} failed to close: {}", name, e.toString());
            }
        });
    }
}
