package io.environguard.api;

import java.util.Objects;
import java.util.Optional;

/**
 * A configuration value is wrong. The message names the key in its canonical spelling and, when the value came
 * from outside the code, where from (an environment variable, a system property, a file); it never repeats the
 * value, which may be a secret.
 *
 * <pre>{@code
 * try {
 *     config.getInt("environguard.dispatch.queue.capacity", 1024, 1);
 * } catch (ConfigException e) {
 *     // "configuration key environguard.dispatch.queue.capacity (from environment variable
 *     //  ENVIRONGUARD_DISPATCH_QUEUE_CAPACITY): expected an integer of at least 1 ..."
 * }
 * }</pre>
 */
public class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The key whose value is wrong. */
    private final String key;
    /** Where its value came from, or {@code null} when set in code or not known. */
    private final String origin;

    /**
     * An error about one key.
     *
     * @param key     the key, as the code that reads it spells it
     * @param origin  where the value came from ({@link GuardConfig#origin}), or {@code null} when set in code or not known
     * @param problem what is wrong, e.g. {@code expected at least 1}; never the value
     */
    public ConfigException(String key, String origin, String problem) {
        super("configuration key " + Objects.requireNonNull(key, "key")
                + (origin == null ? "" : " (from " + origin + ")") + ": " + problem);
        this.key = key;
        this.origin = origin;
    }

    /**
     * An error about one key whose origin is not known here.
     *
     * @param key     the key
     * @param problem what is wrong; never the value
     */
    public ConfigException(String key, String problem) {
        this(key, null, problem);
    }

    /** @return the key whose value is wrong */
    public String key() {
        return key;
    }

    /** @return where the value came from, if it came from outside the code and is known */
    public Optional<String> origin() {
        return Optional.ofNullable(origin);
    }
}
