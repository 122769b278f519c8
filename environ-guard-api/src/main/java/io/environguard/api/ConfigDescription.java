package io.environguard.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every configuration key a guard understands, with its effective value and where that came from, and the keys
 * that were set but that nothing reads. Secrets are masked; an undeclared key's value is never shown.
 *
 * <pre>{@code
 * System.out.print(EnvironGuard.builder().build().describeConfiguration().toText());
 * }</pre>
 *
 * @param settings    one entry per declared key: core keys, then policy keys, then each source's and sink's
 * @param unknownKeys keys that were set but are declared by nothing, each with where it was set
 */
public record ConfigDescription(List<ConfigSetting> settings, Map<String, String> unknownKeys) {

    /**
     * Copies the collections.
     *
     * @param settings    one entry per declared key
     * @param unknownKeys keys set but declared by nothing, with where each was set
     */
    public ConfigDescription {
        settings = List.copyOf(Objects.requireNonNull(settings, "settings"));
        unknownKeys = Map.copyOf(Objects.requireNonNull(unknownKeys, "unknownKeys"));
    }

    /**
     * A table for a person: one line per key ({@code key = value  [origin; owner]  meaning}), then the unknown keys.
     *
     * @return the text, ending with a newline
     */
    public String toText() {
        int width = settings.stream().mapToInt(s -> s.key().name().length()).max().orElse(0);
        StringBuilder out = new StringBuilder();
        String owner = null;
        for (ConfigSetting s : settings) {
            if (!s.owner().equals(owner)) {
                owner = s.owner();
                out.append("# ").append(owner).append('\n');
            }
            out.append(String.format("%-" + width + "s = %s", s.key().name(), s.value()));
            out.append("  [").append(s.origin()).append("]  ").append(s.key().meaning()).append('\n');
        }
        if (!unknownKeys.isEmpty()) {
            out.append("# unknown keys (misspelt, or their source or sink is not on the class path); values not shown\n");
            unknownKeys.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> out.append(e.getKey()).append("  [").append(e.getValue()).append("]\n"));
        }
        return out.toString();
    }
}
