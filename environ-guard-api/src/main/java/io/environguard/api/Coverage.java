package io.environguard.api;

import java.util.List;

/**
 * What a running guard watches and what it cannot see, in words a person can check.
 *
 * @param source     the running source's name
 * @param watching   what is watched, e.g. {@code "filesystem mark on proc superblock 0:22 (/proc)"}
 * @param blindSpots what is known not to be seen, e.g. {@code "process_vm_readv and ptrace reads"}
 */
public record Coverage(String source, List<String> watching, List<String> blindSpots) {
    /**
     * Keeps unmodifiable copies of the lists.
     *
     * @param source     the running source's name
     * @param watching   what is watched; {@code null} for nothing
     * @param blindSpots what is known not to be seen; {@code null} for nothing
     */
    public Coverage {
        watching = watching == null ? List.of() : List.copyOf(watching);
        blindSpots = blindSpots == null ? List.of() : List.copyOf(blindSpots);
    }

    /**
     * One short line for a log: {@code fanotify: 4 watched, 7 blind spots}. The items themselves are in
     * {@link #watching()} and {@link #blindSpots()}.
     */
    @Override
    public String toString() {
        return source + ": " + watching.size() + " watched, " + blindSpots.size() + " blind spot"
                + (blindSpots.size() == 1 ? "" : "s");
    }
}
