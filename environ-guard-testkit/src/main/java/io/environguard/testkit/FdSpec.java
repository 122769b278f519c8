package io.environguard.testkit;

import java.util.Objects;

/**
 * One open file descriptor of a simulated process, with its link target exactly as the kernel prints it.
 *
 * <pre>{@code
 * fs.openFd(reader.pid(), new FdSpec(7, KernelPaths.environ(target.pid())));
 * fs.openFd(reader.pid(), new FdSpec(8, "socket:[999]"));
 * }</pre>
 *
 * @param fd     descriptor number, {@code >= 0}
 * @param target the {@code readlink} result: an absolute path, {@code socket:[N]}, {@code pipe:[N]},
 *               {@code anon_inode:[eventfd]}, ...
 */
public record FdSpec(int fd, String target) {

    /**
     * Checks the fields.
     *
     * @param fd     descriptor number, {@code >= 0}
     * @param target the {@code readlink} result
     * @throws IllegalArgumentException when {@code fd} is negative or {@code target} is empty or holds a NUL
     */
    public FdSpec {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must be >= 0");
        }
        Objects.requireNonNull(target, "target");
        if (target.isEmpty() || target.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a link target is non-empty and has no NUL");
        }
    }
}
