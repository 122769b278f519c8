package io.environguard.linux.readme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;

/** A class loader whose ServiceLoader finds exactly one event source provider, and everything else as usual. */
final class OnlySource {

    private static final String SERVICES = "META-INF/services/io.environguard.spi.EventSourceProvider";

    private OnlySource() {
    }

    static ClassLoader classLoader(Class<?> provider) {
        try {
            Path file = Files.createTempFile("eg-only-source", ".services");
            file.toFile().deleteOnExit();
            Files.writeString(file, provider.getName() + "\n", StandardCharsets.UTF_8);
            URL url = file.toUri().toURL();
            return new ClassLoader(OnlySource.class.getClassLoader()) {
                @Override
                public Enumeration<URL> getResources(String name) throws IOException {
                    return SERVICES.equals(name) ? Collections.enumeration(java.util.List.of(url)) : super.getResources(name);
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
