package io.environguard.agent;

import io.environguard.api.GuardConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The agent's argument string: {@code key=value} items separated by commas; an item without {@code =}
 * continues the previous key's comma-separated list. {@code scrub}, {@code nondumpable} and
 * {@code required} belong to the agent; every other key is a guard key, with or without its
 * {@code environguard.} prefix.
 *
 * <pre>{@code
 * AgentOptions o = AgentOptions.parse("sinks=jsonl,slf4j,scrub=DB_PASSWORD,API_TOKEN,nondumpable=true");
 * o.scrub();         // [DB_PASSWORD, API_TOKEN]
 * o.guardConfig();   // {environguard.sinks=jsonl,slf4j}
 * }</pre>
 *
 * @param guardConfig {@code environguard.*} keys given in the arguments; they win over system properties,
 *                    {@code ENVIRONGUARD_*} variables and the configuration file
 * @param scrub       variables to scrub from {@code /proc/self/environ}
 * @param nonDumpable whether to make the process non-dumpable
 * @param required    whether a guard that cannot start stops the JVM (default: warn and let the application run)
 */
record AgentOptions(Map<String, String> guardConfig, List<String> scrub, boolean nonDumpable, boolean required) {

    AgentOptions {
        guardConfig = Map.copyOf(guardConfig);
        scrub = List.copyOf(scrub);
    }

    /**
     * @throws IllegalArgumentException naming the item (never a value) when the string cannot be read
     */
    static AgentOptions parse(String args) {
        Map<String, List<String>> items = new LinkedHashMap<>();
        String current = null;
        if (args != null && !args.isBlank()) {
            for (String raw : args.split(",")) {
                String item = raw.trim();
                if (item.isEmpty()) {
                    continue;
                }
                int eq = item.indexOf('=');
                if (eq < 0) {
                    if (current == null) {
                        throw new IllegalArgumentException("agent arguments start with key=value (e.g. sinks=jsonl)");
                    }
                    items.get(current).add(item);
                    continue;
                }
                current = item.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                if (current.isEmpty()) {
                    throw new IllegalArgumentException("an agent argument has an empty key");
                }
                List<String> values = new ArrayList<>();
                String value = item.substring(eq + 1).trim();
                if (!value.isEmpty()) {
                    values.add(value);
                }
                items.put(current, values);
            }
        }
        Map<String, String> config = new LinkedHashMap<>();
        List<String> scrub = new ArrayList<>();
        boolean nonDumpable = false;
        boolean required = false;
        for (Map.Entry<String, List<String>> e : items.entrySet()) {
            String joined = String.join(",", e.getValue());
            switch (e.getKey()) {
                case "scrub":
                    scrub.addAll(e.getValue());
                    break;
                case "nondumpable":
                case "non-dumpable":
                    nonDumpable = bool(e.getKey(), joined);
                    break;
                case "required":
                    required = bool(e.getKey(), joined);
                    break;
                default:
                    String key = e.getKey().startsWith(GuardConfig.PREFIX) ? e.getKey() : GuardConfig.PREFIX + e.getKey();
                    config.put(key, joined);
            }
        }
        return new AgentOptions(config, scrub, nonDumpable, required);
    }

    private static boolean bool(String key, String value) {
        return GuardConfig.of(Map.of(GuardConfig.PREFIX + "agent." + key, value.isEmpty() ? "true" : value))
                .getBoolean(GuardConfig.PREFIX + "agent." + key, false);
    }
}
