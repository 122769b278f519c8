package io.environguard.linux.fanotify;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.Errno;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel-read loop: waits on the fanotify descriptor, reads up to 64 KiB of records into one reused
 * native buffer, decodes them by offset, and keeps only opens of {@code environ} and {@code mem} files.
 * Everything else (resolution, policy) happens on the resolver thread, so that the kernel queue drains
 * at the speed of {@code read}, {@code readlink} and {@code close}.
 *
 * <p>Per event it makes one {@code readlink} of {@code /proc/self/fd/N} (into a reused buffer, compared
 * as bytes) and closes the descriptors. Only for the rare opens that pass the filter does it allocate:
 * the path string, the device of the file (which procfs instance), and the opener's {@code exe} link and
 * pidfd information (ppid, uid, gid), read here because short-lived readers such as {@code cat} are gone
 * by the time a resolver gets to them.
 * It never blocks on the resolver: a full queue counts as a {@code resolver_backlog} loss.
 */
final class KernelReader implements Runnable {

    static final int BUFFER_SIZE = 64 * 1024;
    /** How often to retry delivering losses while the resolver queue is full. */
    private static final int LOSS_RETRY_MILLIS = 200;

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

    private volatile long eventsRead;
    private volatile long lossesCounted;
    private volatile Throwable failure;
    private Instant batchTime = Instant.EPOCH;

    KernelReader(FanotifyGroup group, int wakeupFd, BlockingQueue<RawAccess> queue, int queueCapacity) {
        this.group = group;
        this.wakeupFd = wakeupFd;
        this.queue = queue;
        this.batch = new LossTally(queueCapacity);
        this.undelivered = new LossTally(queueCapacity);
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
            while (true) {
                int ready = poll.await(undelivered.isEmpty() ? -1 : LOSS_RETRY_MILLIS);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw new IllegalStateException("poll on the fanotify descriptor failed: " + Errno.describe(-ready));
                }
                if (poll.ready(1) != 0) {
                    return;
                }
                if (poll.ready(0) != 0) {
                    drain();
                }
                deliverLosses();
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
            if (fd == -Errno.ESRCH) {
                batch.targetExited();
            } else if (fd == -Errno.EMFILE || fd == -Errno.ENFILE) {
                batch.fdExhausted();
            } else {
                batch.fdError(fd == Fanotify.FAN_NOFD ? 0 : -fd);
            }
            return;
        }
        int length = fds.readFdLink(fd);
        if (length <= 0 || !(fds.linkEndsWith(length, ENVIRON) || fds.linkEndsWith(length, MEM))) {
            LinuxLibC.close(fd);
            closeIfOpen(pidfd);
            return;
        }
        String path = fds.linkString(length);
        long device = fds.deviceOf(fd);
        LinuxLibC.close(fd);
        String exe = null;
        if (pid > 0) {
            int n = fds.readLink("/proc/" + pid + "/exe");
            exe = n > 0 ? fds.linkString(n) : null;
        }
        PidfdInfo info = pidfd >= 0 ? pidfds.info(pidfd).orElse(null) : null;
        boolean readerGone = pidfd == Fanotify.FAN_NOFD || pidfd == -Errno.ESRCH;
        RawAccess.Open open = new RawAccess.Open(batchTime, pid, pidfd >= 0 ? pidfd : -1, readerGone, path, device,
                exe, info);
        if (!queue.offer(open)) {
            closeIfOpen(pidfd);
            batch.resolverBacklog();
        }
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
