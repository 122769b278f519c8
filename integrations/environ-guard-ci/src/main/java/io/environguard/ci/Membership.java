package io.environguard.ci;

/**
 * Whether a process belongs to the guarded tree, as far as its lineage proves.
 *
 * <pre>{@code
 * if (tree.membershipOf(access.reader(), lookup) == Membership.MEMBER) { ... held against the run ... }
 * }</pre>
 */
public enum Membership {
    /** The root, or a process whose lineage contains the root (pid and start time). */
    MEMBER,
    /** Its lineage is known up to init (or to a process above the root) and does not contain the root. */
    OUTSIDER,
    /** The reader is hidden, or its lineage could not be traced far enough to tell. */
    UNKNOWN
}
