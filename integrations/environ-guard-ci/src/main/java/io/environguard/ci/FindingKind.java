package io.environguard.ci;

/**
 * Why an alert is a finding against the guarded tree.
 *
 * <pre>{@code
 * boolean worst = finding.kind() != FindingKind.TREE_READ;   // the guard or a process above the tree was read
 * }</pre>
 */
public enum FindingKind {
    /** A process of the tree read the environ or mem of a guarded process above it: the guard, its shell, the runner. */
    ANCESTOR_READ,
    /** A process of the tree read another process's environ or mem (anything but a guarded process above it). */
    TREE_READ,
    /**
     * A guarded process above the tree was read by a reader the source could not name (the kernel hides readers from
     * an unprivileged listener) or whose lineage could not be traced: it fails the run all the same.
     */
    UNATTRIBUTED_READ
}
