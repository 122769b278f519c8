package io.environguard.linux.fanotify;

import io.environguard.api.LossReport;
import io.environguard.linux.nativeio.PidfdInfo;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * What the kernel-read thread hands to the resolver: one open of an {@code environ} or {@code mem} file, as
 * cheap to build as the kernel allows, or a batch of losses. Items of the resolver queue.
 */
sealed interface RawAccess {

    /**
     * An open that passed the path filter.
     *
     * @param time           when the event was read
     * @param readerPid      the opener's process id in this pid namespace (0 when the kernel hid it)
     * @param pidfd          a pidfd of the opener, owned by whoever holds this record, or {@code -1}
     * @param readerGone     whether the kernel could not make a pidfd because the opener had exited
     * @param path           the path of the opened file as the kernel resolved it
     * @param device         the procfs instance ({@code major << 32 | minor}), or negative when unknown
     * @param exe            the opener's {@code exe} link, which the kernel-read thread reads right after it has
     *                       queued this record (so that the resolver can start meanwhile)
     * @param readerInfo     what {@code PIDFD_GET_INFO} said as soon as the event was decoded, or {@code null}
     */
    record Open(Instant time, int readerPid, int pidfd, boolean readerGone, String path, long device,
                ExeLink exe, PidfdInfo readerInfo) implements RawAccess {

        /** An open whose opener's {@code exe} link is already known ({@code null}: it could not be read). */
        Open(Instant time, int readerPid, int pidfd, boolean readerGone, String path, long device, String readerExe,
             PidfdInfo readerInfo) {
            this(time, readerPid, pidfd, readerGone, path, device, ExeLink.of(readerExe), readerInfo);
        }

        /** The opener's {@code exe} link, waiting (briefly) for the kernel-read thread if need be; or {@code null}. */
        String readerExe() {
            return exe.await();
        }
    }

    /**
     * The opener's {@code exe} link, set once by the kernel-read thread. Reading it at once matters: a short-lived
     * reader such as {@code cat} is gone by the time a busy resolver gets to it. Reading it after the record is
     * queued takes it off the path of an access to its alert: the resolver, woken meanwhile, reads the reader's
     * other files first and asks for the link only when it merges.
     */
    static final class ExeLink {
        /** How long {@link #await} waits at most: far longer than one readlink, and never forever. */
        private static final long MAX_WAIT_NANOS = 50_000_000L;
        private static final long SPIN_NANOS = 100_000L;

        private volatile String value;
        private volatile boolean set;

        static ExeLink of(String value) {
            ExeLink link = new ExeLink();
            link.set(value);
            return link;
        }

        void set(String link) {
            value = link;
            set = true;
        }

        String await() {
            if (set) {
                return value;
            }
            long start = System.nanoTime();
            while (!set) {
                long waited = System.nanoTime() - start;
                if (waited > MAX_WAIT_NANOS) {
                    return null;
                }
                if (waited < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000L);
                }
            }
            return value;
        }
    }

    /** Losses counted on the kernel-read thread, delivered in order with the accesses. */
    record Losses(List<LossReport> reports) implements RawAccess {
        public Losses {
            reports = List.copyOf(reports);
        }
    }
}
