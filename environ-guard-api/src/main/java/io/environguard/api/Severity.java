package io.environguard.api;

import java.util.Locale;

/** How bad an alert is, from {@link #INFO} to {@link #CRITICAL}. Ordered: {@code compareTo} ranks them. */
public enum Severity {
    /** Worth recording, no threat by itself; the lowest, where lowering a severity stops. */
    INFO,
    /** Expected but worth a look: the default for reads by known readers. */
    LOW,
    /** A high one seen only on a command line (procfs polling), one step lower for the lower confidence. */
    MEDIUM,
    /** A read of another process's environ or mem, or events lost that may have been such reads. */
    HIGH,
    /** A sweep over many processes, or a read of a protected process by a reader not known to read environs. */
    CRITICAL;

    /** @return the lower-case name used in JSON and configuration ({@code "high"}) */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a severity's name, in any case, surrounding spaces ignored.
     *
     * @param text {@code "high"}, {@code "HIGH"}...
     * @return the severity
     * @throws IllegalArgumentException naming the valid values (never {@code text}) when it is none of them
     */
    public static Severity parse(String text) {
        for (Severity s : values()) {
            if (s.name().equalsIgnoreCase(text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown severity; expected one of info, low, medium, high, critical");
    }
}
