package io.environguard.api;

import java.util.Locale;

/** How bad an alert is, from {@link #INFO} to {@link #CRITICAL}. Ordered: {@code compareTo} ranks them. */
public enum Severity {
    INFO, LOW, MEDIUM, HIGH, CRITICAL;

    /** The lower-case name used in JSON and configuration ({@code "high"}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code "high"}, {@code "HIGH"}...; throws {@link IllegalArgumentException} naming the valid values. */
    public static Severity parse(String text) {
        for (Severity s : values()) {
            if (s.name().equalsIgnoreCase(text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown severity; expected one of info, low, medium, high, critical");
    }
}
