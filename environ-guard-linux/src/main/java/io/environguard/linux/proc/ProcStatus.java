package io.environguard.linux.proc;

import java.util.List;

/**
 * The fields environ-guard uses from {@code /proc/P/status}. Numbers absent from the file are {@code -1}.
 *
 * <pre>{@code
 * ProcStatus status = ProcStatusParser.parse(Files.readAllBytes(Path.of("/proc/self/status")));
 * boolean isThread = status.tgid() != status.pid();
 * }</pre>
 *
 * @param name  {@code Name}, with the kernel's {@code \n} and {@code \\} escapes undone; {@code null} if absent
 * @param tgid  {@code Tgid}: the thread group (process) id
 * @param pid   {@code Pid}: the id of the task this file describes (a thread id in {@code task/T/status})
 * @param ppid  {@code PPid}
 * @param uid   the real user id (first number of {@code Uid})
 * @param gid   the real group id (first number of {@code Gid})
 * @param nsPid {@code NSpid}: the task's id in each pid namespace, outermost (the reader's) first; empty if absent
 */
public record ProcStatus(String name, int tgid, int pid, int ppid, int uid, int gid, List<Integer> nsPid) {

    /**
     * Keeps an unmodifiable copy of {@code nsPid}.
     *
     * @param name  {@code Name}, unescaped; {@code null} if absent
     * @param tgid  {@code Tgid}, or -1
     * @param pid   {@code Pid}, or -1
     * @param ppid  {@code PPid}, or -1
     * @param uid   the real user id, or -1
     * @param gid   the real group id, or -1
     * @param nsPid {@code NSpid}, outermost first; {@code null} or empty if absent
     */
    public ProcStatus {
        nsPid = nsPid == null ? List.of() : List.copyOf(nsPid);
    }
}
