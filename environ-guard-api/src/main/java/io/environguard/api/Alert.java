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
 *       threshold, {@code targets} lists every distinct target, {@code count} the accesses folded in,
 *       {@code readers} the distinct readers and {@code actor} who is blamed: the reader itself, or the parent
 *       of short-lived sibling readers (a shell loop, {@code xargs}, {@code find -exec}).</li>
 *   <li>The end of a sweep ({@link Rules#ENVIRON_SWEEP_ENDED}): as a sweep, with every target, reader and
 *       access of the whole episode, so that no read folded into it goes unseen.</li>
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
 * @param actor    who a sweep blames when that is not the access's reader (the parent of sibling readers);
 *                 {@code null} otherwise: then the access's reader is the actor
 * @param readers  distinct readers of a sweep; empty otherwise
 */
public record Alert(Instant time, String rule, Severity severity, List<String> reasons, Mitre mitre,
                    EnvironAccess access, List<ProcessInfo> targets, long count, Map<String, Long> lost,
                    ProcessInfo actor, List<ProcessInfo> readers) {

    /**
     * Checks the required fields and keeps unmodifiable copies of the collections.
     *
     * @param time     when the alert was raised
     * @param rule     the rule id
     * @param severity how bad it is
     * @param reasons  reasons, most important first; {@code null} for none
     * @param mitre    the ATT&amp;CK classification, or {@code null}
     * @param access   the access, or {@code null} for lost events
     * @param targets  distinct targets of a sweep; {@code null} or empty otherwise
     * @param count    accesses (or lost events) this alert stands for
     * @param lost     lost events by cause; {@code null} or empty unless lost events
     * @param actor    who a sweep blames, or {@code null} when it is the access's reader
     * @param readers  distinct readers of a sweep; {@code null} or empty otherwise
     * @throws NullPointerException when {@code time}, {@code rule} or {@code severity} is {@code null}
     */
    public Alert {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(severity, "severity");
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        targets = targets == null ? List.of() : List.copyOf(targets);
        lost = lost == null ? Map.of() : Map.copyOf(lost);
        readers = readers == null ? List.of() : List.copyOf(readers);
    }

    /**
     * An alert without an actor of its own and without a list of readers (the form before family sweeps).
     *
     * @param time     when the alert was raised
     * @param rule     the rule id
     * @param severity how bad it is
     * @param reasons  reasons, most important first; {@code null} for none
     * @param mitre    the ATT&amp;CK classification, or {@code null}
     * @param access   the access, or {@code null} for lost events
     * @param targets  distinct targets of a sweep; {@code null} or empty otherwise
     * @param count    accesses (or lost events) this alert stands for
     * @param lost     lost events by cause; {@code null} or empty unless lost events
     */
    public Alert(Instant time, String rule, Severity severity, List<String> reasons, Mitre mitre,
                 EnvironAccess access, List<ProcessInfo> targets, long count, Map<String, Long> lost) {
        this(time, rule, severity, reasons, mitre, access, targets, count, lost, null, List.of());
    }

    /**
     * An alert for one access, raised at the access's time, with a count of 1.
     *
     * @param access   the access
     * @param rule     the rule id, one of {@link Rules} or a plugin's
     * @param severity how bad it is
     * @param mitre    the ATT&amp;CK classification, or {@code null}
     * @param reasons  reasons, most important first
     * @return the alert
     */
    public static Alert of(EnvironAccess access, String rule, Severity severity, Mitre mitre, List<String> reasons) {
        return new Alert(access.time(), rule, severity, reasons, mitre, access, List.of(), 1, Map.of());
    }

    /** @return whether this alert carries an access (every rule but {@link Rules#EVENTS_LOST}) */
    public boolean hasAccess() {
        return access != null;
    }

    /**
     * Who the alert blames: {@link #actor()} when set (the parent of a family of sibling readers), else the
     * access's reader; {@code null} for lost events.
     *
     * @return the process blamed, or {@code null} for lost events
     */
    public ProcessInfo blamed() {
        return actor != null ? actor : access == null ? null : access.reader();
    }
}
