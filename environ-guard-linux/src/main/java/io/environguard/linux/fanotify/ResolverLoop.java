package io.environguard.linux.fanotify;

import io.environguard.api.LossReport;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.spi.AccessListener;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resolver thread: takes what the kernel-read thread queued, resolves each open into an access and
 * hands accesses and losses to the listener, in order. It owns (and closes) the pidfd of every open it
 * takes. A listener that throws loses that one item, never the thread.
 */
final class ResolverLoop implements Runnable {

    /** Queued after the last item on shutdown. */
    static final RawAccess.Losses STOP = new RawAccess.Losses(List.of());
    /** What the kernel-read thread queues ahead of a lone open (see {@link RawAccess.Expected}). */
    static final RawAccess.Expected EXPECTED = new RawAccess.Expected();
    /**
     * After a hint, how long to keep checking the queue before waiting on it again: the open follows within the
     * decoding of one event (10-40 µs); a hint no open follows (a file with the mode of environ that is not one)
     * costs at most this much CPU. None on a single CPU.
     */
    static final long EXPECTED_SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 200_000 : 0;
    /** While spinning after a hint: pauses between two looks at the queue (each takes the queue's lock). */
    private static final int PAUSES_PER_LOOK = 16;

    private static final Logger LOG = LoggerFactory.getLogger(ResolverLoop.class);

    private final BlockingQueue<RawAccess> queue;
    private final AccessResolver resolver;
    private final AccessListener listener;

    ResolverLoop(BlockingQueue<RawAccess> queue, AccessResolver resolver, AccessListener listener) {
        this.queue = queue;
        this.resolver = resolver;
        this.listener = listener;
    }

    @Override
    public void run() {
        try {
            while (true) {
                RawAccess item = queue.take();
                if (item instanceof RawAccess.Expected) {
                    expected();
                    item = awaitBriefly();
                    if (item == null) {
                        continue;
                    }
                }
                if (item == STOP) {
                    return;
                }
                handle(item);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Passes the hint on to the listener, which wakes its own threads meanwhile. */
    private void expected() {
        try {
            listener.accessExpected();
        } catch (RuntimeException e) {
            LOG.debug("the listener failed on a hint of an access to come", e);
        }
    }

    /** The next item if one comes within {@link #EXPECTED_SPIN_NANOS}, checked without parking; else {@code null}. */
    private RawAccess awaitBriefly() {
        long deadline = System.nanoTime() + EXPECTED_SPIN_NANOS;
        while (true) {
            RawAccess item = queue.poll();
            if (item != null || deadline - System.nanoTime() <= 0) {
                return item;
            }
            for (int i = 0; i < PAUSES_PER_LOOK; i++) {
                Thread.onSpinWait();
            }
            Thread.yield();
        }
    }

    void handle(RawAccess item) {
        if (item instanceof RawAccess.Open open) {
            try {
                resolver.resolve(open).ifPresent(listener::onAccess);
            } catch (RuntimeException e) {
                LOG.warn("an access to {} by pid {} could not be delivered", open.path(), open.readerPid(), e);
            } finally {
                if (open.pidfd() >= 0) {
                    LinuxLibC.close(open.pidfd());
                }
            }
        } else if (item instanceof RawAccess.Losses losses) {
            for (LossReport report : losses.reports()) {
                try {
                    listener.onLoss(report);
                } catch (RuntimeException e) {
                    LOG.warn("a loss report ({} x {}) could not be delivered", report.count(), report.cause(), e);
                }
            }
        }
    }
}
