package io.environguard.policy;

import io.environguard.api.EnvironAccess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The sweep rule restated as plainly as possible, recomputed from the whole history at every step
 * (quadratic, and fine for a few hundred accesses), to check the policy's incremental tracker against.
 *
 * <p>For an access {@code i} by reader R (pid + start time) that counts towards sweeps: R's episode is the
 * run of R's counted accesses up to {@code i} with no gap of a window or more. If an earlier access of the
 * episode swept, {@code i} is folded. Otherwise {@code i} sweeps when the episode's accesses less than a
 * window before {@code i} (inclusive of {@code i}) touch at least {@code threshold} distinct targets.
 */
final class SweepModel {

    enum Verdict { NOT_COUNTED, COUNTED, SWEPT, FOLDED }

    /** What the model says of one access; for a sweep, its targets (as pid@start) and count. */
    record Step(Verdict verdict, Set<String> targets, long count) {
    }

    private SweepModel() {
    }

    static List<Step> run(List<EnvironAccess> accesses, Predicate<EnvironAccess> counts, int threshold,
                          Duration window) {
        long w = window.toNanos();
        List<Step> out = new ArrayList<>(accesses.size());
        for (int i = 0; i < accesses.size(); i++) {
            EnvironAccess a = accesses.get(i);
            if (!counts.test(a)) {
                out.add(new Step(Verdict.NOT_COUNTED, Set.of(), 0));
                continue;
            }
            // the reader's counted accesses so far, in order
            List<Integer> mine = new ArrayList<>();
            for (int k = 0; k <= i; k++) {
                if (out.size() > k && out.get(k).verdict() == Verdict.NOT_COUNTED) {
                    continue;
                }
                if (k == i || sameReader(accesses.get(k), a)) {
                    mine.add(k);
                }
            }
            // the episode: walk back while the gaps are shorter than the window
            int first = mine.size() - 1;
            while (first > 0 && nanos(accesses.get(mine.get(first))) - nanos(accesses.get(mine.get(first - 1))) < w) {
                first--;
            }
            List<Integer> episode = mine.subList(first, mine.size());
            boolean sweptBefore = false;
            for (int k : episode) {
                if (k != i && (out.get(k).verdict() == Verdict.SWEPT || out.get(k).verdict() == Verdict.FOLDED)) {
                    sweptBefore = true;
                    break;
                }
            }
            if (sweptBefore) {
                out.add(new Step(Verdict.FOLDED, Set.of(), episode.size()));
                continue;
            }
            Set<String> targets = new LinkedHashSet<>();
            for (int k : episode) {
                if (nanos(a) - nanos(accesses.get(k)) < w) {
                    targets.add(processId(accesses.get(k).target().pid(), accesses.get(k).target().startTime()));
                }
            }
            out.add(targets.size() >= threshold
                    ? new Step(Verdict.SWEPT, targets, episode.size())
                    : new Step(Verdict.COUNTED, Set.of(), episode.size()));
        }
        return out;
    }

    static String processId(int pid, long start) {
        return pid + "@" + start;
    }

    private static boolean sameReader(EnvironAccess x, EnvironAccess y) {
        return x.reader().pid() == y.reader().pid() && x.reader().startTime() == y.reader().startTime();
    }

    private static long nanos(EnvironAccess a) {
        return Objects.requireNonNull(a.time()).getEpochSecond() * 1_000_000_000L + a.time().getNano();
    }
}
