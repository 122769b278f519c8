package io.environguard;

import io.environguard.api.Alert;
import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AccessListener;
import io.environguard.spi.AlertSink;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** In-memory source and sink for the API module's own tests (the testkit depends on this module, so it cannot be used here). */
final class TestSources {

    private TestSources() {
    }

    /** A provider whose source hands its listener to the test. */
    static class ManualSourceProvider implements EventSourceProvider {
        final String name;
        final int priority;
        final Availability availability;
        final AtomicReference<AccessListener> listener = new AtomicReference<>();
        volatile boolean closed;
        /** What the source's {@code failure()} reports; null while it watches. */
        volatile String failure;

        ManualSourceProvider(String name, int priority, Availability availability) {
            this.name = name;
            this.priority = priority;
            this.availability = availability;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int priority() {
            return priority;
        }

        @Override
        public Availability availability() {
            return availability;
        }

        @Override
        public EventSource create(GuardConfig config) {
            return new EventSource() {
                @Override
                public void start(AccessListener l) {
                    listener.set(l);
                }

                @Override
                public Coverage coverage() {
                    return new Coverage(name, List.of("everything the test sends"), List.of());
                }

                @Override
                public java.util.Optional<String> failure() {
                    return java.util.Optional.ofNullable(failure);
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }
    }

    /** Collects alerts; waits with a bound. */
    static final class CollectingSink implements AlertSink {
        final List<Alert> alerts = new CopyOnWriteArrayList<>();

        @Override
        public void publish(Alert alert) {
            alerts.add(alert);
        }

        List<Alert> await(int n, long timeoutMillis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (alerts.size() < n && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            return List.copyOf(alerts);
        }
    }
}
