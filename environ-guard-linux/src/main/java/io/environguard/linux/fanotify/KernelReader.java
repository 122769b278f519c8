package io.environguard.linux.fanotify;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PidfdInfo;
import io.environguard.linux.nativeio.Pidfds;
import io.environguard.linux.nativeio.PollSet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel-read loop: waits on the fanotify descriptor, reads up to 64 KiB of records into one reused
 * native buffer, decodes them by offset, and keeps only opens of {@code environ} and {@code mem} files.
 * Everything else (resolution, policy) happens on the resolver thread, so that the kernel queue drains
 * at the speed of {@code read}, {@code readlink} and {@code close}.
 *
 * <p>Per event it makes one {@code statx} of the descriptor: environ and mem files have modes of their own
 * (0400 and 0600, learned from this process's own files at start), so most opens are known to be
 * uninteresting without reading their path. Only the rest get a {@code readlink} of {@code /proc/self/fd/N}
 * (into a reused buffer, compared as bytes). An uninteresting file gets an ignore mark ({@link IgnoreMarks}),
 * so that its next open makes no event, unless the read came from a backlog (it nearly filled the buffer):
 * then draining comes first. A small cache of inode numbers keeps many opens of one file from marking it
 * again and again. Then the descriptors are closed. Only for the rare opens that pass the filter does it
 * allocate: the path string, the device of the file (which procfs instance), and the opener's pidfd
 * information (ppid, uid, gid, cgroup), read here because short-lived readers such as {@code cat} are gone by
 * the time a resolver gets to them (and, where the process table is not fed by the kernel, its {@code exe} link).
 * It never blocks on the resolver: a full queue counts as a {@code resolver_backlog} loss.
 */
final class KernelReader implements Runnable {

    static final int BUFFER_SIZE = 64 * 1024;
    /** How often to retry delivering losses while the resolver queue is full. */
    private static final int LOSS_RETRY_MILLIS = 200;
    private static final int MARKED_SLOTS = 4096;
    private static final int BACKLOG_BYTES = BUFFER_SIZE * 3 / 4;
    /** Two reads with events less than this many windows apart make a burst. */
    private static final long BURST_GAP_WINDOWS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(KernelReader.class);
    private static final byte[] ENVIRON = "/environ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MEM = "/mem".getBytes(StandardCharsets.US_ASCII);

    private final FanotifyGroup group;
    private final int wakeupFd;
    private final BlockingQueue<RawAccess> queue;
    private final Memory buffer = new Memory(BUFFER_SIZE);
    private final ByteBuffer view = buffer.getByteBuffer(0, BUFFER_SIZE).order(ByteOrder.nativeOrder());
    private final FdInspector fds = new FdInspector();
    private final Pidfds pidfds = new Pidfds();
    private final LossTally batch;
    private final LossTally undelivered;
    private final FanotifyEventDecoder.Handler handler = this::onEvent;
    private final IgnoreMarks ignoreMarks;
    private final long batchWindowNanos;
    /** The file type and permission bits of environ and mem files; -1 when unknown (every path is read). */
    private final int environMode;
    private final int memMode;
    /**
     * Inodes marked (or found outside the marks' scope) lately, by a hash of inode and device: a hit skips a
     * mark, a miss costs one more.
     */
    private final long[] marked = new long[MARKED_SLOTS];
    private int markedGeneration;
    private boolean markLazily;
    private long lastFound;
    private boolean foundBefore;

    /** This process: its own opens that fail with ESRCH are its own /proc reads, never environ or mem. */
    private final int selfPid;
    private volatile long eventsRead;
    private volatile long lossesCounted;
    private volatile Throwable failure;
    private Instant batchTime = Instant.EPOCH;
    private long batchNanos;
    private final boolean readReaderExe;

    /**
     * @param ignoreMarks      where uninteresting files are marked, or {@code null} to mark none
     * @param procRoot         the {@code /proc} whose {@code self/environ} and {@code self/mem} give the modes to
     *                         look for, or {@code null} to read the path of every event
     * @param batchWindowNanos inside a burst, how long to let more events gather before reading again (0: read
     *                         again at once)
     * @param readReaderExe    whether to read each reader's {@code exe} link as its event is decoded: needed only
     *                         where the process table is not fed by the kernel (the reader may be gone by the time
     *                         it is resolved); with the kernel's feed, the table recorded it at the exec
     */
    KernelReader(FanotifyGroup group, int wakeupFd, BlockingQueue<RawAccess> queue, int queueCapacity,
                 IgnoreMarks ignoreMarks, String procRoot, long batchWindowNanos, boolean readReaderExe) {
        this(group, wakeupFd, queue, queueCapacity, ignoreMarks, procRoot, batchWindowNanos, readReaderExe,
                (int) ProcessHandle.current().pid());
    }

    /** @param selfPid the guard's own process, whose failed opens are counted apart (for tests: any pid) */
    KernelReader(FanotifyGroup group, int wakeupFd, BlockingQueue<RawAccess> queue, int queueCapacity,
                 IgnoreMarks ignoreMarks, String procRoot, long batchWindowNanos, boolean readReaderExe, int selfPid) {
        this.selfPid = selfPid;
        this.batchWindowNanos = batchWindowNanos;
        this.readReaderExe = readReaderExe;
        this.group = group;
        this.wakeupFd = wakeupFd;
        this.queue = queue;
        this.batch = new LossTally(queueCapacity);
        this.undelivered = new LossTally(queueCapacity);
        this.ignoreMarks = ignoreMarks;
        int environ = -1;
        int mem = -1;
        if (procRoot != null && fds.stat(procRoot + "/self/environ") == 0) {
            environ = fds.mode();
            if (fds.stat(procRoot + "/self/mem") == 0) {
                mem = fds.mode();
            }
        }
        // Both or neither: a filter that knew one mode would drop the other kind of file.
        this.environMode = mem < 0 ? -1 : environ;
        this.memMode = environ < 0 ? -1 : mem;
    }

    /** Whether events are filtered by mode before their path is read. */
    boolean filtersByMode() {
        return environMode >= 0;
    }

    long eventsRead() {
        return eventsRead;
    }

    long lossesCounted() {
        return lossesCounted;
    }

    /** Why the loop ended early, if it did. */
    Throwable failure() {
        return failure;
    }

    @Override
    public void run() {
        PollSet poll = new PollSet(2);
        poll.watch(0, group.fd(), LinuxLibC.POLLIN);
        poll.watch(1, wakeupFd, LinuxLibC.POLLIN);
        try {
            boolean coalescing = false;
            while (true) {
                int ready = poll.await(coalescing ? 0 : undelivered.isEmpty() ? -1 : LOSS_RETRY_MILLIS);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw new IllegalStateException("poll on the fanotify descriptor failed: " + Errno.describe(-ready));
                }
                if (poll.ready(1) != 0) {
                    return;
                }
                long before = eventsRead;
                if (poll.ready(0) != 0) {
                    drain();
                }
                deliverLosses();
                // Events come in bursts (ps, top, a sweep). Inside one (events found by this read and by one
                // shortly before), let the next events gather for a moment instead of waking for each: one
                // wake-up per window, and the openers meanwhile queue their events without waking anyone. An
                // event after a quiet spell is read at once; one inside a burst waits at most the window.
                coalescing = false;
                if (eventsRead != before) {
                    long now = System.nanoTime();
                    coalescing = batchWindowNanos > 0 && foundBefore
                            && now - lastFound < BURST_GAP_WINDOWS * batchWindowNanos;
                    lastFound = now;
                    foundBefore = true;
                }
                if (coalescing) {
                    LockSupport.parkNanos(batchWindowNanos);
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.error("fanotify reader stopped; environ reads are no longer seen", e);
            batch.sourceFailed(e.toString());
            deliverLosses(); // if the queue is full, close() hands the undelivered tally over
        }
    }

    /** Reads until the kernel queue is empty. */
    private void drain() {
        while (true) {
            int n = group.read(buffer);
            if (n > 0) {
                process(view, n);
            } else if (n == -Errno.EAGAIN || n == 0) {
                return;
            } else if (n == -Errno.EINTR) {
                continue;
            } else if (n == -Errno.ESRCH) {
                // Without FAN_REPORT_FD_ERROR, the first event of a read whose process exited fails the read.
                batch.targetExited();
            } else if (n == -Errno.EMFILE || n == -Errno.ENFILE) {
                batch.fdExhausted();
            } else {
                batch.readError(-n);
                deliverLosses();
                return;
            }
        }
    }

    /** Handles the records of one read: accesses to the queue, then this read's losses as one batch. */
    void process(ByteBuffer records, int length) {
        batchTime = Instant.now();
        batchNanos = System.nanoTime();
        // A read that (nearly) filled the buffer means a backlog: drain it first, mark files once caught up.
        markLazily = length < BACKLOG_BYTES;
        eventsRead += FanotifyEventDecoder.decode(records, length, handler);
        deliverLosses();
    }

    private void onEvent(long mask, int fd, int pid, int pidfd) {
        if ((mask & Fanotify.FAN_Q_OVERFLOW) != 0) {
            closeIfOpen(fd);
            closeIfOpen(pidfd);
            batch.queueOverflow();
            return;
        }
        if (fd < 0) {
            closeIfOpen(pidfd);
            if (LOG.isDebugEnabled()) {
                LOG.debug("an open by pid {} could not be reopened ({}){}", pid, Errno.name(-fd),
                        pid == selfPid ? " (this process)" : "");
            }
            if (fd == -Errno.ESRCH && pid == selfPid) {
                // This process opens no other process's environ or mem (it reads stat, cmdline, cgroup, mountinfo):
                // its own opens of files whose process has gone are no lost environ reads, and are counted apart.
                batch.targetExitedGuardRead();
            } else if (fd == -Errno.ESRCH) {
                batch.targetExited();
            } else if (fd == -Errno.EMFILE || fd == -Errno.ENFILE) {
                batch.fdExhausted();
            } else {
                batch.fdError(fd == Fanotify.FAN_NOFD ? 0 : -fd);
            }
            return;
        }
        boolean statted = fds.stat(fd) == 0;
        if (statted && environMode >= 0 && fds.mode() != environMode && fds.mode() != memMode) {
            uninteresting(fd, true, -1);
            closeIfOpen(pidfd);
            return;
        }
        long device = statted ? fds.device() : -1;
        int length = fds.readFdLink(fd);
        if (length <= 0) {
            LinuxLibC.close(fd);
            closeIfOpen(pidfd);
            return;
        }
        if (!(fds.linkEndsWith(length, ENVIRON) || fds.linkEndsWith(length, MEM))) {
            uninteresting(fd, statted, length);
            closeIfOpen(pidfd);
            return;
        }
        String path = fds.linkString(length);
        // The exe link next, where the table cannot name the reader: a short-lived reader such as cat may be gone
        // a few microseconds later.
        String exe = null;
        if (readReaderExe && pid > 0) {
            int n = fds.readLink("/proc/" + pid + "/exe");
            exe = n > 0 ? fds.linkString(n) : null;
        }
        if (!statted) {
            device = fds.deviceOf(fd);
        }
        LinuxLibC.close(fd);
        PidfdInfo info = pidfd >= 0 ? pidfds.info(pidfd).orElse(null) : null;
        boolean readerGone = pidfd == Fanotify.FAN_NOFD || pidfd == -Errno.ESRCH;
        RawAccess.Open open = new RawAccess.Open(batchTime, batchNanos, pid, pidfd >= 0 ? pidfd : -1, readerGone, path, device,
                exe, info);
        if (!queue.offer(open)) {
            closeIfOpen(pidfd);
            batch.resolverBacklog();
        }
    }

    /**
     * Marks the file open on {@code fd} (neither environ nor mem) so that its next open makes no event, unless
     * it was marked lately; then closes {@code fd}.
     *
     * @param statted    whether the statx of {@code fd} is in {@link #fds} (it names the inode)
     * @param linkLength the length of its path in {@link #fds}, or -1 when the path was not read
     */
    private void uninteresting(int fd, boolean statted, int linkLength) {
        if (markLazily && ignoreMarks != null && ignoreMarks.active()) {
            if (markedGeneration != ignoreMarks.generation()) {
                markedGeneration = ignoreMarks.generation();
                java.util.Arrays.fill(marked, 0L);
            }
            long key = statted ? fds.inode() * 31 + fds.device() : 0;
            int slot = (int) (key ^ (key >>> 32)) & (MARKED_SLOTS - 1);
            if (key == 0 || marked[slot] != key) {
                int length = linkLength;
                if (length < 0 && ignoreMarks.needsPath()) {
                    length = fds.readFdLink(fd);
                }
                ignoreMarks.afterEvent(fd, statted ? fds.device() : -1, length > 0 ? fds.linkBytes() : null, length);
                marked[slot] = key;
            }
        }
        LinuxLibC.close(fd);
    }

    /** Moves this read's losses into the undelivered tally and offers them to the resolver queue. */
    private void deliverLosses() {
        if (!batch.isEmpty()) {
            lossesCounted += batch.total();
            undelivered.addAll(batch);
            batch.clear();
        }
        if (!undelivered.isEmpty() && queue.offer(new RawAccess.Losses(undelivered.toReports()))) {
            undelivered.clear();
        }
    }

    /** Losses not yet handed to the resolver queue (on shutdown). */
    LossTally undelivered() {
        undelivered.addAll(batch);
        batch.clear();
        return undelivered;
    }

    private static void closeIfOpen(int fd) {
        if (fd >= 0) {
            LinuxLibC.close(fd);
        }
    }
}
