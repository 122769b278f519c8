package io.environguard.api;

import java.util.Locale;

/**
 * Which per-process file was touched. {@code mem} is its own kind because reading
 * {@code /proc/P/mem} at the {@code env_start..env_end} range returns the same secrets as {@code environ}.
 */
public enum ProcFile {
    /** {@code /proc/P/environ}: the process's initial environment. */
    ENVIRON,
    /** {@code /proc/P/mem}: the process's memory, environment included. */
    MEM;

    /** @return the lower-case name used in JSON and paths: {@code "environ"}, {@code "mem"} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
