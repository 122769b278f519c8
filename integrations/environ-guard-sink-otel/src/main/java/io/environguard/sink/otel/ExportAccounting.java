package io.environguard.sink.otel;

import io.environguard.spi.DeliveryReceipt;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Tells each alert's receipt what became of its log record in an SDK the sink built for itself: delivered when the
 * exporter's batch succeeded, failed when it failed, when the batch processor's queue dropped the record, or when
 * the sink closed before the record was exported.
 *
 * <p>Records are told apart by their observed time, which the sink makes strictly increasing (one nanosecond apart
 * at least), so no attribute is added for the purpose. The batch processor exports records in the order they were
 * emitted, so when a batch starts at observed time T, a record older than T that no batch took was dropped.
 */
final class ExportAccounting {

    private final ConcurrentNavigableMap<Long, DeliveryReceipt> waiting = new ConcurrentSkipListMap<>();

    /** Called before the record with this observed time is emitted. */
    void emitting(long observedNanos, DeliveryReceipt receipt) {
        waiting.put(observedNanos, receipt);
    }

    /** The record was not emitted after all (the logger threw): the caller reports the failure. */
    void notEmitted(long observedNanos) {
        waiting.remove(observedNanos);
    }

    /** Wraps the exporter the SDK was configured with; every batch's outcome reaches its records' receipts. */
    LogRecordExporter wrap(LogRecordExporter exporter) {
        return new LogRecordExporter() {
            @Override
            public CompletableResultCode export(Collection<LogRecordData> batch) {
                List<DeliveryReceipt> inBatch = claim(batch);
                CompletableResultCode result;
                try {
                    result = exporter.export(batch);
                } catch (RuntimeException e) {
                    inBatch.forEach(r -> r.failed(e));
                    return CompletableResultCode.ofExceptionalFailure(e);
                }
                result.whenComplete(() -> {
                    if (result.isSuccess()) {
                        inBatch.forEach(DeliveryReceipt::delivered);
                    } else {
                        Exception cause = new ExportFailedException("the export of a batch of " + batch.size()
                                + " log record(s) failed: " + describe(result.getFailureThrowable()));
                        inBatch.forEach(r -> r.failed(cause));
                    }
                });
                return result;
            }

            @Override
            public CompletableResultCode flush() {
                return exporter.flush();
            }

            @Override
            public CompletableResultCode shutdown() {
                return exporter.shutdown();
            }

            @Override
            public String toString() {
                return "ExportAccounting[" + exporter + "]";
            }
        };
    }

    /** Fails every record no batch took: called once the SDK has shut down, so none ever will. */
    void failUnexported() {
        drain(waiting, new ExportFailedException("the log record was not exported before the sink closed"));
    }

    private List<DeliveryReceipt> claim(Collection<LogRecordData> batch) {
        List<DeliveryReceipt> claimed = new ArrayList<>(batch.size());
        long oldest = Long.MAX_VALUE;
        for (LogRecordData d : batch) {
            long observed = d.getObservedTimestampEpochNanos();
            oldest = Math.min(oldest, observed);
            DeliveryReceipt r = waiting.remove(observed);
            if (r != null) {
                claimed.add(r);
            }
        }
        if (oldest != Long.MAX_VALUE) {
            drain(waiting.headMap(oldest, false), new ExportFailedException(
                    "the OpenTelemetry SDK's batch queue was full and dropped the log record (otel.blrp.max.queue.size)"));
        }
        return claimed;
    }

    /** The first message along the cause chain, e.g. {@code HttpTimeoutException: request timed out}. */
    static String describe(Throwable failure) {
        if (failure == null) {
            return "the exporter gave no reason (see the OpenTelemetry SDK's log)";
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        return failure.getClass().getSimpleName() + " (the collector answered with an error status, or the exporter's retries ran out)";
    }

    private static void drain(ConcurrentNavigableMap<Long, DeliveryReceipt> records, Exception cause) {
        for (Map.Entry<Long, DeliveryReceipt> e; (e = records.pollFirstEntry()) != null; ) {
            e.getValue().failed(cause);
        }
    }

    /** Why a log record failed when the SDK gave no exception of its own. */
    static final class ExportFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        ExportFailedException(String message) {
            super(message, null, false, false);
        }
    }
}
