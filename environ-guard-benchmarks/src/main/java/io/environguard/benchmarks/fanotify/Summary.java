package io.environguard.benchmarks.fanotify;

import java.util.Arrays;
import java.util.Collection;

/**
 * The few statistics the harness reports: medians with their spread across rounds, and nearest-rank
 * percentiles of latency samples.
 *
 * <pre>{@code
 * Summary.Spread s = Summary.spread(List.of(1.02, 1.10, 1.04));  // median 1.04, min 1.02, max 1.10
 * long p99 = Summary.percentile(latencies, 99);
 * }</pre>
 */
final class Summary {

    private Summary() {
    }

    /** A median with the smallest and largest value it was taken from. */
    record Spread(double median, double min, double max, int n) {
    }

    static Spread spread(Collection<Double> values) {
        if (values.isEmpty()) {
            return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Spread(median(v), v[0], v[v.length - 1], v.length);
    }

    /** The median of sorted values: the middle one, or the mean of the two middle ones. */
    static double median(double[] sorted) {
        int n = sorted.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /**
     * The nearest-rank percentile: the smallest value such that at least {@code p} percent of the values are
     * less than or equal to it.
     *
     * @throws IllegalArgumentException with no values, or {@code p} outside (0, 100]
     */
    static long percentile(long[] values, double p) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile out of (0, 100]: " + p);
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }
}
