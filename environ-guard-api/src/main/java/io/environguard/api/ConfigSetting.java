package io.environguard.api;

import java.util.Objects;

/**
 * One line of {@code EnvironGuard.describeConfiguration()}: a declared key, who reads it, and its effective value.
 *
 * <pre>{@code
 * for (ConfigSetting s : guard.describeConfiguration().settings()) {
 *     System.out.println(s.key().name() + " = " + s.value() + " (" + s.origin() + ")");
 * }
 * }</pre>
 *
 * @param key    the declaration
 * @param owner  who reads it: {@code core}, {@code policy}, {@code source NAME} or {@code sink NAME}
 * @param value  the effective value: the configured one, else the default; {@value #MASK} for a secret that is set;
 *               empty when unset with no default
 * @param origin where the value came from: {@code default}, {@code code}, {@code system property NAME},
 *               {@code environment variable NAME} or {@code file PATH}
 */
public record ConfigSetting(ConfigKey key, String owner, String value, String origin) {

    /** Shown instead of a secret's value. */
    public static final String MASK = "****";
    /** The origin of a value nobody set. */
    public static final String DEFAULT = "default";

    /**
     * Checks that no field is null.
     *
     * @param key    the declaration
     * @param owner  who reads it
     * @param value  the effective value, masked for a secret
     * @param origin where the value came from
     */
    public ConfigSetting {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(origin, "origin");
    }
}
