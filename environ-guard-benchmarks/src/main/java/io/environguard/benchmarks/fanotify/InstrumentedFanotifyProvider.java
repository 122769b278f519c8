package io.environguard.benchmarks.fanotify;

import io.environguard.api.Coverage;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.LossReport;
import io.environguard.linux.fanotify.FanotifyHostSourceProvider;
import io.environguard.spi.AccessListener;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.io.IOException;

/**
 * The real fanotify host source, unchanged, with two taps for the benchmark: each access and each loss
 * report is stamped and recorded as it leaves the source (before the policy), and the source's count of kernel records read
 * (every {@code /proc} open on the host, not only environ) can be asked for: the public
 * {@link GuardStats#KERNEL_EVENTS_READ} counter of {@link EventSource#metrics()}, which
 * {@code EnvironGuard.stats().kernelEventsRead()} reports too.
 *
 * <pre>{@code
 * InstrumentedFanotifyProvider provider = new InstrumentedFanotifyProvider(recorder);
 * EnvironGuard guard = EnvironGuard.builder().addSourceProvider(provider)
 *         .set("environguard.source", InstrumentedFanotifyProvider.NAME).build().start();
 * long events = provider.eventsRead();
 * }</pre>
 */
final class InstrumentedFanotifyProvider implements EventSourceProvider {

    /** The name to choose with {@code environguard.source}. */
    static final String NAME = "fanotify-instrumented";

    private final FanotifyHostSourceProvider delegate = new FanotifyHostSourceProvider();
    private final Recorder recorder;
    private volatile EventSource current;

    InstrumentedFanotifyProvider(Recorder recorder) {
        this.recorder = recorder;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return Integer.MIN_VALUE; // chosen by name only
    }

    @Override
    public Availability availability() {
        return delegate.availability();
    }

    @Override
    public EventSource create(GuardConfig config) {
        EventSource source = delegate.create(config);
        current = source;
        return new Tapped(source);
    }

    /** Kernel records read by the source created last (0 before it started). */
    long eventsRead() {
        EventSource source = current;
        if (source == null) {
            return 0;
        }
        Long n = source.metrics().get(GuardStats.KERNEL_EVENTS_READ);
        if (n == null) {
            throw new IllegalStateException("the fanotify source no longer reports " + GuardStats.KERNEL_EVENTS_READ
                    + "; the benchmark needs its count of kernel records read");
        }
        return n;
    }

    private final class Tapped implements EventSource {
        private final EventSource source;

        Tapped(EventSource source) {
            this.source = source;
        }

        @Override
        public void start(AccessListener listener) throws IOException {
            source.start(new AccessListener() {
                @Override
                public void onAccess(EnvironAccess access) {
                    recorder.access(System.nanoTime(), access);
                    listener.onAccess(access);
                }

                @Override
                public void onLoss(LossReport loss) {
                    recorder.loss(System.nanoTime(), loss);
                    listener.onLoss(loss);
                }
            });
        }

        @Override
        public String exeOf(int pid) {
            return source.exeOf(pid);
        }

        @Override
        public Coverage coverage() {
            return source.coverage();
        }

        @Override
        public java.util.Map<String, Long> metrics() {
            return source.metrics();
        }

        @Override
        public void close() {
            source.close();
        }
    }
}
