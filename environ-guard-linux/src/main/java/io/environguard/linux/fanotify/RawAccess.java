package io.environguard.linux.fanotify;

import io.environguard.api.LossReport;
import io.environguard.linux.nativeio.PidfdInfo;
import java.time.Instant;
import java.util.List;

/**
 * What the kernel-read thread hands to the resolver: one open of an {@code environ} or {@code mem} file, as
 * cheap to build as the kernel allows, or a batch of losses. Items of the resolver queue.
 */
sealed interface RawAccess {

    /**
     * An open that passed the path filter.
     *
     * @param time           when the event was read
     * @param nanoTime       when the event was read, {@code System.nanoTime()} ({@code CLOCK_MONOTONIC}): ties it to the
     *                       process table's start times
     * @param readerPid      the opener's process id in this pid namespace (0 when the kernel hid it)
     * @param pidfd          a pidfd of the opener, owned by whoever holds this record, or {@code -1}
     * @param readerGone     whether the kernel could not make a pidfd because the opener had exited
     * @param path           the path of the opened file as the kernel resolved it
     * @param device         the procfs instance ({@code major << 32 | minor}), or negative when unknown
     * @param readerExe      the opener's {@code exe} link, read as soon as the event was decoded (only where no process
     *                       table is kept by the kernel's events), or {@code null}
     * @param readerInfo     what {@code PIDFD_GET_INFO} said as soon as the event was decoded, or {@code null}
     */
    record Open(Instant time, long nanoTime, int readerPid, int pidfd, boolean readerGone, String path, long device,
                String readerExe, PidfdInfo readerInfo) implements RawAccess {
    }

    /** Losses counted on the kernel-read thread, delivered in order with the accesses. */
    record Losses(List<LossReport> reports) implements RawAccess {
        public Losses {
            reports = List.copyOf(reports);
        }
    }
}
