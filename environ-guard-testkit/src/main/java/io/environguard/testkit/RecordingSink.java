package io.environguard.testkit;

import io.environguard.api.Alert;
import io.environguard.spi.AlertSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * An {@link AlertSink} that records every alert, with bounded waits, for tests of sinks, policies and agents
 * that run the real pipeline.
 *
 * <pre>{@code
 * RecordingSink sink = new RecordingSink();
 * try (EnvironGuard guard = EnvironGuard.builder().addSourceProvider(source).addSink("rec", sink).build().start()) {
 *     List<Alert> alerts = sink.awaitAlerts(1, Duration.ofSeconds(5));
 * }
 * }</pre>
 */
public final class RecordingSink implements AlertSink {

    private final List<Alert> alerts = new ArrayList<>();
    private boolean closed;

    @Override
    public synchronized void publish(Alert alert) {
        alerts.add(alert);
        notifyAll();
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** @return a copy of what was recorded so far, in delivery order */
    public synchronized List<Alert> alerts() {
        return List.copyOf(alerts);
    }

    /** @return whether the guard closed this sink */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Forgets every alert recorded so far; later waits count only alerts that come after. */
    public synchronized void clear() {
        alerts.clear();
    }

    /**
     * Waits until at least {@code n} alerts were recorded, and returns all recorded so far.
     *
     * @param n       how many alerts to wait for
     * @param timeout the longest wait
     * @return every alert recorded so far, at least {@code n}, in delivery order
     * @throws InterruptedException when the waiting thread is interrupted
     * @throws TimeoutException     naming how many arrived, with their rules, when {@code timeout} passes first
     */
    public List<Alert> awaitAlerts(int n, Duration timeout) throws InterruptedException, TimeoutException {
        return awaitMatching(a -> true, n, timeout);
    }

    /**
     * Waits for the first alert that matches, and returns it.
     *
     * @param match   which alerts count
     * @param timeout the longest wait
     * @return the first matching alert, in delivery order
     * @throws InterruptedException when the waiting thread is interrupted
     * @throws TimeoutException     naming what was recorded, when {@code timeout} passes first
     */
    public Alert awaitAlert(Predicate<Alert> match, Duration timeout) throws InterruptedException, TimeoutException {
        return awaitMatching(match, 1, timeout).get(0);
    }

    /**
     * Waits until {@code n} alerts match, and returns the matching ones.
     *
     * @param match   which alerts count
     * @param n       how many matching alerts to wait for
     * @param timeout the longest wait
     * @return every matching alert recorded so far, at least {@code n}, in delivery order
     * @throws InterruptedException when the waiting thread is interrupted
     * @throws TimeoutException     naming what was recorded, when {@code timeout} passes first
     */
    public synchronized List<Alert> awaitMatching(Predicate<Alert> match, int n, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Alert> matching = new ArrayList<>();
            for (Alert a : alerts) {
                if (match.test(a)) {
                    matching.add(a);
                }
            }
            if (matching.size() >= n) {
                return matching;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("waited " + timeout.toMillis() + " ms for " + n + " matching alert(s); got "
                        + matching.size() + " matching of " + alerts.size() + " recorded: "
                        + alerts.stream().map(a -> a.rule() + (a.hasAccess() ? "(" + a.access().reader().pid() + "->"
                        + a.access().target().pid() + ")" : "")).toList());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
