package io.environguard.ci;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of a guarded run: what was found, how it was watched, and what that way of watching cannot see.
 *
 * <pre>{@code
 * RunVerdict verdict = guard.finish();
 * int exit = verdict.failed() ? 97 : commandStatus;
 * }</pre>
 *
 * @param mode        how the run was watched
 * @param source      the running source's name
 * @param watching    what the source watched (its coverage)
 * @param cannotSee   what this mode and source cannot see, in words a person can check
 * @param tree        the tree that was judged, or {@code null} when the root never started
 * @param tally       what the judge saw
 * @param judgeMissed alerts the judge never saw (its queue was full, or too many arrived before the tree was
 *                    known): a finding among them cannot be ruled out
 */
public record RunVerdict(GuardMode mode, String source, List<String> watching, List<String> cannotSee,
                         CommandTree tree, RunJudge.Tally tally, long judgeMissed) {

    /**
     * Checks the required fields and keeps unmodifiable copies of the lists.
     *
     * @param mode        how the run was watched
     * @param source      the running source's name
     * @param watching    what the source watched
     * @param cannotSee   what this mode and source cannot see
     * @param tree        the tree that was judged, or {@code null}
     * @param tally       what the judge saw
     * @param judgeMissed alerts the judge never saw
     * @throws NullPointerException when {@code mode}, {@code tally}, {@code watching} or {@code cannotSee} is
     *                              {@code null}
     */
    public RunVerdict {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(tally, "tally");
        watching = List.copyOf(watching);
        cannotSee = List.copyOf(cannotSee);
    }

    /** @return the findings, in the order the alerts arrived; empty when the tree read nothing it should not */
    public List<Finding> findings() {
        return tally.findings();
    }

    /** @return whether the run fails: a finding, or alerts the judge never saw */
    public boolean failed() {
        return !tally.findings().isEmpty() || judgeMissed > 0;
    }
}
