package io.environguard.sink.otel;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Builds the SDK the sink uses when the application has no {@code OpenTelemetry} of its own: the SDK's autoconfigure
 * reads the standard {@code otel.*} system properties and {@code OTEL_*} environment variables, over the sink's
 * defaults ({@link OtelSinkSettings#sdkDefaults()}). It is not made global and has no shutdown hook: the sink
 * shuts it down when the guard closes.
 */
final class OwnOpenTelemetry {

    private static final AttributeKey<String> HOST_NAME = AttributeKey.stringKey("host.name");

    private OwnOpenTelemetry() {
    }

    /**
     * The SDK, and whether a log-record exporter reports outcomes to {@code accounting} (the first one configured
     * does; with {@code otel.logs.exporter=none} there is none, and records cannot be accounted for).
     */
    record Built(OpenTelemetrySdk sdk, boolean accounted) {
    }

    static Built build(OtelSinkSettings settings, ExportAccounting accounting) {
        AtomicBoolean wrapped = new AtomicBoolean();
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .setServiceClassLoader(OwnOpenTelemetry.class.getClassLoader())
                .addPropertiesSupplier(settings::sdkDefaults)
                .addResourceCustomizer((resource, config) -> resource.getAttribute(HOST_NAME) != null ? resource
                        : Resource.builder().put(HOST_NAME, HostName.local()).build().merge(resource))
                .addLogRecordExporterCustomizer((exporter, config) ->
                        wrapped.compareAndSet(false, true) ? accounting.wrap(exporter) : exporter)
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        return new Built(sdk, wrapped.get());
    }
}
