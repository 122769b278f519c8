package io.environguard.sink.otel;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.util.List;
import java.util.Objects;

/**
 * The {@code otel} sink: each alert becomes an OpenTelemetry log record, exported like the rest of the application's
 * telemetry (usually over OTLP to an OpenTelemetry Collector).
 *
 * <pre>{@code
 * // With the application's own OpenTelemetry (the same pipeline as its traces and metrics):
 * EnvironGuard guard = EnvironGuard.builder()
 *         .addSinkProvider(new OtelSinkProvider(openTelemetry))
 *         .set("environguard.sinks", "otel")
 *         .build().start();
 *
 * // Or one the sink builds from the standard settings (OTEL_EXPORTER_OTLP_ENDPOINT, -Dotel.service.name ...):
 * EnvironGuard.builder().set("environguard.sinks", "otel").build().start();
 * }</pre>
 *
 * <p>Which {@code OpenTelemetry}: the one passed to the constructor; else, with {@value #INSTANCE} {@code auto} (the
 * default), {@code GlobalOpenTelemetry} when the application (or the OpenTelemetry Java agent) set it; else one built
 * by the SDK's autoconfigure from {@code otel.*} system properties and {@code OTEL_*} variables, over defaults that
 * the keys {@code environguard.sink.otel.<rest>} give as {@code otel.<rest>} (e.g.
 * {@code environguard.sink.otel.exporter.otlp.endpoint}). That one exports logs only, over OTLP HTTP/protobuf, and is
 * shut down with the guard. See {@link AlertLogRecords} for the record's attributes.
 *
 * <p>Found through {@link java.util.ServiceLoader}: it runs when {@code environguard.sinks} names {@code otel}, or,
 * with {@code environguard.sinks} unset, when any {@code environguard.sink.otel.*} key is set.
 */
public final class OtelSinkProvider implements AlertSinkProvider {

    /** The sink's name, for {@code environguard.sinks}. */
    public static final String NAME = "otel";
    /** Every key of this sink starts with this. */
    public static final String PREFIX = "environguard.sink.otel.";
    /** {@code auto} (default), {@code global} or {@code own}: see {@link OtelSinkSettings.Instance}. */
    public static final String INSTANCE = "environguard.sink.otel.instance";
    /** How long closing waits for queued records to be exported; default 2s. */
    public static final String FLUSH_TIMEOUT = "environguard.sink.otel.flush.timeout";

    private final OpenTelemetry openTelemetry;

    /** Public and cheap, for {@link java.util.ServiceLoader}: the instance is chosen when the sink is created. */
    public OtelSinkProvider() {
        this.openTelemetry = null;
    }

    /**
     * A provider whose sink logs through {@code openTelemetry}: the application's, which the sink flushes on close but
     * never shuts down. Add it with {@code EnvironGuard.Builder.addSinkProvider}; it takes the place of the one
     * {@code ServiceLoader} finds.
     *
     * @param openTelemetry the application's instance; the {@code instance} setting is then ignored
     */
    public OtelSinkProvider(OpenTelemetry openTelemetry) {
        this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<ConfigKey> keys() {
        return List.of(
                ConfigKey.of(INSTANCE, "auto", "which OpenTelemetry: auto (the global one if set, else its own), global or own"),
                ConfigKey.of(FLUSH_TIMEOUT, "2s", "how long closing waits for queued records to be exported"),
                ConfigKey.family(PREFIX, "defaults for the SDK's otel.* settings of its own instance"
                        + " (environguard.sink.otel.<rest> for otel.<rest>)", true));
    }

    /**
     * @throws IllegalArgumentException naming the key when a setting is wrong, or when {@code global} is asked for
     *                                  and the application set no {@code GlobalOpenTelemetry}
     */
    @Override
    public AlertSink create(GuardConfig config) {
        OtelSinkSettings settings = OtelSinkSettings.from(config);
        if (openTelemetry != null) {
            return new OtelLogsSink(openTelemetry, null, false, settings.flushTimeout());
        }
        boolean global = GlobalOpenTelemetry.isSet();
        if (settings.instance() == OtelSinkSettings.Instance.GLOBAL && !global) {
            throw new IllegalArgumentException(INSTANCE + " is global, but the application set no GlobalOpenTelemetry"
                    + " (start the OpenTelemetry Java agent, or call GlobalOpenTelemetry.set, before the guard)");
        }
        if (global && settings.instance() != OtelSinkSettings.Instance.OWN) {
            return new OtelLogsSink(GlobalOpenTelemetry.get(), null, false, settings.flushTimeout());
        }
        ExportAccounting accounting = new ExportAccounting();
        OwnOpenTelemetry.Built built;
        try {
            built = OwnOpenTelemetry.build(settings, accounting);
        } catch (RuntimeException e) {
            // Autoconfigure's messages name the otel.* property and the value that was wrong; a header value may be a token.
            throw new IllegalArgumentException("the OpenTelemetry SDK could not be configured from the otel.* settings ("
                    + e.getClass().getSimpleName() + "; the message is not repeated here, as it may quote a secret)");
        }
        // No exporter to account through (otel.logs.exporter=none): an alert counts as delivered once emitted.
        return new OtelLogsSink(built.sdk(), built.accounted() ? accounting : null, true, settings.flushTimeout());
    }

    /** On when any of this sink's keys is set. */
    @Override
    public boolean enabledByDefault(GuardConfig config) {
        String prefix = GuardConfig.normalize(PREFIX);
        return config.asMap().keySet().stream().anyMatch(k -> GuardConfig.normalize(k).startsWith(prefix));
    }
}
