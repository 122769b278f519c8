package io.environguard;

import io.environguard.TestSources.ManualSourceProvider;
import io.environguard.spi.Availability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Providers found by {@link java.util.ServiceLoader}, as a real deployment has them (environ-guard-linux on the class
 * path): a class loader whose {@code META-INF/services} lists the given provider classes, which must have public
 * no-argument constructors.
 */
final class DiscoveredSources {

    private DiscoveredSources() {
    }

    /** Found by ServiceLoader: a host-wide source, always available, of high priority, as fanotify is for root. */
    public static final class HostWide extends ManualSourceProvider {
        /** Every instance the ServiceLoader made, so that a test can see whether one ran. */
        static final List<HostWide> CREATED = new java.util.concurrent.CopyOnWriteArrayList<>();

        public HostWide() {
            super("hostwide", 100, Availability.available("watches the whole host"));
            CREATED.add(this);
        }
    }

    /** A class loader under {@code dir} that declares {@code providers} as source providers. */
    static ClassLoader declaring(Path dir, Class<?>... providers) {
        try {
            Path services = dir.resolve("META-INF/services");
            Files.createDirectories(services);
            StringBuilder lines = new StringBuilder();
            for (Class<?> p : providers) {
                lines.append(p.getName()).append('\n');
            }
            Files.writeString(services.resolve("io.environguard.spi.EventSourceProvider"), lines, StandardCharsets.UTF_8);
            return new URLClassLoader(new URL[] {dir.toUri().toURL()}, DiscoveredSources.class.getClassLoader());
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
