package io.environguard.linux.process;

/**
 * Where the table learns what a process exec'd without racing it: an image (name and executable) recorded by
 * the kernel at the exec itself. {@link ExecLog} reads them from perf side-band records; tests script them.
 *
 * <pre>{@code
 * ExecImages.Image image = images.take(pid, execEvent.timestampNanos());
 * if (image != null) { ... image.comm(), image.exe() ... }
 * }</pre>
 */
interface ExecImages {

    /**
     * The newest image recorded for process {@code pid} at or before {@code notAfterNanos}
     * ({@code CLOCK_MONOTONIC}), removed from the log; {@code null} when none is recorded.
     */
    Image take(int pid, long notAfterNanos);

    /** Reads what the kernel recorded since the last look (an image may have been written just now). */
    void refresh();

    /**
     * What the kernel recorded at one exec.
     *
     * @param pid        the process
     * @param comm       its new name
     * @param exe        the executable (the first executable mapping after the exec: the binary, or a script's
     *                   interpreter, as {@code /proc/P/exe} shows it); {@code null} when its record was lost
     * @param device     the executable's device ({@code major << 32 | minor}), or -1
     * @param inode      the executable's inode, or -1
     * @param timeNanos  when the exec renamed the process ({@code CLOCK_MONOTONIC})
     */
    record Image(int pid, String comm, String exe, long device, long inode, long timeNanos) {
    }
}
