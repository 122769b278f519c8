package io.environguard.linux.procfs;

import io.environguard.api.AccessKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.spi.AccessListener;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Records what a source delivers; optionally runs an action on each access (to change the world mid-scan). */
final class Recorder implements AccessListener {

    private final List<EnvironAccess> accesses = new ArrayList<>();
    private final List<LossReport> losses = new ArrayList<>();
    private Consumer<EnvironAccess> onEach = a -> { };

    @Override
    public synchronized void onAccess(EnvironAccess access) {
        accesses.add(access);
        onEach.accept(access);
    }

    @Override
    public synchronized void onLoss(LossReport loss) {
        losses.add(loss);
    }

    synchronized void onEach(Consumer<EnvironAccess> action) {
        this.onEach = action;
    }

    synchronized List<EnvironAccess> accesses() {
        return List.copyOf(accesses);
    }

    synchronized List<EnvironAccess> held() {
        return accesses.stream().filter(a -> a.kind() == AccessKind.HELD_OPEN).toList();
    }

    synchronized List<EnvironAccess> commandLines() {
        return accesses.stream().filter(a -> a.kind() == AccessKind.COMMAND_LINE).toList();
    }

    synchronized List<LossReport> losses() {
        return List.copyOf(losses);
    }

    synchronized void clear() {
        accesses.clear();
        losses.clear();
    }
}
