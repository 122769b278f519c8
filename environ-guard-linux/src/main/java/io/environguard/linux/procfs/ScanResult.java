package io.environguard.linux.procfs;

/**
 * What one scan of the procfs polling source did: the figures behind its cost and its coverage.
 *
 * <pre>{@code
 * ScanResult r = source.scanOnce(listener);
 * System.out.printf("%d processes, %d examined, %d fds read in %.1f ms%n",
 *         r.processes(), r.examined(), r.fdsRead(), r.nanos() / 1e6);
 * }</pre>
 *
 * @param processes      process directories listed
 * @param examined       processes whose descriptor table (and, if new or changed, command line) was read
 * @param newProcesses   processes seen for the first time (or whose pid now belongs to another process)
 * @param unchanged      processes skipped because none of their threads ran since they were last examined
 * @param vanished       processes that exited while the scan looked at them
 * @param unreadable     processes whose descriptors this process may not read (another user's, without
 *                       {@code CAP_SYS_PTRACE})
 * @param fdsRead        descriptor links read
 * @param accesses       accesses delivered to the listener
 * @param pathOnly       descriptors on environ or mem files opened with {@code O_PATH}, which pin a file but cannot
 *                       read it (environ-guard's own fanotify sources hold such): not reported
 * @param notExamined    processes left for the next scan because this one ran out of its budget
 * @param due            processes re-read although their scheduling counters could have shown that they had not
 *                       run, because their {@linkplain ProcfsSettings#fullScanInterval() full-scan interval} had passed
 * @param nanos          wall time the scan took
 */
public record ScanResult(int processes, int examined, int newProcesses, int unchanged, int vanished,
                         int unreadable, long fdsRead, int accesses, int pathOnly, int notExamined, int due,
                         long nanos) {

    /** @return whether the scan stopped before it had looked at every process */
    public boolean cutShort() {
        return notExamined > 0;
    }
}
