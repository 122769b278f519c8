package io.environguard.linux.proc;

import java.util.List;

/**
 * The open file descriptors of one process at one moment, as far as {@link FdLinks#list} read them.
 *
 * <pre>{@code
 * FdTable table = FdLinks.list(Path.of("/proc"), pid, 10_000);
 * if (table.truncated()) { ... only the first 10,000 were read ... }
 * }</pre>
 *
 * @param pid       the process
 * @param links     the descriptors read, ascending by number
 * @param truncated whether the directory held more entries than the limit allowed to read
 * @param vanished  descriptors listed but closed before their link could be read
 */
public record FdTable(int pid, List<FdLink> links, boolean truncated, int vanished) {

    /**
     * Keeps an unmodifiable copy of {@code links}.
     *
     * @param pid       the process
     * @param links     the descriptors read, ascending by number; {@code null} for none
     * @param truncated whether the directory held more entries than the limit allowed to read
     * @param vanished  descriptors listed but closed before their link could be read
     */
    public FdTable {
        links = links == null ? List.of() : List.copyOf(links);
    }
}
