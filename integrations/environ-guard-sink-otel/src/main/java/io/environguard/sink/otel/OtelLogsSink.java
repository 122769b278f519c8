package io.environguard.sink.otel;

import io.environguard.api.Alert;
import io.environguard.spi.AsyncAlertSink;
import io.environguard.spi.DeliveryReceipt;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Emits each alert as one log record ({@link AlertLogRecords}). Emitting never blocks: the SDK's batch processor
 * queues the record and exports it from its own thread, so a collector that is down, slow or hanging costs only
 * that queue.
 *
 * <p>With the SDK the sink built for itself, each record's outcome is reported ({@link ExportAccounting}): delivered
 * when its batch was exported, failed when the export failed after the exporter's retries, when the queue was full,
 * or when the sink closed first. With the application's {@code OpenTelemetry}, whose export pipeline belongs to the
 * application, an alert counts as delivered once the SDK accepted it; the SDK's own logs and metrics say what
 * happened next.
 */
final class OtelLogsSink implements AsyncAlertSink {

    /** The instrumentation scope of the records. */
    static final String SCOPE = "io.environguard";

    private final OpenTelemetry openTelemetry;
    private final Logger logger;
    private final ExportAccounting accounting;
    private final boolean owned;
    private final Duration flushTimeout;
    private long lastObserved;

    /**
     * @param openTelemetry where the records go
     * @param accounting    reports export outcomes, for an SDK the sink built; {@code null} for the application's
     * @param owned         whether the sink shuts the SDK down on close (else it only flushes an SDK's records)
     * @param flushTimeout  bound of the flush or shutdown on close, and of {@link #publish(Alert)}
     */
    OtelLogsSink(OpenTelemetry openTelemetry, ExportAccounting accounting, boolean owned, Duration flushTimeout) {
        this.openTelemetry = openTelemetry;
        this.accounting = accounting;
        this.owned = owned;
        this.flushTimeout = flushTimeout;
        var builder = openTelemetry.getLogsBridge().loggerBuilder(SCOPE);
        String version = OtelLogsSink.class.getPackage().getImplementationVersion();
        if (version != null) {
            builder.setInstrumentationVersion(version);
        }
        this.logger = builder.build();
    }

    @Override
    public void publish(Alert alert, DeliveryReceipt receipt) {
        long observed = nextObservedTime();
        if (accounting == null) {
            AlertLogRecords.emit(logger, alert, observed);
            receipt.delivered();
            return;
        }
        accounting.emitting(observed, receipt);
        try {
            AlertLogRecords.emit(logger, alert, observed);
        } catch (RuntimeException e) {
            accounting.notEmitted(observed);
            throw e;
        }
    }

    /** Emits one alert and, with an SDK, waits (at most the flush timeout) until it was exported. */
    @Override
    public void publish(Alert alert) throws Exception {
        AlertLogRecords.emit(logger, alert, nextObservedTime());
        if (openTelemetry instanceof OpenTelemetrySdk sdk) {
            CompletableResultCode flushed = sdk.getSdkLoggerProvider().forceFlush().join(flushTimeout.toNanos(), TimeUnit.NANOSECONDS);
            if (!flushed.isSuccess()) {
                throw new ExportAccounting.ExportFailedException("the log record was not exported within " + flushTimeout.toMillis() + " ms");
            }
        }
    }

    /**
     * Exports what is queued, within the flush timeout. The SDK the sink built is shut down, and records it did not
     * export by then fail; the application's is only flushed, never shut down.
     */
    @Override
    public void close() {
        if (!(openTelemetry instanceof OpenTelemetrySdk sdk)) {
            return;
        }
        long nanos = flushTimeout.toNanos();
        if (owned) {
            sdk.shutdown().join(nanos, TimeUnit.NANOSECONDS);
            if (accounting != null) {
                accounting.failUnexported();
            }
        } else {
            sdk.getSdkLoggerProvider().forceFlush().join(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Strictly increasing, so that {@link ExportAccounting} can tell the records apart; the wall clock otherwise. */
    private synchronized long nextObservedTime() {
        Instant now = Instant.now();
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        lastObserved = Math.max(nanos, lastObserved + 1);
        return lastObserved;
    }

    @Override
    public String toString() {
        return "OtelLogsSink[" + (owned ? "own SDK" : "application's OpenTelemetry") + "]";
    }
}
