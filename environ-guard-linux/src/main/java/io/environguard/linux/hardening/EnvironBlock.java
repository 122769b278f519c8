package io.environguard.linux.hardening;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The layout of a process's original environment block, the bytes between {@code env_start} and
 * {@code env_end} that {@code /proc/<pid>/environ} shows: {@code NAME=VALUE\0} strings, one after another.
 * Only offsets are kept, never a value.
 *
 * <pre>{@code
 * EnvironBlock block = EnvironBlock.parse(bytes).orElseThrow();
 * for (EnvironBlock.Entry e : block.entriesNamed(Set.of("DB_PASSWORD"))) {
 *     EnvironBlock.mask(bytes, e);    // the value's bytes become '*'
 * }
 * }</pre>
 */
final class EnvironBlock {

    /** What replaces each byte of a scrubbed value. */
    static final byte MASK = '*';

    /**
     * One {@code NAME=VALUE} string.
     *
     * @param name        the variable's name
     * @param valueOffset where the value starts in the block
     * @param valueLength the value's length in bytes (not counting the terminating NUL)
     */
    record Entry(String name, int valueOffset, int valueLength) {
    }

    private final List<Entry> entries;

    private EnvironBlock(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Parses a block, or returns empty when it is not a list of {@code NAME=VALUE\0} strings: it ends
     * without a NUL, holds an empty string, or a string without {@code =} after a non-empty name. That is
     * what a block looks like after a program reused the space (as {@code setproctitle} does), so the caller
     * must not write to it.
     */
    static Optional<EnvironBlock> parse(byte[] block) {
        if (block.length == 0 || block[block.length - 1] != 0) {
            return Optional.empty();
        }
        List<Entry> entries = new ArrayList<>();
        int start = 0;
        while (start < block.length) {
            int end = start;
            while (block[end] != 0) {
                end++;
            }
            int eq = -1;
            for (int i = start; i < end; i++) {
                if (block[i] == '=') {
                    eq = i;
                    break;
                }
            }
            if (eq <= start) {
                return Optional.empty();
            }
            entries.add(new Entry(new String(block, start, eq - start, StandardCharsets.UTF_8), eq + 1, end - eq - 1));
            start = end + 1;
        }
        return Optional.of(new EnvironBlock(entries));
    }

    List<Entry> entries() {
        return entries;
    }

    /** Every entry whose name is in {@code names} (a name may occur more than once). */
    List<Entry> entriesNamed(Collection<String> names) {
        return entries.stream().filter(e -> names.contains(e.name())).toList();
    }

    /** Overwrites the value of {@code entry} in {@code block} with {@link #MASK} bytes, keeping its length. */
    static void mask(byte[] block, Entry entry) {
        for (int i = 0; i < entry.valueLength(); i++) {
            block[entry.valueOffset() + i] = MASK;
        }
    }
}
