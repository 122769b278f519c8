package io.environguard.api;

import java.util.Locale;

/** How an access was observed. */
public enum AccessKind {
    /** The file was opened (fanotify {@code FAN_OPEN}). */
    OPEN,
    /** The file was read (fanotify {@code FAN_ACCESS}). */
    READ,
    /** A process was seen holding the file open (procfs polling of {@code /proc/P/fd}). */
    HELD_OPEN,
    /** A process's command line names the file; it may or may not have read it (lower confidence). */
    COMMAND_LINE;

    /** @return the lower-case name used in JSON ({@code "open"}, {@code "held_open"}) */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
