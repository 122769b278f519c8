package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.LossReport;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.Errno;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import org.junit.jupiter.api.Test;

/** The kernel-read loop's bookkeeping, fed with encoded records that carry no descriptor to open. */
class KernelReaderTest {

    private static final int NO_PIDFD = FanotifyEventDecoder.NO_PIDFD_RECORD;

    private static FanotifyEventDecoderTest.Event event(long mask, int fd, int pidfd) {
        return new FanotifyEventDecoderTest.Event(mask, fd, 123, pidfd, 0);
    }

    @Test
    void fdErrorsAndOverflowBecomeOneLossReportPerCausePerRead() {
        ArrayBlockingQueue<RawAccess> queue = new ArrayBlockingQueue<>(8);
        KernelReader reader = new KernelReader(null, -1, queue, 8, null, null, 0, true);
        var records = FanotifyEventDecoderTest.encode(List.of(
                event(Fanotify.FAN_OPEN, -Errno.ESRCH, -Errno.ESRCH),
                event(Fanotify.FAN_OPEN, -Errno.ESRCH, Fanotify.FAN_NOFD),
                event(Fanotify.FAN_OPEN, -Errno.EMFILE, NO_PIDFD),
                event(Fanotify.FAN_OPEN, -Errno.ENFILE, NO_PIDFD),
                event(Fanotify.FAN_Q_OVERFLOW, Fanotify.FAN_NOFD, NO_PIDFD),
                event(Fanotify.FAN_OPEN, -Errno.EACCES, NO_PIDFD)));
        reader.process(records, records.limit());
        assertEquals(6, reader.eventsRead());
        assertEquals(1, queue.size(), "one batch for the read");
        List<LossReport> reports = assertInstanceOf(RawAccess.Losses.class, queue.poll()).reports();
        assertEquals(List.of("queue_overflow", "target_exited", "fd_exhausted", "fd_error"),
                reports.stream().map(LossReport::cause).toList());
        assertEquals(List.of(1L, 2L, 2L, 1L), reports.stream().map(LossReport::count).toList());
        assertTrue(reports.get(3).detail().contains("EACCES"), reports.get(3).detail());
        assertEquals(6, reader.lossesCounted());
    }

    /** The guard's own opens of files whose process has gone are its own /proc reads: counted apart, never lost. */
    @Test
    void theGuardsOwnOpensOfExitedProcessesAreCountedApart() {
        ArrayBlockingQueue<RawAccess> queue = new ArrayBlockingQueue<>(8);
        KernelReader reader = new KernelReader(null, -1, queue, 8, null, null, 0, true, 123);
        var records = FanotifyEventDecoderTest.encode(List.of(
                new FanotifyEventDecoderTest.Event(Fanotify.FAN_OPEN, -Errno.ESRCH, 123, -Errno.ESRCH, 0),
                new FanotifyEventDecoderTest.Event(Fanotify.FAN_OPEN, -Errno.ESRCH, 123, -Errno.ESRCH, 0),
                new FanotifyEventDecoderTest.Event(Fanotify.FAN_OPEN, -Errno.ESRCH, 124, -Errno.ESRCH, 0),
                new FanotifyEventDecoderTest.Event(Fanotify.FAN_OPEN, -Errno.EINVAL, 123, -Errno.ESRCH, 0)));
        reader.process(records, records.limit());
        List<LossReport> reports = assertInstanceOf(RawAccess.Losses.class, queue.poll()).reports();
        assertEquals(List.of("target_exited", "target_exited_guard_read", "fd_error"),
                reports.stream().map(LossReport::cause).toList());
        assertEquals(List.of(1L, 2L, 1L), reports.stream().map(LossReport::count).toList());
        assertTrue(reports.get(1).detail().contains("never an environ or mem read"), reports.get(1).detail());
        assertEquals(4, reader.lossesCounted());
    }

    @Test
    void lossesWaitForRoomInAFullQueueAndAreNeverDropped() {
        ArrayBlockingQueue<RawAccess> queue = new ArrayBlockingQueue<>(1);
        KernelReader reader = new KernelReader(null, -1, queue, 1, null, null, 0, true);
        queue.add(ResolverLoop.STOP); // the resolver is behind: the queue is full
        var first = FanotifyEventDecoderTest.encode(List.of(event(Fanotify.FAN_OPEN, -Errno.ESRCH, NO_PIDFD)));
        reader.process(first, first.limit());
        var second = FanotifyEventDecoderTest.encode(List.of(
                event(Fanotify.FAN_OPEN, -Errno.ESRCH, NO_PIDFD), event(Fanotify.FAN_OPEN, -Errno.EMFILE, NO_PIDFD)));
        reader.process(second, second.limit());
        assertEquals(1, queue.size());
        queue.clear();
        var third = FanotifyEventDecoderTest.encode(List.of(event(Fanotify.FAN_Q_OVERFLOW, Fanotify.FAN_NOFD, NO_PIDFD)));
        reader.process(third, third.limit());
        List<LossReport> reports = assertInstanceOf(RawAccess.Losses.class, queue.poll()).reports();
        assertEquals(List.of("queue_overflow", "target_exited", "fd_exhausted"),
                reports.stream().map(LossReport::cause).toList());
        assertEquals(List.of(1L, 2L, 1L), reports.stream().map(LossReport::count).toList());
        assertTrue(reader.undelivered().isEmpty());
    }
}
