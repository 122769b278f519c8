package io.environguard.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Loads service providers one by one, so that a provider that is missing, cannot link, or throws in its
 * constructor is reported and skipped while every other provider still loads (unlike a single catch
 * around the whole loop, which ends discovery at the first broken provider).
 */
public final class ProviderLoader {

    /** A bound on iterations, in case a broken iterator keeps failing without advancing. */
    private static final int MAX_ATTEMPTS = 10_000;

    private ProviderLoader() {
    }

    /**
     * The providers that loaded, and one line for each that did not.
     *
     * @param <T> the service type
     */
    public record Loaded<T>(List<T> providers, List<String> failures) {
        public Loaded {
            providers = List.copyOf(providers);
            failures = List.copyOf(failures);
        }
    }

    public static <T> Loaded<T> load(Class<T> service, ClassLoader classLoader) {
        List<T> providers = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Iterator<T> it = ServiceLoader.load(service, classLoader).iterator();
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                providers.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                failures.add(describe(service, e));
            }
        }
        return new Loaded<>(providers, failures);
    }

    static String describe(Class<?> service, Throwable e) {
        StringBuilder sb = new StringBuilder("a ").append(service.getSimpleName()).append(" could not be loaded: ")
                .append(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
        Throwable cause = e.getCause();
        for (int depth = 0; cause != null && depth < 3; depth++, cause = cause.getCause()) {
            sb.append("; caused by ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage());
        }
        return sb.toString();
    }
}
