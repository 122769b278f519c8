package io.environguard.linux.procfs;

import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A simulated {@code /proc} with the guard's own process in it ({@code self}), so that the source finds the
 * tree's mount table and ignores its own descriptors, as on a real host.
 */
final class SimWorld implements AutoCloseable {

    final SimulatedProcFs fs;
    final SimProcess guard;

    private SimWorld(SimulatedProcFs fs) {
        this.fs = fs;
        this.guard = fs.spawn(ProcessSpec.builder().comm("java").exe("/usr/lib/jvm/bin/java").cmdline("java", "-jar", "guard.jar").build());
        fs.setCurrent(guard.pid());
    }

    static SimWorld create() {
        try {
            return new SimWorld(SimulatedProcFs.create());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Default settings on this tree, with an effectively unlimited budget (tests must not depend on speed). */
    private final List<ProcfsPollingSource> sources = new ArrayList<>();

    ProcfsSettings settings() {
        return ProcfsSettings.defaults(fs.root()).withScanBudget(Duration.ofMinutes(5));
    }

    ProcfsPollingSource source() {
        return source(s -> s);
    }

    ProcfsPollingSource source(UnaryOperator<ProcfsSettings> tweak) {
        return track(new ProcfsPollingSource(tweak.apply(settings())));
    }

    ProcfsPollingSource source(UnaryOperator<ProcfsSettings> tweak, Clock clock) {
        return track(new ProcfsPollingSource(tweak.apply(settings()), clock));
    }

    /** Closed with the world: each source's process table has threads of its own (command-line readers). */
    private ProcfsPollingSource track(ProcfsPollingSource source) {
        sources.add(source);
        return source;
    }

    SimProcess spawn(String comm) {
        return fs.spawn(1, comm);
    }

    @Override
    public void close() {
        sources.forEach(ProcfsPollingSource::close);
        sources.clear();
        try {
            fs.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
