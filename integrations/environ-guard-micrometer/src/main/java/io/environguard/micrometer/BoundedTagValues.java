package io.environguard.micrometer;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Keeps a tag's set of values bounded, so that a metrics backend never sees an unbounded number of series:
 * the known values (built-in rule ids, loss causes) pass as they are; other values pass as they are while they look
 * like ids ({@code [a-z][a-z0-9_]{0,63}}) and fewer than {@code maxOthers} distinct ones have been seen; every
 * further value, and any value that does not look like an id, becomes {@value #OTHER}. A value, once mapped, keeps
 * its mapping.
 *
 * <pre>{@code
 * BoundedTagValues rules = new BoundedTagValues(Set.of("environ_sweep"), 32);
 * rules.valueOf("environ_sweep");       // "environ_sweep"
 * rules.valueOf("my_plugin_rule");      // "my_plugin_rule" (one of the first 32 others)
 * rules.valueOf("Not An Id!");          // "other"
 * }</pre>
 */
final class BoundedTagValues {

    /** The value that stands for every value past the bound. */
    static final String OTHER = "other";

    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    private final Set<String> known;
    private final int maxOthers;
    private final Map<String, String> mapped = new ConcurrentHashMap<>();
    private int others;

    BoundedTagValues(Set<String> known, int maxOthers) {
        this.known = Set.copyOf(known);
        if (maxOthers < 0) {
            throw new IllegalArgumentException("maxOthers must not be negative");
        }
        this.maxOthers = maxOthers;
    }

    /** The tag value for {@code raw}: itself, or {@value #OTHER} past the bound. */
    String valueOf(String raw) {
        if (raw == null) {
            return OTHER;
        }
        if (known.contains(raw)) {
            return raw;
        }
        String v = mapped.get(raw);
        return v != null ? v : admit(raw);
    }

    private synchronized String admit(String raw) {
        String v = mapped.get(raw);
        if (v != null) {
            return v;
        }
        if (ID.matcher(raw).matches() && !raw.equals(OTHER) && others < maxOthers) {
            others++;
            v = raw;
        } else {
            v = OTHER;
        }
        // Values past the bound are not remembered one by one (that would be the unbounded set again): they are
        // mapped again on each sight, to the same "other". Only admitted values are kept, at most maxOthers.
        if (v != OTHER) {
            mapped.put(raw, v);
        }
        return v;
    }

    /** Whether {@code raw} maps to {@code tagValue}. */
    boolean mapsTo(String raw, String tagValue) {
        return Objects.equals(valueOf(raw), tagValue);
    }
}
