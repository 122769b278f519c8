package io.environguard.linux.targeted;

import io.environguard.api.ProcessInfo;
import io.environguard.linux.proc.FdLink;
import io.environguard.linux.proc.FdLinks;
import io.environguard.linux.proc.FdTable;
import io.environguard.linux.proc.ProcessInspector;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Best-effort attribution for events whose reader the kernel hid: which processes hold one of the guarded
 * files open right now, found by listing {@code /proc/*}{@code /fd} (one directory and one {@code readlink}
 * per descriptor; nothing is opened, so the scan makes no fanotify event).
 *
 * <p>It is a hint, never proof: a reader such as {@code cat} has usually closed the file before the scan,
 * a process may hold the file open for another reason, and an unprivileged guard can list only its own
 * user's descriptors. The scan is bounded in processes and in descriptors per process.
 *
 * <pre>{@code
 * ReaderAttribution attribution = new ReaderAttribution(Path.of("/proc"), selfPid, 4096);
 * Map<Integer, List<ProcessInfo>> holders = attribution.scan(Map.of("/proc/42/environ", 42));
 * }</pre>
 */
final class ReaderAttribution {

    static final int MAX_FDS_PER_PROCESS = 4096;

    /**
     * @param holders   per guarded pid, the processes that held one of its files open
     * @param visited   processes whose descriptors were listed
     * @param denied    processes whose descriptors could not be listed (another user's, without privilege)
     * @param truncated whether the process bound stopped the scan
     */
    record Result(Map<Integer, List<ProcessInfo>> holders, int visited, int denied, boolean truncated) {
    }

    private final Path procRoot;
    private final int selfPid;
    private final int maxProcesses;
    private final ProcessInspector inspector;

    ReaderAttribution(Path procRoot, int selfPid, int maxProcesses) {
        this.procRoot = procRoot;
        this.selfPid = selfPid;
        this.maxProcesses = maxProcesses;
        this.inspector = new ProcessInspector(procRoot);
    }

    /** Finds holders of any path in {@code pathToPid} (the guarded files and the pid each belongs to). */
    Result scan(Map<String, Integer> pathToPid) {
        Map<Integer, Set<Integer>> found = new HashMap<>();
        int visited = 0;
        int denied = 0;
        boolean truncated = false;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(procRoot)) {
            for (Path dir : dirs) {
                int pid = parsePid(dir.getFileName().toString());
                if (pid <= 0 || pid == selfPid) {
                    continue;
                }
                if (visited + denied >= maxProcesses) {
                    truncated = true;
                    break;
                }
                FdTable table;
                try {
                    table = FdLinks.list(procRoot, pid, MAX_FDS_PER_PROCESS);
                } catch (IOException e) {
                    denied++;
                    continue;
                }
                visited++;
                for (FdLink link : table.links()) {
                    Integer guarded = pathToPid.get(stripDeleted(link.target()));
                    if (guarded != null) {
                        found.computeIfAbsent(guarded, g -> new LinkedHashSet<>()).add(pid);
                    }
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // Nothing more can be said: the hint is empty, which the note on the access already allows for.
        }
        Map<Integer, List<ProcessInfo>> holders = new HashMap<>();
        found.forEach((guarded, pids) -> {
            List<ProcessInfo> infos = new ArrayList<>(pids.size());
            pids.forEach(p -> infos.add(inspector.inspect(p)));
            holders.put(guarded, List.copyOf(infos));
        });
        return new Result(holders, visited, denied, truncated);
    }

    private static String stripDeleted(String target) {
        return target.endsWith(" (deleted)") ? target.substring(0, target.length() - " (deleted)".length()) : target;
    }

    private static int parsePid(String name) {
        int n = name.length();
        if (n == 0 || n > 10 || name.charAt(0) == '0') {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v > Integer.MAX_VALUE ? -1 : (int) v;
    }
}
