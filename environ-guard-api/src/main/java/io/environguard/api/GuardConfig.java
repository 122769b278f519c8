package io.environguard.api;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Immutable, flat configuration under the {@code environguard.} prefix, with typed getters.
 *
 * <p>Keys are matched loosely: case, {@code .}, {@code -} and {@code _} do not matter, so
 * {@code environguard.policy.sweep.threshold} may be given as the environment variable
 * {@code ENVIRONGUARD_POLICY_SWEEP_THRESHOLD}. {@link #load()} layers, lowest first: the properties file
 * named by {@code environguard.config.file}, environment variables {@code ENVIRONGUARD_*}, system
 * properties {@code environguard.*}. Values set in code on a {@link Builder} win over all of them.
 *
 * <pre>{@code
 * GuardConfig config = GuardConfig.builder().load().set("environguard.source", "fanotify").build();
 * Duration window = config.getDuration("environguard.policy.sweep.window", Duration.ofSeconds(10));
 * }</pre>
 *
 * <p>Error messages name the key and what was expected, never the value: a value may be a secret.
 */
public final class GuardConfig {

    /** Every key starts with this. */
    public static final String PREFIX = "environguard.";
    /** Names a properties file to read first. */
    public static final String CONFIG_FILE = "environguard.config.file";
    /**
     * The procfs root that sources read ({@code /proc} by default; the testkit points it at simulated trees).
     * Here rather than on the guard's facade, so that a source reads it through the API it plugs into.
     */
    public static final String PROC_ROOT = "environguard.proc.root";
    /** The origin of a value set in code ({@link Builder#set}, {@link #of}). */
    public static final String FROM_CODE = "code";

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ns|us|ms|s|m|h|d)");
    private static final GuardConfig EMPTY = new GuardConfig(Map.of());

    /** normalized key -> the key as first spelt, its value, and where the value came from. */
    private final Map<String, Entry> entries;

    /** One value: its key as spelt where it was set, and where that was. */
    private record Entry(String key, String value, String origin) {
    }

    private GuardConfig(Map<String, Entry> entries) {
        this.entries = entries;
    }

    /** @return an empty configuration: every getter returns its default */
    public static GuardConfig empty() {
        return EMPTY;
    }

    /**
     * @param values keys and values, as if set in code
     * @return a configuration of exactly these entries
     */
    public static GuardConfig of(Map<String, String> values) {
        return builder().setAll(values).build();
    }

    /** @return the file, environment and system properties of this JVM, layered as the class comment says */
    public static GuardConfig load() {
        return builder().load().build();
    }

    /** @return an empty builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Lower-cases and folds {@code - _} to {@code .} so that every spelling of a key meets.
     *
     * @param key a key in any spelling
     * @return the spelling keys are compared in
     */
    public static String normalize(String key) {
        return key.trim().toLowerCase(Locale.ROOT).replace('_', '.').replace('-', '.');
    }

    /**
     * @param key the key, in any spelling
     * @return the raw value, if set
     */
    public Optional<String> get(String key) {
        Entry e = entries.get(normalize(key));
        return e == null ? Optional.empty() : Optional.of(e.value());
    }

    /**
     * Where the value of {@code key} came from, if it is set: {@code code}, {@code system property NAME},
     * {@code environment variable NAME} or {@code file PATH}.
     *
     * <pre>{@code
     * GuardConfig.load().origin("environguard.source")   // Optional[environment variable ENVIRONGUARD_SOURCE]
     * }</pre>
     *
     * @param key the key, in any spelling
     * @return the origin, or empty when the key is not set
     */
    public Optional<String> origin(String key) {
        Entry e = entries.get(normalize(key));
        return e == null ? Optional.empty() : Optional.of(e.origin());
    }

    /**
     * The key as it was spelt where its value was set (e.g. {@code environguard.sink.jsonl.pth}), for messages.
     *
     * @return every key set, in the order first set
     */
    public List<String> keys() {
        return entries.values().stream().map(Entry::key).toList();
    }

    /**
     * @param key          the key, in any spelling
     * @param defaultValue returned when the key is unset
     * @return the value, or the default
     */
    public String getString(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    /**
     * @param key the key, in any spelling
     * @return whether it is set
     */
    public boolean contains(String key) {
        return entries.containsKey(normalize(key));
    }

    /**
     * @param key          the key, in any spelling
     * @param defaultValue returned when the key is unset
     * @return the value as an {@code int}
     * @throws ConfigException naming the key when the value is not an integer that fits in 32 bits
     */
    public int getInt(String key, int defaultValue) {
        long v = getLong(key, defaultValue);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw invalid(key, "an integer that fits in 32 bits");
        }
        return (int) v;
    }

    /**
     * An integer of at least {@code min}.
     *
     * @param key          the key, in any spelling
     * @param defaultValue returned when the key is unset (not checked against {@code min})
     * @param min          the smallest value accepted
     * @return the value
     * @throws ConfigException naming the key (and where its value came from) when it is not an integer or is below {@code min}
     */
    public int getInt(String key, int defaultValue, int min) {
        int v = getInt(key, defaultValue);
        if (v < min) {
            throw invalid(key, "an integer of at least " + min);
        }
        return v;
    }

    /**
     * @param key          the key, in any spelling
     * @param defaultValue returned when the key is unset
     * @return the value as a {@code long}
     * @throws ConfigException naming the key when the value is not an integer
     */
    public long getLong(String key, long defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(v.get().trim());
        } catch (NumberFormatException e) {
            throw invalid(key, "an integer");
        }
    }

    /**
     * @param key          the key, in any spelling
     * @param defaultValue returned when the key is unset
     * @return {@code true} for true, yes, on, 1; {@code false} for false, no, off, 0
     * @throws ConfigException naming the key for any other value
     */
    public boolean getBoolean(String key, boolean defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        String s = v.get().trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "true": case "yes": case "on": case "1": return true;
            case "false": case "no": case "off": case "0": return false;
            default: throw invalid(key, "true or false");
        }
    }

    /**
     * Accepts {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 250us}, or ISO-8601 ({@code PT10S}).
     *
     * @param key          the key, in any spelling
     * @param defaultValue returned when the key is unset
     * @return the duration
     * @throws ConfigException naming the key when the value is no duration
     */
    public Duration getDuration(String key, Duration defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        return parseDuration(key, v.get().trim());
    }

    /**
     * @param key the key, in any spelling
     * @return its comma-separated items, trimmed, without empty ones; empty when unset
     */
    public List<String> getList(String key) {
        Optional<String> v = get(key);
        if (v.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String part : v.get().split(",")) {
            String t = part.trim();
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** @return every key as it was first spelled, with its value */
    public Map<String, String> asMap() {
        Map<String, String> out = new LinkedHashMap<>();
        entries.values().forEach(e -> out.put(e.key(), e.value()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Keys that nobody claims: neither in {@code known} nor under one of {@code knownPrefixes}
     * (both compared after {@link #normalize}).
     *
     * @param known         keys that are read
     * @param knownPrefixes prefixes under which every key counts as read
     * @return the keys set that nobody claims, as spelt where set
     */
    public List<String> unknownKeys(Iterable<String> known, Iterable<String> knownPrefixes) {
        List<String> knownNorm = new ArrayList<>();
        known.forEach(k -> knownNorm.add(normalize(k)));
        List<String> prefixNorm = new ArrayList<>();
        knownPrefixes.forEach(p -> prefixNorm.add(normalize(p)));
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            String k = e.getKey();
            if (knownNorm.contains(k) || prefixNorm.stream().anyMatch(k::startsWith)) {
                continue;
            }
            out.add(e.getValue().key());
        }
        return out;
    }

    /**
     * @param key   the key to set
     * @param value its value
     * @return a copy of this configuration with {@code key} set to {@code value} (from code); other origins kept
     */
    public GuardConfig with(String key, String value) {
        return new Builder().setAll(this).set(key, value).build();
    }

    private Duration parseDuration(String key, String text) {
        Matcher m = DURATION.matcher(text.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ns": return Duration.ofNanos(n);
                case "us": return Duration.ofNanos(Math.multiplyExact(n, 1000L));
                case "ms": return Duration.ofMillis(n);
                case "s": return Duration.ofSeconds(n);
                case "m": return Duration.ofMinutes(n);
                case "h": return Duration.ofHours(n);
                default: return Duration.ofDays(n);
            }
        }
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw invalid(key, "a duration such as 500ms, 10s, 2m or PT10S");
        }
    }

    private ConfigException invalid(String key, String expected) {
        return invalidValue(key, "expected " + expected + " (the value is not repeated here, as it may be a secret)");
    }

    /**
     * An error about the value of {@code key}, naming the key and where its value came from (unless that was code),
     * never the value.
     * For range checks made after a getter returned, so that they read like the getters' own errors.
     *
     * <pre>{@code
     * if (threshold < 2) throw config.invalidValue(SWEEP_THRESHOLD, "expected 2 to 1024");
     * }</pre>
     *
     * @param key     the key whose value is wrong
     * @param problem what was expected, e.g. {@code expected at least 1}
     * @return the exception, to throw
     */
    public ConfigException invalidValue(String key, String problem) {
        // A value set in code needs no pointer; one from a variable, a property or a file does.
        return new ConfigException(key, origin(key).filter(o -> !o.equals(FROM_CODE)).orElse(null), problem);
    }

    @Override
    public String toString() {
        return "GuardConfig" + entries.values().stream().map(Entry::key).sorted().toList();
    }

    /** Collects entries; later calls win over earlier ones for the same key. */
    public static final class Builder {
        private final Map<String, Entry> entries = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Sets one key from code; {@code null} removes it.
         *
         * @param key   the key, in any spelling
         * @param value its value, or {@code null}
         * @return this builder
         */
        public Builder set(String key, String value) {
            return set(key, value, FROM_CODE);
        }

        private Builder set(String key, String value, String origin) {
            if (value == null) {
                entries.remove(normalize(key));
            } else {
                entries.put(normalize(key), new Entry(key, value, origin));
            }
            return this;
        }

        /**
         * Sets every entry of {@code values}, from code.
         *
         * @param values keys and values
         * @return this builder
         */
        public Builder setAll(Map<String, String> values) {
            values.forEach(this::set);
            return this;
        }

        /**
         * Sets every entry of {@code config}, keeping where each value came from.
         *
         * @param config another configuration
         * @return this builder
         */
        public Builder setAll(GuardConfig config) {
            config.entries.forEach(entries::put);
            return this;
        }

        /**
         * Adds every {@code environguard.*} entry of a properties file (read as UTF-8).
         *
         * @param path the file
         * @return this builder
         * @throws IllegalArgumentException naming the file when it cannot be read
         */
        public Builder file(Path path) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read configuration file " + path + ": " + e.getMessage(), e);
            }
            for (String name : p.stringPropertyNames()) {
                if (normalize(name).startsWith(PREFIX)) {
                    set(name, p.getProperty(name), "file " + path);
                }
            }
            return this;
        }

        /**
         * Adds {@code ENVIRONGUARD_*} entries of {@code env} (normally {@code System.getenv()}).
         *
         * @param env environment variables
         * @return this builder
         */
        public Builder environment(Map<String, String> env) {
            env.forEach((name, value) -> {
                if (name.toUpperCase(Locale.ROOT).startsWith("ENVIRONGUARD_")) {
                    set(name.toLowerCase(Locale.ROOT).replace('_', '.'), value, "environment variable " + name);
                }
            });
            return this;
        }

        /**
         * Adds {@code environguard.*} entries of {@code props} (normally {@code System.getProperties()}).
         *
         * @param props system properties
         * @return this builder
         */
        public Builder systemProperties(Properties props) {
            for (String name : props.stringPropertyNames()) {
                if (normalize(name).startsWith(PREFIX)) {
                    set(name, props.getProperty(name), "system property " + name);
                }
            }
            return this;
        }

        /**
         * The file named by {@code environguard.config.file} (system property or environment), then environment,
         * then system properties.
         *
         * @return this builder
         */
        public Builder load() {
            Map<String, String> env = System.getenv();
            Properties props = System.getProperties();
            String file = props.getProperty(CONFIG_FILE, env.get("ENVIRONGUARD_CONFIG_FILE"));
            if (file != null && !file.isBlank()) {
                file(Path.of(file));
            }
            return environment(env).systemProperties(props);
        }

        /** @return the configuration */
        public GuardConfig build() {
            return new GuardConfig(Collections.unmodifiableMap(new LinkedHashMap<>(entries)));
        }
    }
}
