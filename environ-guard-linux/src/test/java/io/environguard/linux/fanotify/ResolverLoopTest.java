package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.spi.AccessListener;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The resolver thread's handling of the kernel-read thread's hints, with loss batches as the items that follow. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ResolverLoopTest {

    /** Records the listener calls in order; the hint optionally throws. */
    private static final class Calls implements AccessListener {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final boolean hintThrows;

        Calls(boolean hintThrows) {
            this.hintThrows = hintThrows;
        }

        @Override
        public void onAccess(EnvironAccess access) {
            calls.add("access");
        }

        @Override
        public void onLoss(LossReport loss) {
            calls.add("loss " + loss.cause());
        }

        @Override
        public void accessExpected() {
            calls.add("expected");
            if (hintThrows) {
                throw new IllegalStateException("a broken listener");
            }
        }
    }

    private static RawAccess.Losses losses(String cause) {
        return new RawAccess.Losses(List.of(new LossReport(cause, 1, "test")));
    }

    private static Thread start(ResolverLoop loop) {
        Thread t = new Thread(loop, "fanotify-resolver (test)");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aHintIsPassedOnAndTheItemsAfterItAreHandledInOrder() throws Exception {
        ArrayBlockingQueue<RawAccess> queue = new ArrayBlockingQueue<>(8);
        Calls listener = new Calls(false);
        queue.add(ResolverLoop.EXPECTED);
        queue.add(losses("a"));
        queue.add(ResolverLoop.EXPECTED);
        queue.add(losses("b"));
        queue.add(losses("c"));
        queue.add(ResolverLoop.STOP);
        Thread t = start(new ResolverLoop(queue, null, listener));
        t.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(t.isAlive(), "STOP ends the loop");
        assertEquals(List.of("expected", "loss a", "expected", "loss b", "loss c"), listener.calls);
    }

    /** A hint no item follows within its bound: the loop waits on the queue again and handles what comes later. */
    @Test
    void anUnansweredHintEndsInAnOrdinaryWait() throws Exception {
        ArrayBlockingQueue<RawAccess> queue = new ArrayBlockingQueue<>(8);
        Calls listener = new Calls(true); // a listener that throws on the hint loses nothing either
        queue.add(ResolverLoop.EXPECTED);
        Thread t = start(new ResolverLoop(queue, null, listener));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(Thread.State.WAITING, t.getState(), "back to waiting on the queue after the hint's bound");
        assertEquals(List.of("expected"), listener.calls);
        queue.add(losses("late"));
        queue.add(ResolverLoop.EXPECTED);
        queue.add(ResolverLoop.STOP); // a hint right before shutdown does not hold it up
        t.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(t.isAlive());
        assertEquals(List.of("expected", "loss late", "expected"), listener.calls);
        assertTrue(queue.isEmpty());
    }
}
