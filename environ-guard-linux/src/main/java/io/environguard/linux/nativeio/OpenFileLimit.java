package io.environguard.linux.nativeio;

import com.sun.jna.Memory;

/**
 * {@code RLIMIT_NOFILE}, read and raised. fanotify opens one descriptor per event in the reading process;
 * when the process runs out, the kernel drops the event ({@code EMFILE}), so a listener raises its soft
 * limit to the hard limit before it starts. This changes a process-wide limit, as the JVM itself does at
 * startup with {@code -XX:+MaxFDLimit} (the default on Linux), so it is usually a no-op.
 *
 * <pre>{@code
 * OpenFileLimit.Result r = OpenFileLimit.raiseSoftToHard();
 * log.debug("open files: {} -> {} (hard {})", r.softBefore(), r.soft(), r.hard());
 * }</pre>
 */
public final class OpenFileLimit {

    /**
     * @param softBefore the soft limit found
     * @param soft       the soft limit now
     * @param hard       the hard limit
     * @param errno      0, or why reading or raising failed
     */
    public record Result(long softBefore, long soft, long hard, int errno) {
    }

    private OpenFileLimit() {
    }

    /** Raises the soft limit of open files to the hard limit; never lowers it. */
    public static Result raiseSoftToHard() {
        Memory rlimit = new Memory(16);
        if (LinuxLibC.getrlimit(LinuxLibC.RLIMIT_NOFILE, rlimit) != 0) {
            return new Result(-1, -1, -1, LinuxLibC.errno());
        }
        long soft = rlimit.getLong(0);
        long hard = rlimit.getLong(8);
        if (Long.compareUnsigned(soft, hard) >= 0) {
            return new Result(soft, soft, hard, 0);
        }
        rlimit.setLong(0, hard);
        if (LinuxLibC.setrlimit(LinuxLibC.RLIMIT_NOFILE, rlimit) != 0) {
            return new Result(soft, soft, hard, LinuxLibC.errno());
        }
        return new Result(soft, hard, hard, 0);
    }
}
