package io.environguard.linux.fanotify;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.spi.AccessListener;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resolver thread: takes what the kernel-read thread queued, resolves each open into an access and
 * hands accesses and losses to the listener, in order. It owns (and closes) the pidfd of every open it
 * takes. A listener that throws loses that one item, never the thread.
 *
 * <p>One hand-off fewer for a lone open: when nothing is queued or being resolved, the kernel-read thread may
 * resolve an open itself ({@link #resolveHere}), which saves the resolver thread's wake-up (tens of
 * microseconds on a loaded machine). Exactly one thread resolves at a time: whoever holds the turn, which the
 * resolver thread takes for each item and the kernel-read thread only tries for. Order holds because the
 * kernel-read thread, the only producer, resolves an open itself only when every item it queued before has
 * been delivered ({@code pending} is 0). It never waits there: the resolver's {@link AccessResolver#resolveNow}
 * defers (and the open is queued as usual) whenever resolving would wait on the process feed or on a command line.
 *
 * <pre>{@code
 * ResolverLoop loop = new ResolverLoop(queue, resolver, listener);
 * new Thread(loop).start();
 * if (!loop.resolveHere(open) && !loop.offer(open)) { ... count a resolver_backlog loss ... }
 * }</pre>
 */
final class ResolverLoop implements Runnable {

    /** Queued after the last item on shutdown. */
    static final RawAccess.Losses STOP = new RawAccess.Losses(List.of());

    private static final Logger LOG = LoggerFactory.getLogger(ResolverLoop.class);

    private final BlockingQueue<RawAccess> queue;
    private final AccessResolver resolver;
    private final AccessListener listener;
    /** Held by the thread that resolves and delivers (the {@link AccessResolver} is not thread-safe). */
    private final ReentrantLock turn = new ReentrantLock();
    /** Items queued through {@link #offer} and not yet delivered. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Opens resolved by the kernel-read thread; written by that thread alone. */
    private volatile long resolvedHere;
    /** Opens the kernel-read thread tried to resolve and queued instead (resolving would have waited). */
    private volatile long deferred;

    ResolverLoop(BlockingQueue<RawAccess> queue, AccessResolver resolver, AccessListener listener) {
        this.queue = queue;
        this.resolver = resolver;
        this.listener = listener;
    }

    /**
     * Queues {@code item} for the resolver thread (the kernel-read thread).
     *
     * @return false when the queue is full (the item is not taken: the caller still owns an open's pidfd)
     */
    boolean offer(RawAccess item) {
        pending.incrementAndGet();
        if (queue.offer(item)) {
            return true;
        }
        pending.decrementAndGet();
        return false;
    }

    /**
     * Resolves {@code open} and delivers it on the calling thread (the kernel-read thread) when nothing is queued
     * or being resolved and resolving needs no wait; then its pidfd is closed.
     *
     * @return true when {@code open} was handled here; false when it was not touched (its pidfd still open) and
     *         must be queued
     */
    boolean resolveHere(RawAccess.Open open) {
        if (pending.get() != 0 || !turn.tryLock()) {
            return false;
        }
        try {
            if (pending.get() != 0) {
                return false; // queued meanwhile (by this thread, so never: kept for clarity of the invariant)
            }
            Optional<EnvironAccess> access;
            try {
                AccessResolver.Immediate now = resolver.resolveNow(open);
                if (!now.ready()) {
                    deferred++;
                    return false;
                }
                access = now.access();
            } catch (RuntimeException e) {
                LOG.warn("an access to {} by pid {} could not be resolved", open.path(), open.readerPid(), e);
                closePidfd(open);
                return true;
            }
            resolvedHere++;
            try {
                access.ifPresent(listener::onAccess);
            } catch (RuntimeException e) {
                LOG.warn("an access to {} by pid {} could not be delivered", open.path(), open.readerPid(), e);
            } finally {
                closePidfd(open);
            }
            return true;
        } finally {
            turn.unlock();
        }
    }

    /** Opens resolved on the kernel-read thread so far. */
    long resolvedHere() {
        return resolvedHere;
    }

    /** Opens the kernel-read thread left to the resolver thread because resolving them would have waited. */
    long deferred() {
        return deferred;
    }

    @Override
    public void run() {
        try {
            while (true) {
                RawAccess item = queue.take();
                if (item == STOP) {
                    return;
                }
                turn.lock();
                try {
                    handle(item);
                } finally {
                    pending.decrementAndGet();
                    turn.unlock();
                }
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
                closePidfd(open);
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

    private static void closePidfd(RawAccess.Open open) {
        if (open.pidfd() >= 0) {
            LinuxLibC.close(open.pidfd());
        }
    }
}
