package io.environguard.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PolicyTickerTest {

    @Test
    void ticksUntilClosedAndSurvivesATickThatThrows() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        PolicyTicker ticker = PolicyTicker.start(() -> {
            calls.incrementAndGet();
            three.countDown();
            throw new IllegalStateException("a broken tick");
        }, Duration.ofMillis(5));
        try {
            assertTrue(three.await(10, TimeUnit.SECONDS), "the ticker went on after a failing tick");
        } finally {
            ticker.close();
        }
        assertFalse(ticker.isAlive());
        int after = calls.get();
        Thread.sleep(30);
        assertTrue(calls.get() == after, "no tick after close");
        ticker.close(); // idempotent
    }

    @Test
    void aNonPositiveIntervalIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> PolicyTicker.start(() -> { }, Duration.ZERO));
    }
}
