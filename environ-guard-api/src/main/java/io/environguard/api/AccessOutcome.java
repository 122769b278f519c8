package io.environguard.api;

import java.util.Locale;

/**
 * What the policy did with one access: every access the guard judged ends in exactly one of these, so that
 * {@link GuardStats#outcomes()} adds up to the accesses judged (an access on which the policy itself failed is
 * counted as a {@code pipeline_error} loss instead).
 *
 * <pre>{@code
 * GuardStats s = guard.stats();
 * long folded = s.outcome(AccessOutcome.FOLDED);   // listed in a sweep's closing alert, no alert of its own
 * }</pre>
 */
public enum AccessOutcome {
    /** The access raised an alert of its own, or was the access that raised a sweep alert. */
    ALERTED,
    /** A process read its own file: never an alert. */
    SELF_READ,
    /** An allow rule covered the reader: no alert. */
    ALLOWED,
    /** The same (reader, target, file) had an alert less than the dedupe window ago: no alert. */
    DEDUPED,
    /**
     * The access belongs to a sweep that already had its alert: no alert of its own; its target and reader are
     * listed, and it is counted, in that sweep's {@link Rules#ENVIRON_SWEEP_ENDED} alert.
     */
    FOLDED,
    /**
     * The access raised an alert, but its rule's rate limit ({@code environguard.alerts.rate.<rule>}) was reached:
     * no alert of its own; it is counted, and its reader and target listed, in that rule's
     * {@link Rules#ALERTS_SUPPRESSED} summary at the end of the limit's window.
     */
    RATE_LIMITED;

    /** @return the lower-case name used as a key in {@link GuardStats#outcomes()} ({@code "self_read"}) */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
