package io.environguard.testkit;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;

/**
 * One step of a generated access script: who reads whose {@code environ} (or {@code mem}), through which
 * alias, how, and when. Readers and targets are indices into the list of processes a test spawned, since
 * pids are known only after spawning.
 *
 * <pre>{@code
 * for (AccessStep step : script) {
 *     SimProcess reader = spawned.get(step.reader());
 *     SimProcess target = spawned.get(step.target());
 *     String path = KernelPaths.of(step.alias(), step.file(), "/proc", target.pid(), target.pid());
 *     if (step.mode() == AccessStep.Mode.HOLD_OPEN) fs.openFd(reader.pid(), path);
 * }
 * }</pre>
 *
 * @param reader       index of the reading process
 * @param target       index of the process whose file is read (equal to {@code reader} for {@code SELF})
 * @param alias        the path used; {@code THREAD} and {@code TASK} want a thread of the target
 * @param file         environ or mem
 * @param mode         how long the file stays open
 * @param offsetMillis when the step happens, from the start of the script; non-decreasing along a script
 * @param holdMillis   for {@link Mode#HOLD_OPEN}: how long the file stays open; 0 otherwise
 */
public record AccessStep(int reader, int target, AliasKind alias, ProcFile file, Mode mode, long offsetMillis,
                         long holdMillis) {

    /** How the reader uses the file. */
    public enum Mode {
        /** Open, read a little, close at once (what {@code cat} or {@code ps} do). */
        SHORT_READ,
        /** Open and keep the descriptor for {@code holdMillis} (what the polling source can see). */
        HOLD_OPEN
    }
}
