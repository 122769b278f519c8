package io.environguard.linux.hardening;

import java.util.List;

/**
 * What {@link Hardening#scrub} did. It holds names and counts, never a value.
 *
 * @param names   the variables whose values were masked in the original environment block
 * @param entries how many {@code NAME=VALUE} strings were masked (a name may occur more than once)
 * @param bytes   how many value bytes were overwritten
 */
public record ScrubResult(List<String> names, int entries, long bytes) {
    /**
     * Keeps an unmodifiable copy of {@code names}.
     *
     * @param names   the variables whose values were masked
     * @param entries how many {@code NAME=VALUE} strings were masked
     * @param bytes   how many value bytes were overwritten
     * @throws NullPointerException when {@code names} or one of them is {@code null}
     */
    public ScrubResult {
        names = List.copyOf(names);
    }
}
