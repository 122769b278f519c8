package io.environguard.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A judged finding, delivered to every sink.
 *
 * <ul>
 *   <li>A single read: {@code access} is set, {@code targets} is empty, {@code count} is 1.</li>
 *   <li>A sweep ({@link Rules#ENVIRON_SWEEP}): {@code access} is the access that crossed the
 *       threshold, {@code targets} lists every distinct target, {@code count} the accesses folded in.</li>
 *   <li>Lost events ({@link Rules#EVENTS_LOST}): {@code access} is {@code null}, {@code lost} maps each
 *       cause to how many events it lost, {@code count} is their sum.</li>
 * </ul>
 *
 * @param time     when the alert was raised
 * @param rule     the rule id, one of {@link Rules}
 * @param severity how bad it is
 * @param reasons  human-readable reasons, most important first
 * @param mitre    the ATT&amp;CK classification, or {@code null} (lost events)
 * @param access   the access, or {@code null} for lost events
 * @param targets  distinct targets of a sweep; empty otherwise
 * @param count    accesses (or lost events) this alert stands for
 * @param lost     lost events by cause; empty unless {@code rule} is {@link Rules#EVENTS_LOST}
 */
public record Alert(Instant time, String rule, Severity severity, List<String> reasons, Mitre mitre,
                    EnvironAccess access, List<ProcessInfo> targets, long count, Map<String, Long> lost) {

    public Alert {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(severity, "severity");
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        targets = targets == null ? List.of() : List.copyOf(targets);
        lost = lost == null ? Map.of() : Map.copyOf(lost);
    }

    /** An alert for one access. */
    public static Alert of(EnvironAccess access, String rule, Severity severity, Mitre mitre, List<String> reasons) {
        return new Alert(access.time(), rule, severity, reasons, mitre, access, List.of(), 1, Map.of());
    }

    /** Whether this alert carries an access (every rule but {@link Rules#EVENTS_LOST}). */
    public boolean hasAccess() {
        return access != null;
    }
}
