package io.environguard.linux.proc;

/**
 * One open file descriptor of a process and its link target as the kernel prints it.
 *
 * <pre>{@code
 * FdLink link = new FdLink(3, "/proc/42/environ");
 * ProcPaths.classify(link.target(), List.of("/proc"));
 * }</pre>
 *
 * @param fd     the descriptor number
 * @param target the {@code readlink} result, e.g. {@code /dev/null}, {@code socket:[999]}, {@code /proc/42/environ}
 */
public record FdLink(int fd, String target) {

    /**
     * Parses {@link #target()}; see {@link FdTargetParser}.
     *
     * @return what the descriptor refers to
     * @throws ProcParseException when the target is empty or malformed
     */
    public FdTarget parsedTarget() throws ProcParseException {
        return FdTargetParser.parse(target);
    }
}
