package io.environguard.linux.fanotify;

import io.environguard.api.GuardConfig;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;

/**
 * Provides the {@linkplain FanotifyHostSource fanotify host source}: name {@code fanotify}, priority 100
 * (preferred whenever it can run). Registered in {@code META-INF/services/io.environguard.spi.EventSourceProvider}.
 *
 * <pre>{@code
 * EventSourceProvider p = new FanotifyHostSourceProvider();
 * Availability a = p.availability();
 * // unprivileged: "needs CAP_SYS_ADMIN (fanotify filesystem marks); the procfs source runs without it"
 * }</pre>
 *
 * <p>Configuration keys, under {@code environguard.source.fanotify.}: {@code unlimited-queue} (default
 * {@code true}), {@code resolver-queue} (default 16384), {@code rescan-interval} (default {@code 10s}),
 * {@code other-namespaces} (default {@code true}), {@code mount-events} (default {@code true}),
 * {@code max-mount-namespaces} (default 1024); the rest are in {@link FanotifySettings}.
 */
public final class FanotifyHostSourceProvider implements EventSourceProvider {

    /** The priority of the fanotify host source: above every other built-in source. */
    public static final int PRIORITY = 100;

    public FanotifyHostSourceProvider() {
        // No work here: the ServiceLoader instantiates every provider, available or not.
    }

    @Override
    public String name() {
        return FanotifyHostSource.NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /** Probes once per JVM (a fanotify group with a /proc mark, closed again) and names the exact obstacle. */
    @Override
    public Availability availability() {
        FanotifySupport support = FanotifySupport.get();
        return support.available() ? Availability.available(support.reason()) : Availability.unavailable(support.reason());
    }

    @Override
    public EventSource create(GuardConfig config) {
        return new FanotifyHostSource(FanotifySettings.from(config));
    }
}
