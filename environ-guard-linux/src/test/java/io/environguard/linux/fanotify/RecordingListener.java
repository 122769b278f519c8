package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.fail;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.spi.AccessListener;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Records what a source delivers; tests wait on it with bounded timeouts and match only their own pids. */
class RecordingListener implements AccessListener {

    final List<EnvironAccess> accesses = new CopyOnWriteArrayList<>();
    final List<LossReport> losses = new CopyOnWriteArrayList<>();

    @Override
    public void onAccess(EnvironAccess access) {
        accesses.add(access);
    }

    @Override
    public void onLoss(LossReport loss) {
        losses.add(loss);
    }

    /** The first access that matches, waiting up to {@code timeout}; fails with what was seen otherwise. */
    EnvironAccess awaitAccess(String what, Predicate<EnvironAccess> match, Duration timeout) {
        Optional<EnvironAccess> found = poll(() -> accesses.stream().filter(match).findFirst(), timeout);
        if (found.isEmpty()) {
            fail("no access " + what + " within " + timeout + "; saw " + accesses.size() + " access(es), e.g. "
                    + accesses.stream().limit(5).map(RecordingListener::brief).toList() + "; losses " + losses);
        }
        return found.get();
    }

    /** The first loss report of {@code cause}, waiting up to {@code timeout}. */
    Optional<LossReport> awaitLoss(String cause, Duration timeout) {
        return poll(() -> losses.stream().filter(l -> l.cause().equals(cause)).findFirst(), timeout);
    }

    static <T> Optional<T> poll(java.util.function.Supplier<Optional<T>> probe, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent() || System.nanoTime() > deadline) {
                return value;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return value;
            }
        }
    }

    static String brief(EnvironAccess a) {
        return a.path() + " " + a.alias() + " reader=" + a.reader().pid() + " target=" + a.target().pid();
    }
}
