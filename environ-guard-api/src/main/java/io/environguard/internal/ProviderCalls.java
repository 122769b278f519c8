package io.environguard.internal;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSourceProvider;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls into providers that may be broken: a plugin that throws or cannot link (a missing class) from
 * {@code name()}, {@code priority()}, {@code availability()} or {@code keys()} is treated as unnamed, last,
 * unavailable or keyless, never as a reason for the guard to fail.
 */
final class ProviderCalls {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderCalls.class);

    private ProviderCalls() {
    }

    /** The provider's lower-case name, or its class name when {@code name()} fails. */
    static String name(Object provider) {
        try {
            if (provider instanceof EventSourceProvider s) {
                return s.name().toLowerCase(Locale.ROOT);
            }
            return ((AlertSinkProvider) provider).name().toLowerCase(Locale.ROOT);
        } catch (RuntimeException | LinkageError e) {
            return provider.getClass().getName();
        }
    }

    static int priority(EventSourceProvider p) {
        try {
            return p.priority();
        } catch (RuntimeException | LinkageError e) {
            return Integer.MIN_VALUE;
        }
    }

    static Availability availability(EventSourceProvider p) {
        try {
            return Objects.requireNonNull(p.availability(), "no availability");
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("its availability probe failed: " + e);
        }
    }

    static boolean enabledByDefault(AlertSinkProvider p, GuardConfig config) {
        try {
            return p.enabledByDefault(config);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("sink provider {} failed to say whether it is enabled: {}", p.getClass().getName(), e.toString());
            return false;
        }
    }

    /** The keys a provider declares; none when {@code keys()} fails (then its keys are reported as unknown). */
    static List<ConfigKey> keys(Object provider) {
        try {
            List<ConfigKey> keys = provider instanceof EventSourceProvider s ? s.keys() : ((AlertSinkProvider) provider).keys();
            return keys == null ? List.of() : List.copyOf(keys);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("provider {} failed to declare its configuration keys: {}", provider.getClass().getName(), e.toString());
            return List.of();
        }
    }
}
