package io.environguard.linux.fanotify;

import io.environguard.api.LossReport;
import io.environguard.linux.nativeio.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts the events lost while decoding reads of the fanotify queue, by cause, and turns them into one
 * {@link LossReport} per cause. Owned by the kernel-read thread; counts carry over until delivered.
 */
final class LossTally {

    static final String QUEUE_OVERFLOW = "queue_overflow";
    static final String TARGET_EXITED = "target_exited";
    /**
     * A {@code target_exited} open made by the guard's own process: its own reads of {@code /proc} (the procfs
     * instance rescans read {@code /proc/PID/mountinfo}), never an environ or mem read.
     */
    static final String TARGET_EXITED_GUARD_READ = "target_exited_guard_read";
    static final String FD_EXHAUSTED = "fd_exhausted";
    static final String RESOLVER_BACKLOG = "resolver_backlog";
    static final String FD_ERROR = "fd_error";
    static final String READ_ERROR = "read_error";
    static final String SOURCE_FAILED = "source_failed";

    private long queueOverflow;
    private long targetExited;
    private long targetExitedGuardRead;
    private long fdExhausted;
    private long resolverBacklog;
    private long fdError;
    private int lastFdErrno;
    private long readError;
    private int lastReadErrno;
    private String failure;
    private final int resolverCapacity;

    LossTally(int resolverCapacity) {
        this.resolverCapacity = resolverCapacity;
    }

    void queueOverflow() {
        queueOverflow++;
    }

    void targetExited() {
        targetExited++;
    }

    /** A {@code target_exited} open whose opener was the guard's own process. */
    void targetExitedGuardRead() {
        targetExitedGuardRead++;
    }

    void fdExhausted() {
        fdExhausted++;
    }

    void resolverBacklog() {
        resolverBacklog++;
    }

    void fdError(int errno) {
        fdError++;
        lastFdErrno = errno;
    }

    void readError(int errno) {
        readError++;
        lastReadErrno = errno;
    }

    /** The reader thread died: from now on every event is lost, which no count can express. */
    void sourceFailed(String why) {
        failure = why;
    }

    boolean isEmpty() {
        return queueOverflow == 0 && targetExited == 0 && targetExitedGuardRead == 0 && fdExhausted == 0 && resolverBacklog == 0
                && fdError == 0 && readError == 0 && failure == null;
    }

    /** Total events counted (overflow records count one each, though each stands for many). */
    long total() {
        return queueOverflow + targetExited + targetExitedGuardRead + fdExhausted + resolverBacklog + fdError + readError
                + (failure == null ? 0 : 1);
    }

    /** One report per cause with a non-zero count, in a fixed order. */
    List<LossReport> toReports() {
        List<LossReport> reports = new ArrayList<>(2);
        if (queueOverflow > 0) {
            reports.add(new LossReport(QUEUE_OVERFLOW, queueOverflow, "the kernel's fanotify queue overflowed ("
                    + queueOverflow + " FAN_Q_OVERFLOW record(s)): every /proc open after it until the queue"
                    + " drained was dropped, environ reads included; how many is unknown, the count is of"
                    + " overflow records"));
        }
        if (targetExited > 0) {
            reports.add(new LossReport(TARGET_EXITED, targetExited, targetExited + " /proc open(s) whose process"
                    + " exited before the event was read (ESRCH): the kernel could not open the file, so its path"
                    + " is unknown and some may have been environ or mem reads"));
        }
        if (targetExitedGuardRead > 0) {
            reports.add(new LossReport(TARGET_EXITED_GUARD_READ, targetExitedGuardRead, targetExitedGuardRead
                    + " /proc open(s) by the guard itself whose process exited before the event was read (ESRCH): its"
                    + " own reads of /proc (such as another process's mountinfo), never an environ or mem read", true));
        }
        if (fdExhausted > 0) {
            reports.add(new LossReport(FD_EXHAUSTED, fdExhausted, fdExhausted + " event(s) dropped because this"
                    + " process had no file descriptor left for them (EMFILE/ENFILE); raise RLIMIT_NOFILE"));
        }
        if (resolverBacklog > 0) {
            reports.add(new LossReport(RESOLVER_BACKLOG, resolverBacklog, resolverBacklog + " environ or mem"
                    + " access(es) seen but dropped because the resolver queue (capacity " + resolverCapacity
                    + ") was full; the reader thread never waits for the resolver"));
        }
        if (fdError > 0) {
            reports.add(new LossReport(FD_ERROR, fdError, fdError + " event(s) whose file the kernel could not"
                    + " open (last error " + Errno.name(lastFdErrno) + ")"));
        }
        if (readError > 0) {
            reports.add(new LossReport(READ_ERROR, readError, readError + " read(s) of the fanotify queue failed"
                    + " (last error " + Errno.name(lastReadErrno)
                    + "); each dropped at least one event"));
        }
        if (failure != null) {
            reports.add(new LossReport(SOURCE_FAILED, 1, "the fanotify reader stopped (" + failure
                    + "): environ reads are no longer seen until the guard is restarted"));
        }
        return reports;
    }

    /** Adds {@code other}'s counts to this one. */
    void addAll(LossTally other) {
        queueOverflow += other.queueOverflow;
        targetExited += other.targetExited;
        targetExitedGuardRead += other.targetExitedGuardRead;
        fdExhausted += other.fdExhausted;
        resolverBacklog += other.resolverBacklog;
        fdError += other.fdError;
        if (other.fdError > 0) {
            lastFdErrno = other.lastFdErrno;
        }
        readError += other.readError;
        if (other.readError > 0) {
            lastReadErrno = other.lastReadErrno;
        }
        if (other.failure != null) {
            failure = other.failure;
        }
    }

    void clear() {
        queueOverflow = 0;
        targetExited = 0;
        targetExitedGuardRead = 0;
        fdExhausted = 0;
        resolverBacklog = 0;
        fdError = 0;
        readError = 0;
        failure = null;
    }
}
