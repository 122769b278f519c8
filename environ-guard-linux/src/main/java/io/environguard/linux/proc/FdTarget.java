package io.environguard.linux.proc;

/**
 * What a {@code /proc/P/fd/N} link points at, as the kernel prints it.
 *
 * <pre>{@code
 * FdTarget t = FdTargetParser.parse("socket:[999]");
 * t.kind();    // SOCKET
 * t.inode();   // 999
 * }</pre>
 *
 * @param kind    the shape of the target
 * @param text    the target as printed, without a trailing {@code " (deleted)"}: a path for {@link Kind#PATH},
 *                else the whole {@code type:[inode]} or {@code anon_inode:name} text
 * @param inode   the number in {@code type:[inode]}, or {@code -1}
 * @param deleted whether the kernel appended {@code " (deleted)"} (the file was unlinked or, for a
 *                {@code /proc} file, its process exited)
 */
public record FdTarget(Kind kind, String text, long inode, boolean deleted) {

    /** The shape of a link target. */
    public enum Kind {
        /** An absolute path, e.g. {@code /proc/42/environ} or {@code /memfd:x (deleted)}. */
        PATH,
        /** {@code socket:[inode]}. */
        SOCKET,
        /** {@code pipe:[inode]}. */
        PIPE,
        /** {@code anon_inode:name} or {@code anon_inode:[name]} (eventfd, epoll, pidfd, ...). */
        ANON_INODE,
        /** Any other {@code type:[inode]} (namespaces: {@code net:[...]}, {@code mnt:[...]}, ...). */
        OTHER
    }
}
