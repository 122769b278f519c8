package io.environguard.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * The guarded/plain wall-time ratio of paired builds whose order alternates (pair 1 plain first, pair 2 guarded first,
 * ...: every two pairs an ABBA block), split by order and balanced over it. When the first build of a pair runs longer
 * or shorter than the second for a reason of its own (a cache the first one fills), the plain-first pairs' ratio and
 * the guarded-first pairs' ratio err by the same factor in opposite directions; their geometric mean cancels it, and
 * the square root of their quotient is that factor.
 *
 * <pre>{@code
 * System.out.println(OrderBalance.of(ratios, plainSeconds, guardedSeconds).describe());
 * }</pre>
 *
 * @param plainFirst    the ratios of the pairs that ran the plain build first (pairs 1, 3, 5, ...)
 * @param guardedFirst  the ratios of the pairs that ran the guarded build first (pairs 2, 4, 6, ...)
 * @param blocks        each ABBA block's ratio: the sum of its two guarded times over the sum of its two plain times
 * @param balanced      the geometric mean of the two orders' median ratios
 * @param firstFactor   how much longer the first build of a pair took than it would have as the second (1: no order
 *                      effect), from the two orders' medians
 * @param extraSeconds  the order-balanced extra wall time of a guarded build: the mean of the two orders' median
 *                      differences (guarded minus plain), in seconds
 */
record OrderBalance(double[] plainFirst, double[] guardedFirst, double[] blocks, double balanced, double firstFactor,
                    double extraSeconds) {

    /**
     * @param ratios         guarded/plain per pair, pair 1 plain first
     * @param plainSeconds   each pair's plain wall time
     * @param guardedSeconds each pair's guarded wall time
     * @return the split; with fewer than two pairs, one order is empty and the balanced figures are NaN
     */
    static OrderBalance of(double[] ratios, double[] plainSeconds, double[] guardedSeconds) {
        int n = ratios.length;
        double[] pf = new double[(n + 1) / 2];
        double[] gf = new double[n / 2];
        double[] pfDiff = new double[pf.length];
        double[] gfDiff = new double[gf.length];
        for (int p = 0; p < n; p++) {
            double diff = guardedSeconds[p] - plainSeconds[p];
            if (p % 2 == 0) {
                pf[p / 2] = ratios[p];
                pfDiff[p / 2] = diff;
            } else {
                gf[p / 2] = ratios[p];
                gfDiff[p / 2] = diff;
            }
        }
        double[] blocks = new double[n / 2];
        for (int b = 0; b < blocks.length; b++) {
            int i = 2 * b;
            blocks[b] = (guardedSeconds[i] + guardedSeconds[i + 1]) / (plainSeconds[i] + plainSeconds[i + 1]);
        }
        double mpf = median(pf);
        double mgf = median(gf);
        return new OrderBalance(pf, gf, blocks, Math.sqrt(mpf * mgf), Math.sqrt(mgf / mpf),
                (median(pfDiff) + median(gfDiff)) / 2);
    }

    /** @return the lines the harness prints */
    String describe() {
        return String.format(Locale.ROOT, "plain first: median ratio %.3f (%s); guarded first: median ratio %.3f (%s)%n"
                        + "order-balanced ratio (geometric mean of the two orders' medians) %.3f; ABBA blocks %s, median %.3f;"
                        + " first build of a pair x%.3f; order-balanced extra wall time of a guarded build %.2f s",
                median(plainFirst), range(plainFirst), median(guardedFirst), range(guardedFirst), balanced, list(blocks),
                median(blocks), firstFactor, extraSeconds);
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String range(double[] v) {
        return v.length == 0 ? "none" : String.format(Locale.ROOT, "%.3f-%.3f", Arrays.stream(v).min().orElse(0),
                Arrays.stream(v).max().orElse(0));
    }

    private static String list(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double d : v) {
            b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", d));
        }
        return "[" + b + "]";
    }
}
