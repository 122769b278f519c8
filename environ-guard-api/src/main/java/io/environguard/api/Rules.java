package io.environguard.api;

/** The rule ids that alerts carry. Stable: sinks and SIEM rules may match on them. */
public final class Rules {
    /** A read of another process's environ through procfs, by a reader no rule explains. */
    public static final String ENVIRON_READ = "environ_read_from_procfs";
    /** One reader touched many distinct targets' environ files within a short window. */
    public static final String ENVIRON_SWEEP = "environ_sweep";
    /**
     * A sweep episode ended (its reader, or family of readers, was quiet for the sweep window): lists every target,
     * reader and access of the episode, including those folded into the sweep after its first alert.
     */
    public static final String ENVIRON_SWEEP_ENDED = "environ_sweep_ended";
    /** A read of a protected process's environ (the guarding JVM itself, or a configured target). */
    public static final String PROTECTED_TARGET = "environ_read_protected_target";
    /** A read by a reader on the known-readers list ({@code ps}, {@code top}, systemd tools...). */
    public static final String KNOWN_READER = "environ_read_known_reader";
    /** An open of another process's {@code /proc/P/mem}: the same secrets, read from memory. */
    public static final String MEM_READ = "proc_mem_read";
    /**
     * Alerts of one rule were held back by its rate limit ({@code environguard.alerts.rate.<rule>}): one summary per
     * window, with how many, their readers and targets; the summary's severity is the highest of those held back.
     */
    public static final String ALERTS_SUPPRESSED = "environ_alerts_suppressed";
    /** Events were lost (kernel queue overflow, fd errors, a source's own drops). */
    public static final String EVENTS_LOST = "environ_events_lost";

    private Rules() {
    }
}
