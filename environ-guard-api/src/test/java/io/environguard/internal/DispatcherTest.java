package io.environguard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.api.SinkStats;
import io.environguard.sink.CapturedStderr;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AsyncAlertSink;
import io.environguard.spi.DeliveryReceipt;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class DispatcherTest {

    /** Generous bound for anything that should happen promptly; tests never wait this long when they pass. */
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    private static Alert alert(int i) {
        EnvironAccess access = EnvironAccess.builder().time(Instant.EPOCH.plusSeconds(i)).source("test")
                .path("/proc/" + (1000 + i) + "/environ")
                .reader(ProcessInfo.builder(4242).comm("cat").cmdline(List.of("cat", "--password=hunter2")).build())
                .target(ProcessInfo.builder(1000 + i).build()).build();
        return Alert.of(access, Rules.ENVIRON_READ, Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("test " + i));
    }

    /** Hands each alert to the test through a queue, so the test can wait for it. */
    private static final class RecordingSink implements AlertSink {
        final BlockingQueue<Alert> received = new LinkedBlockingQueue<>();
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch closed = new CountDownLatch(1);
        volatile Thread thread;

        @Override
        public void publish(Alert alert) {
            thread = Thread.currentThread();
            events.add("publish");
            received.add(alert);
        }

        @Override
        public void close() {
            events.add("close on " + Thread.currentThread().getName());
            closed.countDown();
        }
    }

    private static final class ThrowingSink implements AlertSink {
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public void publish(Alert alert) {
            throw new IllegalStateException("sink is broken");
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    /** Blocks in its first publish until released, ignoring interrupts: the worst case of a hung sink. */
    private static final class HungSink implements AlertSink {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        volatile boolean sawInterrupt;

        @Override
        public void publish(Alert alert) {
            entered.countDown();
            while (true) {
                try {
                    release.await();
                    return;
                } catch (InterruptedException e) {
                    sawInterrupt = true;
                }
            }
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    /** Cannot keep up: its first publish waits for a gate, then it goes on at normal speed. */
    private static final class GatedSink implements AlertSink {
        final CountDownLatch gate = new CountDownLatch(1);

        @Override
        public void publish(Alert alert) throws InterruptedException {
            if (!gate.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate never opened");
            }
        }

        @Override
        public void close() {
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    private static SinkStats stats(Dispatcher d, String name) {
        return d.stats().stream().filter(s -> s.sink().equals(name)).findFirst().orElseThrow();
    }

    private static long total(SinkStats s) {
        return s.delivered() + s.dropped() + s.failed() + s.undelivered();
    }

    @Test
    void misbehavingSinksNeitherDelayTheCallerNorAHealthySink() throws Exception {
        int n = 300;
        int capacity = 8;
        RecordingSink healthy = new RecordingSink();
        ThrowingSink throwing = new ThrowingSink();
        HungSink hung = new HungSink();
        GatedSink slow = new GatedSink();
        Map<String, AlertSink> sinks = new LinkedHashMap<>();
        sinks.put("healthy", healthy);
        sinks.put("throwing", throwing);
        sinks.put("hung", hung);
        sinks.put("slow", slow);
        Dispatcher dispatcher = new Dispatcher(sinks, capacity, Duration.ofMillis(200));
        try {
            dispatcher.start();
            assertTimeoutPreemptively(PATIENCE, () -> {
                for (int i = 0; i < n; i++) {
                    Alert alert = alert(i);
                    dispatcher.dispatch(alert);
                    // Paced by the healthy sink, so its small queue never overflows: it must see every alert, in order.
                    assertSame(alert, healthy.received.poll(PATIENCE.toSeconds(), TimeUnit.SECONDS), "alert " + i);
                }
            });
            assertTrue(hung.entered.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));

            SinkStats hungStats = stats(dispatcher, "hung");
            assertEquals(0, hungStats.delivered());
            // At most one queue full and one batch of that size in hand; the rest was dropped.
            assertTrue(hungStats.dropped() >= n - 2L * capacity, hungStats.toString());
            SinkStats slowStats = stats(dispatcher, "slow");
            assertTrue(slowStats.dropped() >= n - 2L * capacity, slowStats.toString());

            slow.gate.countDown();
            await(() -> stats(dispatcher, "slow").delivered() + stats(dispatcher, "slow").dropped() == n, "slow sink caught up");
            await(() -> stats(dispatcher, "throwing").failed() + stats(dispatcher, "throwing").dropped() == n, "throwing sink done");
            SinkStats throwingStats = stats(dispatcher, "throwing");
            assertEquals(0, throwingStats.delivered());
            assertTrue(throwingStats.failed() > 0, throwingStats.toString());

            assertTimeoutPreemptively(Duration.ofSeconds(10), dispatcher::close, "close must not wait for a hung sink");

            assertEquals(new SinkStats("healthy", n, 0, 0, 0), stats(dispatcher, "healthy"));
            hungStats = stats(dispatcher, "hung");
            assertEquals(0, hungStats.delivered());
            assertEquals(0, hungStats.failed());
            assertTrue(hungStats.undelivered() >= 1, hungStats.toString());
            assertEquals(n, total(hungStats), hungStats.toString());
            assertEquals(n, total(stats(dispatcher, "slow")));
            assertEquals(n, total(stats(dispatcher, "throwing")));
            await(() -> hung.sawInterrupt, "close interrupting the hung sink");
            assertTrue(healthy.closed.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertTrue(throwing.closed.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertEquals(1, hung.closed.getCount(), "a sink still inside publish must not be closed under its feet");
        } finally {
            hung.release.countDown();
            dispatcher.close();
        }
        // Released, the hung sink finishes its alert, stops (close gave up on it) and is closed on its own thread.
        assertTrue(hung.closed.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        await(() -> stats(dispatcher, "hung").delivered() == 1, "the released alert counted as delivered");
        assertEquals(n, total(stats(dispatcher, "hung")), "no alert counted twice");
    }

    @Test
    void closeDeliversWhatIsQueuedThenClosesEachSinkOnItsThread() throws Exception {
        RecordingSink sink = new RecordingSink();
        Dispatcher dispatcher = new Dispatcher(Map.of("rec", sink), 128, PATIENCE);
        for (int i = 0; i < 100; i++) {
            dispatcher.dispatch(alert(i));
        }
        dispatcher.start();
        dispatcher.close();
        assertEquals(new SinkStats("rec", 100, 0, 0, 0), dispatcher.stats().get(0));
        List<String> events = new ArrayList<>(sink.events);
        assertEquals(101, events.size());
        assertEquals("close on environ-guard-sink-rec", events.get(100));
        assertEquals("environ-guard-sink-rec", sink.thread.getName());
        assertTrue(sink.thread.isDaemon());
        for (int i = 0; i < 100; i++) {
            assertEquals(alert(i).access().path(), sink.received.take().access().path());
        }
    }

    @Test
    void aSinkThatHonoursInterruptsIsStoppedAndClosedAndItsAlertsCountAsUndelivered() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        AlertSink blocking = new AlertSink() {
            @Override
            public void publish(Alert alert) throws InterruptedException {
                entered.countDown();
                new CountDownLatch(1).await();
            }

            @Override
            public void close() {
                closed.countDown();
            }
        };
        Dispatcher dispatcher = new Dispatcher(Map.of("blocking", blocking), 16, Duration.ZERO);
        dispatcher.start();
        for (int i = 0; i < 5; i++) {
            dispatcher.dispatch(alert(i));
        }
        assertTrue(entered.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertTimeoutPreemptively(Duration.ofSeconds(10), dispatcher::close);
        assertTrue(closed.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertEquals(new SinkStats("blocking", 0, 0, 0, 5), dispatcher.stats().get(0));
    }

    @Test
    void closeIsIdempotentAndLaterAlertsCountAsDropped() {
        RecordingSink sink = new RecordingSink();
        Dispatcher dispatcher = new Dispatcher(Map.of("rec", sink), 4, PATIENCE);
        dispatcher.start();
        dispatcher.close();
        dispatcher.close();
        dispatcher.dispatch(alert(1));
        dispatcher.dispatch(null);
        assertEquals(new SinkStats("rec", 0, 1, 0, 0), dispatcher.stats().get(0));
        assertEquals(0, sink.closed.getCount());
        assertEquals(1, sink.events.size(), "closed exactly once: " + sink.events);
    }

    @Test
    void aThrowingCloseIsLoggedAndDoesNotStopTheOthers() {
        RecordingSink after = new RecordingSink();
        Map<String, AlertSink> sinks = new LinkedHashMap<>();
        sinks.put("bad-close", new AlertSink() {
            @Override
            public void publish(Alert alert) {
            }

            @Override
            public void close() {
                throw new IllegalStateException("cannot close");
            }
        });
        sinks.put("after", after);
        Dispatcher dispatcher = new Dispatcher(sinks, 4, PATIENCE);
        dispatcher.start();
        String log;
        try (CapturedStderr stderr = new CapturedStderr()) {
            dispatcher.close();
            log = stderr.text();
        }
        assertEquals(0, after.closed.getCount());
        assertTrue(log.contains("alert sink bad-close failed to close: java.lang.IllegalStateException: cannot close"), log);
    }

    @Test
    void aDispatcherNeverStartedClosesItsSinksAndCountsTheQueueAsUndelivered() {
        RecordingSink sink = new RecordingSink();
        Dispatcher dispatcher = new Dispatcher(Map.of("rec", sink), 2, PATIENCE);
        for (int i = 0; i < 3; i++) {
            dispatcher.dispatch(alert(i));
        }
        dispatcher.close();
        assertEquals(new SinkStats("rec", 0, 1, 0, 2), dispatcher.stats().get(0));
        assertEquals(0, sink.closed.getCount());
        assertTrue(sink.received.isEmpty());
    }

    @Test
    void anInterruptLeftBehindByASinkDoesNotLeakIntoTheNextPublish() throws Exception {
        List<Boolean> interruptedOnEntry = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(3);
        AlertSink sink = alert -> {
            interruptedOnEntry.add(Thread.currentThread().isInterrupted());
            Thread.currentThread().interrupt();
            done.countDown();
        };
        Dispatcher dispatcher = new Dispatcher(Map.of("self-interrupting", sink), 8, PATIENCE);
        dispatcher.start();
        try {
            for (int i = 0; i < 3; i++) {
                dispatcher.dispatch(alert(i));
            }
            assertTrue(done.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        } finally {
            dispatcher.close();
        }
        assertEquals(List.of(false, false, false), interruptedOnEntry);
        assertEquals(3, dispatcher.stats().get(0).delivered());
    }

    @Test
    void failuresAreLoggedOnceThenSummarizedWithoutTheAlertsStrings() throws Exception {
        Dispatcher dispatcher = new Dispatcher(Map.of("broken", new ThrowingSink()), 64, PATIENCE);
        String log;
        try (CapturedStderr stderr = new CapturedStderr()) {
            dispatcher.start();
            for (int i = 0; i < 20; i++) {
                dispatcher.dispatch(alert(i));
            }
            await(() -> dispatcher.stats().get(0).failed() == 20, "20 failures");
            dispatcher.close();
            log = stderr.text();
        }
        List<String> lines = log.lines().filter(l -> l.contains("alert sink broken")).toList();
        assertEquals(2, lines.size(), log);
        assertTrue(lines.get(0).contains("alert sink broken failed to publish an alert (rule environ_read_from_procfs, "
                + "reader pid 4242, target pid 1000): java.lang.IllegalStateException: sink is broken"), lines.get(0));
        assertTrue(lines.get(1).contains("failed 19 more times"), lines.get(1));
        assertFalse(log.contains("hunter2") || log.contains("/proc/1000/environ") || log.contains("cat["), log);
    }

    /**
     * Several producers race each other and close; sinks deliver, fail, stall or hang. However it interleaves,
     * each alert of each sink lands in exactly one counter once everything has settled.
     */
    @RepeatedTest(5)
    void everyAlertIsCountedExactlyOnceWhateverTheInterleaving() throws Exception {
        int producers = 3;
        int perProducer = 2_000;
        HungSink hung = new HungSink();
        java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
        Map<String, AlertSink> sinks = new LinkedHashMap<>();
        sinks.put("fast", alert -> { });
        sinks.put("flaky", alert -> {
            if (calls.incrementAndGet() % 3 == 0) {
                throw new java.io.IOException("every third fails");
            }
        });
        sinks.put("yielding", alert -> Thread.yield());
        sinks.put("hung", hung);
        Dispatcher dispatcher = new Dispatcher(sinks, 64, Duration.ofMillis(20));
        dispatcher.start();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        try {
            for (int p = 0; p < producers; p++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perProducer; i++) {
                        dispatcher.dispatch(alert(i));
                    }
                });
                threads.add(t);
                t.start();
            }
            go.countDown();
            // Close while the producers may still be dispatching.
            assertTimeoutPreemptively(Duration.ofSeconds(10), dispatcher::close);
            for (Thread t : threads) {
                t.join(PATIENCE.toMillis());
                assertFalse(t.isAlive(), "a producer was blocked");
            }
        } finally {
            hung.release.countDown();
        }
        assertTrue(hung.closed.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        long dispatched = (long) producers * perProducer;
        for (String name : sinks.keySet()) {
            await(() -> total(stats(dispatcher, name)) == dispatched,
                    name + " accounts for every alert: " + stats(dispatcher, name));
        }
    }

    @Test
    void dispatchBeforeStartAndWithNoSinksIsHarmless() {
        Dispatcher empty = new Dispatcher(Map.of(), 1, Duration.ZERO);
        empty.dispatch(alert(0));
        empty.start();
        empty.close();
        assertTrue(empty.stats().isEmpty());
    }

    /** Keeps each receipt for the test to complete later, as a client library's I/O thread would. */
    private static final class HeldReceiptsSink implements AsyncAlertSink {
        final BlockingQueue<DeliveryReceipt> receipts = new LinkedBlockingQueue<>();
        final CountDownLatch closed = new CountDownLatch(1);
        volatile boolean throwAfterCompleting;

        @Override
        public void publish(Alert alert, DeliveryReceipt receipt) throws java.io.IOException {
            receipts.add(receipt);
            if (throwAfterCompleting) {
                receipt.failed(new java.io.IOException("completed, then thrown"));
                throw new java.io.IOException("completed, then thrown");
            }
        }

        @Override
        public void publish(Alert alert) {
            throw new AssertionError("the dispatcher uses the receipt form");
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    @Test
    void anAsynchronousSinkIsCountedWhenItsReceiptsComplete() throws Exception {
        HeldReceiptsSink sink = new HeldReceiptsSink();
        Dispatcher dispatcher = new Dispatcher(Map.of("async", sink), 64, PATIENCE);
        dispatcher.start();
        for (int i = 0; i < 4; i++) {
            dispatcher.dispatch(alert(i));
        }
        await(() -> sink.receipts.size() == 4, "four publishes");
        SinkStats inFlight = stats(dispatcher, "async");
        assertEquals(0, inFlight.delivered() + inFlight.failed() + inFlight.undelivered(), "nothing reported yet: " + inFlight);

        List<DeliveryReceipt> receipts = new ArrayList<>(sink.receipts);
        Thread io = new Thread(() -> {
            receipts.get(0).delivered();
            receipts.get(0).failed(new IllegalStateException("too late: ignored"));
            receipts.get(1).failed(new java.io.IOException("broker said no"));
            receipts.get(2).delivered();
        }, "client-io");
        io.start();
        io.join(PATIENCE.toMillis());
        SinkStats reported = stats(dispatcher, "async");
        assertEquals(2, reported.delivered(), reported.toString());
        assertEquals(1, reported.failed(), reported.toString());

        dispatcher.close();
        SinkStats closed = stats(dispatcher, "async");
        assertEquals(1, closed.undelivered(), "the receipt never completed: " + closed);
        assertEquals(4, total(closed));
        receipts.get(3).delivered();
        SinkStats late = stats(dispatcher, "async");
        assertEquals(3, late.delivered(), "a late outcome moves the alert out of undelivered: " + late);
        assertEquals(0, late.undelivered());
        assertEquals(4, total(late));
    }

    @Test
    void anAsynchronousSinkThatCompletesAndThrowsIsCountedOnceAndLoggedWithoutTheAlertsStrings() throws Exception {
        HeldReceiptsSink sink = new HeldReceiptsSink();
        sink.throwAfterCompleting = true;
        Dispatcher dispatcher = new Dispatcher(Map.of("async", sink), 64, PATIENCE);
        String log;
        try (CapturedStderr stderr = new CapturedStderr()) {
            dispatcher.start();
            for (int i = 0; i < 3; i++) {
                dispatcher.dispatch(alert(i));
            }
            await(() -> stats(dispatcher, "async").failed() == 3, "three failures");
            dispatcher.close();
            log = stderr.text();
        }
        SinkStats s = stats(dispatcher, "async");
        assertEquals(3, s.failed(), s.toString());
        assertEquals(3, total(s), s.toString());
        assertTrue(log.contains("alert sink async failed to publish an alert (rule environ_read_from_procfs, reader pid 4242"), log);
        assertFalse(log.contains("hunter2"), log);
    }
}
