package io.environguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AccessListener;
import io.environguard.spi.AlertSink;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProviderLoaderTest {

    /** Works. */
    public static final class GoodProvider implements EventSourceProvider {
        @Override
        public String name() {
            return "good";
        }

        @Override
        public int priority() {
            return 1;
        }

        @Override
        public Availability availability() {
            return Availability.available("always");
        }

        @Override
        public EventSource create(GuardConfig config) {
            return new EventSource() {
                @Override
                public void start(AccessListener listener) {
                }

                @Override
                public Coverage coverage() {
                    return new Coverage("good", List.of(), List.of());
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** Throws in its constructor, as a provider with a missing native library might. */
    public static final class ThrowingProvider implements EventSourceProvider {
        public ThrowingProvider() {
            throw new IllegalStateException("native library missing");
        }

        @Override
        public String name() {
            return "throwing";
        }

        @Override
        public int priority() {
            return 1000;
        }

        @Override
        public Availability availability() {
            return Availability.available("never reached");
        }

        @Override
        public EventSource create(GuardConfig config) {
            throw new AssertionError("never reached");
        }
    }

    private static ClassLoader withServices(Path dir, String... lines) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(EventSourceProvider.class.getName()), String.join("\n", lines) + "\n",
                StandardCharsets.UTF_8);
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, ProviderLoaderTest.class.getClassLoader());
    }

    @Test
    void aThrowingAndAMissingProviderAreReportedAndTheOthersStillLoad(@TempDir Path dir) throws Exception {
        ClassLoader cl = withServices(dir,
                ThrowingProvider.class.getName(),
                "com.example.DoesNotExist",
                GoodProvider.class.getName());

        ProviderLoader.Loaded<EventSourceProvider> loaded = ProviderLoader.load(EventSourceProvider.class, cl);

        assertEquals(List.of("good"), loaded.providers().stream().map(EventSourceProvider::name).toList());
        assertEquals(2, loaded.failures().size(), loaded.failures().toString());
        assertTrue(loaded.failures().stream().anyMatch(f -> f.contains("native library missing")), loaded.failures().toString());
        assertTrue(loaded.failures().stream().anyMatch(f -> f.contains("com.example.DoesNotExist")), loaded.failures().toString());
    }

    @Test
    void theGuardStartsWithTheGoodProviderDespiteBrokenOnes(@TempDir Path dir) throws Exception {
        ClassLoader cl = withServices(dir, "com.example.DoesNotExist", ThrowingProvider.class.getName(),
                GoodProvider.class.getName());
        AlertSink sink = (Alert a) -> { };
        try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty()).classLoader(cl)
                .addSink("mem", sink).build().start()) {
            assertEquals("good", guard.sourceName());
        }
    }
}
