package io.environguard.internal;

import io.environguard.api.ConfigDescription;
import io.environguard.api.ConfigKey;
import io.environguard.api.ConfigSetting;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSinkProvider;
import io.environguard.spi.EventSourceProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every configuration key the parts of one guard declare (core, policy, each source and sink provider), and what
 * follows from it: which configured keys nobody reads, and a description of every key with its effective value.
 *
 * <pre>{@code
 * KeyCatalog catalog = KeyCatalog.of(sourceProviders, sinkProviders);
 * catalog.unknownKeyWarnings(config).forEach(LOG::warn);
 * ConfigDescription d = catalog.describe(config);
 * }</pre>
 */
public final class KeyCatalog {

    /** Keys of source providers start with this, then the provider's name and a dot. */
    public static final String SOURCE_PREFIX = "environguard.source.";
    /** Keys of sink providers start with this, then the provider's name and a dot. */
    public static final String SINK_PREFIX = "environguard.sink.";

    /** A declared key and its reader. */
    private record Declared(ConfigKey key, String owner) {
    }

    /** A provider's key prefix, who it is, and the keys it declares. */
    private record Prefix(String prefix, String owner, List<ConfigKey> keys) {
    }

    /** normalized name -> declaration; the first declaration of a name wins. */
    private final Map<String, Declared> declared;
    private final List<Prefix> prefixes;
    /** Declared families of keys ({@link ConfigKey#isFamily()}), also in {@link #declared}. */
    private final List<Declared> families;

    private KeyCatalog(Map<String, Declared> declared, List<Prefix> prefixes) {
        this.declared = declared;
        this.prefixes = prefixes;
        this.families = declared.values().stream().filter(d -> d.key().isFamily()).toList();
    }

    /** The family that {@code key} belongs to, or {@code null}. */
    private Declared familyOf(String key) {
        for (Declared f : families) {
            if (f.key().covers(key)) {
                return f;
            }
        }
        return null;
    }

    /**
     * The catalog of core and policy keys plus those the given providers declare.
     *
     * @param sources source providers (added in code and discovered)
     * @param sinks   sink providers (added in code and discovered)
     * @return the catalog
     */
    public static KeyCatalog of(List<EventSourceProvider> sources, List<AlertSinkProvider> sinks) {
        Map<String, Declared> declared = new LinkedHashMap<>();
        List<Prefix> prefixes = new ArrayList<>();
        CoreSettings.KEYS.forEach(k -> declared.putIfAbsent(k.normalizedName(), new Declared(k, "core")));
        PolicyKeys.KEYS.forEach(k -> declared.putIfAbsent(k.normalizedName(), new Declared(k, "policy")));
        for (EventSourceProvider p : sources) {
            String name = ProviderCalls.name(p);
            add("source " + name, SOURCE_PREFIX + name + ".", ProviderCalls.keys(p), declared, prefixes);
        }
        for (AlertSinkProvider p : sinks) {
            String name = ProviderCalls.name(p);
            add("sink " + name, SINK_PREFIX + name + ".", ProviderCalls.keys(p), declared, prefixes);
        }
        return new KeyCatalog(declared, prefixes);
    }

    private static void add(String owner, String prefix, List<ConfigKey> keys, Map<String, Declared> declared,
                            List<Prefix> prefixes) {
        if (prefixes.stream().anyMatch(p -> p.prefix().equals(prefix))) {
            return; // a provider of the same name added in code shadows the discovered one, as it does at start
        }
        prefixes.add(new Prefix(prefix, owner, keys));
        keys.forEach(k -> declared.putIfAbsent(k.normalizedName(), new Declared(k, owner)));
    }

    /**
     * One warning per configured key that nothing declares: a misspelt key, or one whose provider is not on the
     * class path. A key under a provider's prefix names that provider and the keys it does declare.
     *
     * @param config the configuration
     * @return the warnings, in the order the keys were set
     */
    public List<String> unknownKeyWarnings(GuardConfig config) {
        List<String> out = new ArrayList<>();
        for (String key : config.keys()) {
            String norm = GuardConfig.normalize(key);
            if (declared.containsKey(norm) || familyOf(key) != null) {
                continue;
            }
            String origin = config.origin(key).map(o -> " (from " + o + ")").orElse("");
            Prefix owner = prefixes.stream().filter(p -> norm.startsWith(GuardConfig.normalize(p.prefix()))).findFirst().orElse(null);
            if (owner != null) {
                out.add("unknown configuration key " + key + origin + " is ignored: " + owner.owner() + " has no such key"
                        + (owner.keys().isEmpty() ? " (it declares none)"
                                : " (its keys: " + String.join(", ", owner.keys().stream().map(ConfigKey::name).toList()) + ")"));
            } else {
                out.add("unknown configuration key " + key + origin
                        + " is ignored (misspelt, or its source or sink is not on the class path)");
            }
        }
        return out;
    }

    /**
     * Every declared key with its effective value and where that came from, secrets masked, and the keys set that
     * nothing declares.
     *
     * @param config the configuration
     * @return the description
     */
    public ConfigDescription describe(GuardConfig config) {
        List<ConfigSetting> settings = new ArrayList<>();
        for (Declared d : declared.values()) {
            ConfigKey k = d.key();
            if (k.isFamily()) {
                settings.add(new ConfigSetting(k, d.owner(), "", ConfigSetting.DEFAULT));
                for (String key : config.keys()) {
                    if (k.covers(key)) {
                        ConfigKey member = new ConfigKey(key, "", k.meaning(), k.secret());
                        settings.add(new ConfigSetting(member, d.owner(), k.secret() ? ConfigSetting.MASK
                                : config.getString(key, ""), config.origin(key).orElse(GuardConfig.FROM_CODE)));
                    }
                }
                continue;
            }
            String value;
            String origin;
            if (config.contains(k.name())) {
                value = k.secret() ? ConfigSetting.MASK : config.getString(k.name(), "");
                origin = config.origin(k.name()).orElse(GuardConfig.FROM_CODE);
            } else {
                value = k.defaultValue();
                origin = ConfigSetting.DEFAULT;
            }
            settings.add(new ConfigSetting(k, d.owner(), value, origin));
        }
        Map<String, String> unknown = new TreeMap<>();
        for (String key : config.keys()) {
            if (!declared.containsKey(GuardConfig.normalize(key)) && familyOf(key) == null) {
                unknown.put(key, config.origin(key).orElse(GuardConfig.FROM_CODE));
            }
        }
        return new ConfigDescription(settings, unknown);
    }
}
