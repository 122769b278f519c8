package io.environguard.api;

import java.util.Objects;

/**
 * One configuration key a part of the guard reads: its name, its default, what it means, and whether its value
 * is a secret. Sources and sinks declare theirs ({@code keys()} on their providers), so that the guard can warn
 * about a misspelt key and list every key with its effective value.
 *
 * <pre>{@code
 * @Override
 * public List<ConfigKey> keys() {
 *     return List.of(
 *             ConfigKey.of("environguard.sink.webhook.retries", "3", "attempts after a failed first one"),
 *             ConfigKey.secret("environguard.sink.webhook.url", "the URL to POST to; may carry a token"));
 * }
 * }</pre>
 *
 * @param name         the key, e.g. {@code environguard.sink.jsonl.path}
 * @param defaultValue the value used when the key is unset, as a person would write it (e.g. {@code 10s}); empty
 *                     when there is none
 * @param meaning      what the key does, one short sentence
 * @param secret       whether its value may be a secret: listings then show {@code ****}, never the value
 */
public record ConfigKey(String name, String defaultValue, String meaning, boolean secret) {

    /**
     * Checks the fields.
     *
     * @param name         the key, under {@code environguard.}
     * @param defaultValue its default, or empty for none
     * @param meaning      what it does
     * @param secret       whether its value may be a secret
     * @throws IllegalArgumentException when the name is not under {@code environguard.}
     */
    public ConfigKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(defaultValue, "defaultValue");
        Objects.requireNonNull(meaning, "meaning");
        if (!GuardConfig.normalize(name).startsWith(GuardConfig.PREFIX)) {
            throw new IllegalArgumentException("a configuration key starts with " + GuardConfig.PREFIX + ": " + name);
        }
    }

    /**
     * A key whose value is not secret.
     *
     * @param name         the key
     * @param defaultValue its default, or empty for none
     * @param meaning      what it does
     * @return the declaration
     */
    public static ConfigKey of(String name, String defaultValue, String meaning) {
        return new ConfigKey(name, defaultValue, meaning, false);
    }

    /**
     * A key whose value may be a secret (a URL with a token, a password) and has no default.
     *
     * @param name    the key
     * @param meaning what it does
     * @return the declaration
     */
    public static ConfigKey secret(String name, String meaning) {
        return new ConfigKey(name, "", meaning, true);
    }

    /** @return the name in the form keys are compared in ({@link GuardConfig#normalize}) */
    public String normalizedName() {
        return GuardConfig.normalize(name);
    }
}
