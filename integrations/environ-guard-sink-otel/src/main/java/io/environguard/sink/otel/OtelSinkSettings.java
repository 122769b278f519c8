package io.environguard.sink.otel;

import io.environguard.api.GuardConfig;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The OpenTelemetry sink's configuration, read from the keys of {@link OtelSinkProvider}.
 *
 * <pre>{@code
 * OtelSinkSettings s = OtelSinkSettings.from(GuardConfig.of(Map.of(
 *         "environguard.sink.otel.exporter.otlp.endpoint", "http://collector:4318")));
 * s.sdkDefaults();   // {otel.exporter.otlp.endpoint=http://collector:4318, otel.blrp.export.timeout=10000, ...}
 * }</pre>
 *
 * @param instance     which {@code OpenTelemetry} the sink uses
 * @param flushTimeout how long closing waits for queued records to be exported
 * @param otelSettings {@code otel.*} settings given as {@code environguard.sink.otel.*} keys, by {@code otel.*} name;
 *                     they are defaults for the SDK the sink builds: {@code otel.*} system properties and
 *                     {@code OTEL_*} environment variables win over them
 */
public record OtelSinkSettings(Instance instance, Duration flushTimeout, Map<String, String> otelSettings) {

    /** Which {@code OpenTelemetry} instance the sink logs through. */
    public enum Instance {
        /** The one passed in code, else {@code GlobalOpenTelemetry} if the application set it, else {@link #OWN}. */
        AUTO,
        /** {@code GlobalOpenTelemetry}, which must have been set (e.g. by the OpenTelemetry Java agent). */
        GLOBAL,
        /** One the sink builds from {@code otel.*} settings with the SDK's autoconfigure, and shuts down on close. */
        OWN
    }

    /** The flush timeout when {@link OtelSinkProvider#FLUSH_TIMEOUT} is unset: 2 seconds. */
    public static final Duration DEFAULT_FLUSH_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Defaults for the SDK the sink builds: logs only, OTLP over HTTP/protobuf (the JDK's HTTP client; gRPC would
     * need another sender), and export bounded in time so that an unreachable or hanging collector costs the
     * sink's queue, never the other sinks.
     */
    static final Map<String, String> SDK_DEFAULTS = sdkDefaults0();

    private static final Set<String> OWN_KEYS = Set.of(OtelSinkProvider.INSTANCE, OtelSinkProvider.FLUSH_TIMEOUT);

    /**
     * Checks the fields and keeps a sorted, unmodifiable copy of {@code otelSettings}.
     *
     * @param instance     which {@code OpenTelemetry} the sink uses
     * @param flushTimeout how long closing waits for queued records; zero or more
     * @param otelSettings SDK defaults by {@code otel.*} name; empty for none
     * @throws IllegalArgumentException when {@code flushTimeout} is negative
     */
    public OtelSinkSettings {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(flushTimeout, "flushTimeout");
        otelSettings = Collections.unmodifiableMap(new TreeMap<>(otelSettings));
        if (flushTimeout.isNegative()) {
            throw new IllegalArgumentException(OtelSinkProvider.FLUSH_TIMEOUT + ": expected a duration of 0 or more");
        }
    }

    /**
     * Reads the settings from the {@code environguard.sink.otel.*} keys of {@code config}; every other key under that
     * prefix becomes the {@code otel.*} setting of the same name.
     *
     * @param config the guard's configuration
     * @return the settings, with the defaults for unset keys
     * @throws IllegalArgumentException naming the key (never the value) when one is wrong
     */
    public static OtelSinkSettings from(GuardConfig config) {
        String prefix = GuardConfig.normalize(OtelSinkProvider.PREFIX);
        Set<String> own = new java.util.HashSet<>();
        OWN_KEYS.forEach(k -> own.add(GuardConfig.normalize(k)));
        Map<String, String> otel = new LinkedHashMap<>();
        config.asMap().forEach((key, value) -> {
            String normalized = GuardConfig.normalize(key);
            if (normalized.startsWith(prefix) && normalized.length() > prefix.length() && !own.contains(normalized)) {
                otel.put("otel." + normalized.substring(prefix.length()), value);
            }
        });
        String mode = config.getString(OtelSinkProvider.INSTANCE, "auto").trim().toUpperCase(Locale.ROOT);
        Instance instance;
        try {
            instance = Instance.valueOf(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(OtelSinkProvider.INSTANCE + ": expected auto, global or own");
        }
        return new OtelSinkSettings(instance, config.getDuration(OtelSinkProvider.FLUSH_TIMEOUT, DEFAULT_FLUSH_TIMEOUT), otel);
    }

    /**
     * The defaults the sink gives its own SDK: logs only, OTLP over HTTP/protobuf, export bounded in time, each
     * overridden by {@link #otelSettings()}.
     *
     * @return {@code otel.*} name to value, unmodifiable
     */
    public Map<String, String> sdkDefaults() {
        Map<String, String> out = new LinkedHashMap<>(SDK_DEFAULTS);
        out.putAll(otelSettings);
        return Collections.unmodifiableMap(out);
    }

    private static Map<String, String> sdkDefaults0() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("otel.service.name", "environ-guard");
        d.put("otel.logs.exporter", "otlp");
        d.put("otel.traces.exporter", "none");
        d.put("otel.metrics.exporter", "none");
        d.put("otel.exporter.otlp.protocol", "http/protobuf");
        d.put("otel.exporter.otlp.timeout", "5000");
        d.put("otel.blrp.schedule.delay", "1000");
        d.put("otel.blrp.max.queue.size", "2048");
        d.put("otel.blrp.max.export.batch.size", "512");
        d.put("otel.blrp.export.timeout", "10000");
        return Collections.unmodifiableMap(d);
    }

    /** Names only: {@code otel.*} settings may hold secrets (an {@code Authorization} header). */
    @Override
    public String toString() {
        return "OtelSinkSettings[instance=" + instance.name().toLowerCase(Locale.ROOT) + ", flushTimeout=" + flushTimeout
                + ", otel keys=" + otelSettings.keySet() + "]";
    }
}
