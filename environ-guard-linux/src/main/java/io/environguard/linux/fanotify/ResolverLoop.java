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
                if (item == STOP) {
                    return;
                }
                handle(item);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
