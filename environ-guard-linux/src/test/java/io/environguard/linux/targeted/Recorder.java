package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.fail;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.spi.AccessListener;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/** Records what a source delivers; tests wait on it with bounded timeouts and match only their own readers. */
final class Recorder implements AccessListener {

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
    EnvironAccess await(String what, Predicate<EnvironAccess> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<EnvironAccess> found = accesses.stream().filter(match).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                fail("no access " + what + " within " + timeout + "; saw " + accesses.size() + ": "
                        + accesses.stream().limit(10).map(Recorder::brief).toList() + "; losses " + losses);
            }
            sleep();
        }
    }

    static void awaitTrue(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
    }

    static String brief(EnvironAccess a) {
        return a.path() + " " + a.alias() + " reader=" + a.reader().pid() + " target=" + a.target().pid()
                + " possible=" + a.possibleReaders().stream().map(p -> p.pid()).toList();
    }
}
