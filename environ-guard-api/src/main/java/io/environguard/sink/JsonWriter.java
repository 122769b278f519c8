package io.environguard.sink;

import io.environguard.api.ProcessInfo;
import io.environguard.api.UntrustedText;
import java.util.List;

/**
 * A minimal streaming JSON writer into a {@link StringBuilder}: enough for alerts, no dependency.
 *
 * <p>Any Java string becomes valid JSON, escaped by the same rules as every untrusted text
 * ({@link UntrustedText}): {@code "} and {@code \} are escaped, control characters (C0, DEL and C1) become
 * {@code \}{@code uXXXX} (or {@code \n}, {@code \t}...), U+2028 and U+2029 (they end lines in JavaScript and
 * some viewers) and bidirectional controls (they reorder a line on screen) are escaped, and a surrogate that is
 * not part of a valid pair becomes U+FFFD, since it has no UTF-8 encoding. The output holds no line break.
 */
final class JsonWriter {

    private final StringBuilder out;
    /** Bit {@code d}: the container at depth {@code d + 1} already holds an element, so the next needs a comma. */
    private long hasElement;
    private int depth;
    private boolean afterName;

    JsonWriter(StringBuilder out) {
        this.out = out;
    }

    JsonWriter beginObject() {
        beforeValue();
        out.append('{');
        return push();
    }

    JsonWriter endObject() {
        pop();
        out.append('}');
        return this;
    }

    JsonWriter beginArray() {
        beforeValue();
        out.append('[');
        return push();
    }

    JsonWriter endArray() {
        pop();
        out.append(']');
        return this;
    }

    JsonWriter name(String name) {
        beforeValue();
        appendString(out, name);
        out.append(':');
        afterName = true;
        return this;
    }

    /** A string, or {@code null}. */
    JsonWriter value(String value) {
        beforeValue();
        if (value == null) {
            out.append("null");
        } else {
            appendString(out, value);
        }
        return this;
    }

    JsonWriter value(long value) {
        beforeValue();
        out.append(value);
        return this;
    }

    JsonWriter value(boolean value) {
        beforeValue();
        out.append(value);
        return this;
    }

    JsonWriter nullValue() {
        beforeValue();
        out.append("null");
        return this;
    }

    /** A known number, or {@code null} for {@link ProcessInfo#UNKNOWN}. */
    JsonWriter valueOrNull(int value) {
        return value == ProcessInfo.UNKNOWN ? nullValue() : value(value);
    }

    /** A known number, or {@code null} for a negative one (an unknown start time is {@code -1}). */
    JsonWriter valueOrNull(long value) {
        return value < 0 ? nullValue() : value(value);
    }

    /** An array of strings. */
    JsonWriter value(List<String> values) {
        beginArray();
        for (String v : values) {
            value(v);
        }
        return endArray();
    }

    JsonWriter field(String name, String value) {
        return name(name).value(value);
    }

    JsonWriter field(String name, long value) {
        return name(name).value(value);
    }

    JsonWriter field(String name, boolean value) {
        return name(name).value(value);
    }

    private JsonWriter push() {
        if (depth == Long.SIZE) {
            throw new IllegalStateException("JSON nested deeper than " + Long.SIZE);
        }
        hasElement &= ~(1L << depth);
        depth++;
        return this;
    }

    private void pop() {
        if (depth == 0 || afterName) {
            throw new IllegalStateException("unbalanced JSON");
        }
        depth--;
    }

    private void beforeValue() {
        if (afterName) {
            afterName = false;
            return;
        }
        if (depth > 0) {
            long bit = 1L << (depth - 1);
            if ((hasElement & bit) != 0) {
                out.append(',');
            } else {
                hasElement |= bit;
            }
        }
    }

    /** Appends {@code s} as a quoted JSON string: {@link UntrustedText}'s escaping, plus {@code "}. */
    static void appendString(StringBuilder out, String s) {
        UntrustedText.appendJsonStringContent(out.append('"'), s).append('"');
    }
}
