package io.environguard.policy;

import io.environguard.api.EnvironAccess;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The sweep rules restated as plainly as possible, recomputed from the whole history at every step (quadratic,
 * and fine for a few hundred accesses), to check the policy's incremental tracker against. Times must not go
 * backwards.
 *
 * <p>Every access {@code i} that counts towards sweeps has a reader R (pid@start) and maybe a family F (its
 * parent's pid@start from the lineage, else its ppid@-1; none under pid 1 or 2). An episode of R (or F) is a run
 * of the accesses that went into it with no gap of a window or more, running on to {@code i}. In order:
 * <ol>
 *   <li>R's episode holds a reader sweep (swept or folded): {@code i} is {@link Verdict#READER_FOLDED}. R's
 *       episode is made of R's accesses judged {@code COUNTED}, {@code READER_SWEPT}, {@code READER_FOLDED} or
 *       {@code FAMILY_SWEPT}.</li>
 *   <li>F's episode holds a family sweep: {@link Verdict#FAMILY_FOLDED}. F's episode is made of F's accesses
 *       judged {@code COUNTED}, {@code FAMILY_SWEPT} or {@code FAMILY_FOLDED}.</li>
 *   <li>R's episode (with {@code i}) touches at least {@code threshold} distinct targets less than a window before
 *       {@code i}: {@link Verdict#READER_SWEPT}.</li>
 *   <li>F's slots: for each target x of F's episode's accesses (with {@code i}) less than a window before
 *       {@code i}, the latest such access k to x; x counts unless k's reader swept on its own (a
 *       {@code READER_SWEPT} of that reader in family F) after k. At least {@code threshold} slots read by at
 *       least two distinct readers: {@link Verdict#FAMILY_SWEPT}, listing those targets and readers.</li>
 *   <li>otherwise {@link Verdict#COUNTED}.</li>
 * </ol>
 * Each swept episode has one closing: the sweep's targets and readers plus those of the accesses folded into it
 * later, and a count of every access of the episode.
 */
final class SweepModel {

    enum Verdict { NOT_COUNTED, COUNTED, READER_SWEPT, FAMILY_SWEPT, READER_FOLDED, FAMILY_FOLDED }

    private static final Set<Verdict> IN_READER_EPISODE =
            EnumSet.of(Verdict.COUNTED, Verdict.READER_SWEPT, Verdict.READER_FOLDED, Verdict.FAMILY_SWEPT);
    private static final Set<Verdict> IN_FAMILY_EPISODE =
            EnumSet.of(Verdict.COUNTED, Verdict.FAMILY_SWEPT, Verdict.FAMILY_FOLDED);

    /** What the model says of one access; for a sweep, its targets, readers (pid@start), actor and count. */
    record Step(Verdict verdict, Set<String> targets, Set<String> readers, String actor, long count) {
        boolean folded() {
            return verdict == Verdict.READER_FOLDED || verdict == Verdict.FAMILY_FOLDED;
        }

        boolean swept() {
            return verdict == Verdict.READER_SWEPT || verdict == Verdict.FAMILY_SWEPT;
        }
    }

    /** The closing alert a swept episode gets: its targets and readers from the sweep on, its actor, its count. */
    record Closing(Set<String> targets, Set<String> readers, String actor, long count) {
    }

    record Result(List<Step> steps, List<Closing> closings) {
    }

    private SweepModel() {
    }

    static Result run(List<EnvironAccess> accesses, Predicate<EnvironAccess> counts, int threshold, Duration window,
                      boolean families) {
        long w = window.toNanos();
        List<Step> out = new ArrayList<>(accesses.size());
        for (int i = 0; i < accesses.size(); i++) {
            EnvironAccess a = accesses.get(i);
            if (!counts.test(a)) {
                out.add(new Step(Verdict.NOT_COUNTED, Set.of(), Set.of(), null, 0));
                continue;
            }
            String r = readerId(a);
            String f = families ? Scenarios.familyId(a.reader()) : null;
            List<Integer> readerEpisode = episode(accesses, out, i, w, k -> readerId(accesses.get(k)).equals(r)
                    && IN_READER_EPISODE.contains(out.get(k).verdict()));
            if (readerEpisode.stream().anyMatch(k -> out.get(k).verdict() == Verdict.READER_SWEPT
                    || out.get(k).verdict() == Verdict.READER_FOLDED)) {
                out.add(new Step(Verdict.READER_FOLDED, Set.of(), Set.of(), null, readerEpisode.size() + 1));
                continue;
            }
            List<Integer> familyEpisode = f == null ? List.of() : episode(accesses, out, i, w,
                    k -> f.equals(familyOf(accesses.get(k), families)) && IN_FAMILY_EPISODE.contains(out.get(k).verdict()));
            if (familyEpisode.stream().anyMatch(k -> out.get(k).verdict() == Verdict.FAMILY_SWEPT
                    || out.get(k).verdict() == Verdict.FAMILY_FOLDED)) {
                out.add(new Step(Verdict.FAMILY_FOLDED, Set.of(), Set.of(), null, familyEpisode.size() + 1));
                continue;
            }
            Set<String> readerTargets = new LinkedHashSet<>();
            for (int k : withI(readerEpisode, i)) {
                if (nanos(a) - nanos(accesses.get(k)) < w) {
                    readerTargets.add(targetId(accesses.get(k)));
                }
            }
            if (readerTargets.size() >= threshold) {
                out.add(new Step(Verdict.READER_SWEPT, readerTargets, Set.of(r), null, readerEpisode.size() + 1));
                continue;
            }
            if (f != null) {
                // the latest access to each target within the window, in the family's episode
                Map<String, Integer> latest = new LinkedHashMap<>();
                for (int k : withI(familyEpisode, i)) {
                    if (nanos(a) - nanos(accesses.get(k)) < w) {
                        latest.remove(targetId(accesses.get(k)));   // re-inserted: the order of the latest accesses
                        latest.put(targetId(accesses.get(k)), k);
                    }
                }
                Set<String> slots = new LinkedHashSet<>();
                Set<String> slotReaders = new LinkedHashSet<>();
                for (Map.Entry<String, Integer> e : latest.entrySet()) {
                    int k = e.getValue();
                    String reader = readerId(accesses.get(k));
                    boolean sweptSince = false;
                    for (int j = k + 1; j < i; j++) {
                        if (out.get(j).verdict() == Verdict.READER_SWEPT && readerId(accesses.get(j)).equals(reader)
                                && f.equals(familyOf(accesses.get(j), families))) {
                            sweptSince = true;
                            break;
                        }
                    }
                    if (!sweptSince) {
                        slots.add(e.getKey());
                        slotReaders.add(reader);
                    }
                }
                if (slots.size() >= threshold && slotReaders.size() >= 2) {
                    out.add(new Step(Verdict.FAMILY_SWEPT, slots, slotReaders, f, familyEpisode.size() + 1));
                    continue;
                }
            }
            out.add(new Step(Verdict.COUNTED, Set.of(), Set.of(), null, 0));
        }
        return new Result(out, closings(accesses, out, w, families));
    }

    /** For each sweep: the accesses folded into its episode after it, up to the episode's first gap of a window. */
    private static List<Closing> closings(List<EnvironAccess> accesses, List<Step> steps, long w, boolean families) {
        List<Closing> closings = new ArrayList<>();
        for (int s = 0; s < steps.size(); s++) {
            Step sweep = steps.get(s);
            if (!sweep.swept()) {
                continue;
            }
            boolean family = sweep.verdict() == Verdict.FAMILY_SWEPT;
            String key = family ? sweep.actor() : readerId(accesses.get(s));
            Verdict folded = family ? Verdict.FAMILY_FOLDED : Verdict.READER_FOLDED;
            Set<Verdict> member = family ? IN_FAMILY_EPISODE : IN_READER_EPISODE;
            Set<String> targets = new LinkedHashSet<>(sweep.targets());
            Set<String> readers = new LinkedHashSet<>(sweep.readers());
            long count = sweep.count();
            long last = nanos(accesses.get(s));
            for (int k = s + 1; k < steps.size(); k++) {
                EnvironAccess a = accesses.get(k);
                String kKey = family ? familyOf(a, families) : (steps.get(k).verdict() == Verdict.NOT_COUNTED ? null : readerId(a));
                if (!key.equals(kKey) || !member.contains(steps.get(k).verdict())) {
                    continue;
                }
                if (nanos(a) - last >= w) {
                    break;   // the episode ended before this access
                }
                last = nanos(a);
                if (steps.get(k).verdict() == folded) {
                    targets.add(targetId(a));
                    readers.add(readerId(a));
                    count++;
                }
            }
            closings.add(new Closing(targets, readers, family ? sweep.actor() : null, count));
        }
        return closings;
    }

    /** The accesses before {@code i} that {@code member} accepts, from the last gap of a window on, running to {@code i}. */
    private static List<Integer> episode(List<EnvironAccess> accesses, List<Step> out, int i, long w,
                                         Predicate<Integer> member) {
        List<Integer> mine = new ArrayList<>();
        for (int k = 0; k < i; k++) {
            if (out.get(k).verdict() != Verdict.NOT_COUNTED && member.test(k)) {
                mine.add(k);
            }
        }
        if (mine.isEmpty() || nanos(accesses.get(i)) - nanos(accesses.get(mine.get(mine.size() - 1))) >= w) {
            return List.of();
        }
        int first = mine.size() - 1;
        while (first > 0 && nanos(accesses.get(mine.get(first))) - nanos(accesses.get(mine.get(first - 1))) < w) {
            first--;
        }
        return mine.subList(first, mine.size());
    }

    private static List<Integer> withI(List<Integer> episode, int i) {
        List<Integer> all = new ArrayList<>(episode);
        all.add(i);
        return all;
    }

    private static String familyOf(EnvironAccess a, boolean families) {
        return families ? Scenarios.familyId(a.reader()) : null;
    }

    static String processId(int pid, long start) {
        return pid + "@" + start;
    }

    static String readerId(EnvironAccess a) {
        return processId(a.reader().pid(), a.reader().startTime());
    }

    static String targetId(EnvironAccess a) {
        return processId(a.target().pid(), a.target().startTime());
    }

    private static long nanos(EnvironAccess a) {
        return Objects.requireNonNull(a.time()).getEpochSecond() * 1_000_000_000L + a.time().getNano();
    }
}
