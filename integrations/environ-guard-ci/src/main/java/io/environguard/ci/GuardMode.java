package io.environguard.ci;

import java.util.Locale;

/**
 * How a guarded run watches, from the source the guard chose.
 *
 * <pre>{@code
 * GuardMode.of(guard.sourceName());   // HOST for fanotify, ANCESTORS for targeted
 * }</pre>
 */
public enum GuardMode {
    /**
     * The fanotify host source (root, CAP_SYS_ADMIN): every open of any process's environ or mem on the host is seen
     * with its reader, and the tree's reads are told apart by lineage.
     */
    HOST,
    /**
     * The targeted source: inode marks on the environ and mem of the guard and the processes above the tree that this
     * user may read (an ordinary user's own, dumpable processes). Without privilege the kernel hides the reader, so any
     * read of those fails the run; reads of other processes, the tree's own included, are not seen.
     */
    ANCESTORS,
    /** Another source (procfs polling, a plugin): judged the same way, within what that source sees. */
    OTHER;

    /**
     * @param sourceName the running source's name ({@code EnvironGuard.sourceName()}); may be {@code null}
     * @return {@link #HOST} for {@code fanotify}, {@link #ANCESTORS} for {@code targeted}, {@link #OTHER} otherwise
     */
    public static GuardMode of(String sourceName) {
        switch (sourceName == null ? "" : sourceName.toLowerCase(Locale.ROOT)) {
            case "fanotify": return HOST;
            case "targeted": return ANCESTORS;
            default: return OTHER;
        }
    }

    /** @return the lower-case name used in reports ({@code host}, {@code ancestors}, {@code other}) */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
