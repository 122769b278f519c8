package io.environguard.ci;

import io.environguard.api.Alert;
import io.environguard.api.ProcessInfo;
import java.util.List;
import java.util.Objects;

/**
 * One alert that fails the guarded run, and why.
 *
 * <pre>{@code
 * for (Finding f : verdict.findings()) {
 *     System.err.println(f.kind() + ": " + f.reader().pid() + " read " + f.alert().access().path());
 * }
 * }</pre>
 *
 * @param alert              the alert as the policy raised it
 * @param kind               why it is held against the tree
 * @param reader             who is blamed: the alert's reader, or the process of the tree among a sweep's readers
 * @param target             the guarded process above the tree that was read, or {@code null} when the target is not one
 * @param possibleReaders    for an {@link FindingKind#UNATTRIBUTED_READ}: the alert's best-effort possible readers that
 *                           belong to the tree (may be empty); empty otherwise
 */
public record Finding(Alert alert, FindingKind kind, ProcessInfo reader, GuardedProcess target,
                      List<ProcessInfo> possibleReaders) {

    /**
     * Checks the required fields and keeps an unmodifiable copy of {@code possibleReaders}.
     *
     * @param alert           the alert as the policy raised it
     * @param kind            why it is held against the tree
     * @param reader          who is blamed
     * @param target          the guarded process that was read, or {@code null}
     * @param possibleReaders the tree's possible readers of an unattributed read; {@code null} for none
     * @throws NullPointerException when {@code alert}, {@code kind} or {@code reader} is {@code null}
     */
    public Finding {
        Objects.requireNonNull(alert, "alert");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reader, "reader");
        possibleReaders = possibleReaders == null ? List.of() : List.copyOf(possibleReaders);
    }
}
