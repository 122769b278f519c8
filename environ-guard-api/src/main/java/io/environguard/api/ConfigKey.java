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
 * <p>A name that ends with a dot declares a <em>family</em>: every key under that prefix (a sink that passes its
 * client's own settings through, such as {@code environguard.sink.kafka.producer.}); see {@link #family}.
 *
 * @param name         the key, e.g. {@code environguard.sink.jsonl.path}, or a family's prefix ending with a dot
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

    /**
     * Every key under {@code prefix}: for settings passed through to a client library, whose names the provider does
     * not know in advance. Members of a family are never warned about as unknown; listings show each member set.
     *
     * @param prefix  the common prefix, ending with a dot, e.g. {@code environguard.sink.kafka.producer.}
     * @param meaning what the keys under it do
     * @param secret  whether a member's value may be a secret: listings then show {@code ****} for every member
     * @return the declaration
     */
    public static ConfigKey family(String prefix, String meaning, boolean secret) {
        if (!prefix.endsWith(".")) {
            throw new IllegalArgumentException("a family of keys is a prefix ending with a dot: " + prefix);
        }
        return new ConfigKey(prefix, "", meaning, secret);
    }

    /** @return whether this declares every key under its name (which ends with a dot) rather than one key */
    public boolean isFamily() {
        return name.endsWith(".");
    }

    /**
     * @param key a configured key
     * @return whether {@code key} is this key or, for a family, a key under it
     */
    public boolean covers(String key) {
        String norm = GuardConfig.normalize(key);
        return isFamily() ? norm.startsWith(normalizedName()) && norm.length() > normalizedName().length()
                : norm.equals(normalizedName());
    }

    /** @return the name in the form keys are compared in ({@link GuardConfig#normalize}) */
    public String normalizedName() {
        return GuardConfig.normalize(name);
    }
}
