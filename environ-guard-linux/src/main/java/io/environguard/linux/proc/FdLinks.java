package io.environguard.linux.proc;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Lists a process's open file descriptors ({@code <root>/<pid>/fd/*}) with their link targets: one
 * directory stream and one {@code readlink} per descriptor, nothing else (no {@code stat}, no following).
 *
 * <p>A process may hold a hundred thousand descriptors, so the listing stops after {@code maxFds}
 * entries and says so. A descriptor closed between the listing and its {@code readlink} is counted as
 * vanished, not reported.
 *
 * <pre>{@code
 * FdTable table = FdLinks.list(Path.of("/proc"), 4242, 4096);
 * for (FdLink link : table.links()) {
 *     ProcPaths.classify(link.target(), mountPoints).ifPresent(p -> ...);
 * }
 * }</pre>
 */
public final class FdLinks {

    private FdLinks() {
    }

    /**
     * Reads up to {@code maxFds} descriptors of {@code pid}.
     *
     * @param procRoot where procfs is read from
     * @param pid      a process id
     * @param maxFds   the most descriptors read; more make the table {@linkplain FdTable#truncated() truncated}
     * @return the descriptors read, ascending by number
     * @throws IllegalArgumentException when {@code maxFds} is negative
     * @throws NoSuchFileException when the process is gone (or {@code pid} names no process)
     * @throws IOException         when the directory cannot be read (e.g. {@code AccessDeniedException}:
     *                             another user's process without {@code CAP_SYS_PTRACE})
     */
    public static FdTable list(Path procRoot, int pid, int maxFds) throws IOException {
        if (maxFds < 0) {
            throw new IllegalArgumentException("maxFds must be >= 0");
        }
        Path fdDir = procRoot.resolve(Integer.toString(pid)).resolve("fd");
        List<FdLink> links = new ArrayList<>(Math.min(maxFds, 64));
        boolean truncated = false;
        int vanished = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fdDir)) {
            for (Path entry : entries) {
                int fd = ProcIds.parse(entry.getFileName().toString());
                if (fd < 0) {
                    continue;
                }
                if (links.size() + vanished >= maxFds) {
                    truncated = true;
                    break;
                }
                try {
                    links.add(new FdLink(fd, Files.readSymbolicLink(entry).toString()));
                } catch (NoSuchFileException closed) {
                    vanished++;
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        links.sort(Comparator.comparingInt(FdLink::fd));
        return new FdTable(pid, links, truncated, vanished);
    }
}
