package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.FdLink;
import io.environguard.linux.proc.FdLinks;
import io.environguard.linux.proc.FdTable;
import io.environguard.linux.proc.ProcIds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import java.util.function.IntFunction;

/**
 * Best-effort attribution for events whose reader the kernel hid: which processes hold one of the guarded
 * files open right now, found by listing {@code /proc/*}{@code /fd} (directory listings and one
 * {@code readlink} per descriptor; nothing is opened that fanotify would report).
 *
 * <p>It is a hint, never proof: a reader such as {@code cat} has usually closed the file before the scan,
 * a process may hold the file open for another reason, and an unprivileged guard can list only its own
 * user's descriptors. The scan is bounded in processes and in descriptors per process. It runs on the
 * alert's path and rarely (so mostly interpreted): it works in reused native buffers, with
 * {@code getdents64} and {@code readlink}, so that the processes it may not look into cost a failed
 * {@code openat} each rather than an exception, and a link is turned into a string only when it starts
 * with {@code /proc/}.
 *
 * <pre>{@code
 * ReaderAttribution attribution = new ReaderAttribution(Path.of("/proc"), selfPid, 4096, pid -> inspector.inspect(pid));
 * ReaderAttribution.Result r = attribution.scan(Map.of("/proc/42/environ", 42));
 * }</pre>
 */
final class ReaderAttribution {

    static final int MAX_FDS_PER_PROCESS = 4096;
    private static final byte[] PROC_PREFIX = "/proc/".getBytes(StandardCharsets.US_ASCII);

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
    private final IntFunction<ProcessInfo> describe;
    private final boolean natively;
    private final Dirents procEntries;
    private final Dirents fdEntries;
    private final Memory linkPath = new Memory(64);
    private final Memory link = new Memory(4096);
    private final byte[] linkBytes = new byte[4096];

    /** @param describe how a holder's pid becomes its {@link ProcessInfo} (the source's process table) */
    ReaderAttribution(Path procRoot, int selfPid, int maxProcesses, IntFunction<ProcessInfo> describe) {
        this.procRoot = procRoot;
        this.selfPid = selfPid;
        this.maxProcesses = maxProcesses;
        this.describe = describe;
        this.natively = Dirents.supported() && procRoot.equals(Path.of("/proc"));
        this.procEntries = natively ? new Dirents() : null;
        this.fdEntries = natively ? new Dirents() : null;
    }

    /** Finds holders of any path in {@code pathToPid} (the guarded files and the pid each belongs to). */
    Result scan(Map<String, Integer> pathToPid) {
        Map<Integer, Set<Integer>> found = new HashMap<>();
        int[] counts = natively ? scanNatively(pathToPid, found) : scanWithNio(pathToPid, found);
        Map<Integer, List<ProcessInfo>> holders = new HashMap<>();
        found.forEach((guarded, pids) -> {
            List<ProcessInfo> infos = new ArrayList<>(pids.size());
            pids.forEach(p -> infos.add(describe.apply(p)));
            holders.put(guarded, List.copyOf(infos));
        });
        return new Result(holders, counts[0], counts[1], counts[2] != 0);
    }

    /** @return visited, denied, truncated (0/1) */
    private int[] scanNatively(Map<String, Integer> pathToPid, Map<Integer, Set<Integer>> found) {
        int visited = 0;
        int denied = 0;
        int procFd = LinuxLibC.open("/proc", LinuxLibC.O_RDONLY | LinuxLibC.O_DIRECTORY | LinuxLibC.O_CLOEXEC, 0);
        if (procFd < 0) {
            return new int[] {0, 0, 0};
        }
        try {
            for (long n = procEntries.read(procFd); n > 0; n = procEntries.read(procFd)) {
                procEntries.load();
                for (int r = procEntries.next(-1); r >= 0; r = procEntries.next(r)) {
                    int pid = ProcIds.parseNulTerminated(procEntries.bytes(), Dirents.name(r));
                    if (pid <= 0 || pid == selfPid) {
                        continue;
                    }
                    if (visited + denied >= maxProcesses) {
                        return new int[] {visited, denied, 1};
                    }
                    int fdDir = LinuxLibC.openat(procFd, pid + "/fd", LinuxLibC.O_RDONLY | LinuxLibC.O_DIRECTORY
                            | LinuxLibC.O_CLOEXEC, 0);
                    if (fdDir < 0) {
                        if (LinuxLibC.errno() != Errno.ENOENT) {
                            denied++;
                        }
                        continue;
                    }
                    visited++;
                    try {
                        holds(fdDir, pid, pathToPid, found);
                    } finally {
                        LinuxLibC.close(fdDir);
                    }
                }
                if (procEntries.malformed()) {
                    break; // a malformed listing: stop rather than loop
                }
            }
            return new int[] {visited, denied, 0};
        } finally {
            LinuxLibC.close(procFd);
        }
    }

    /** Reads the links of one process's descriptors; records it as a holder of a guarded file. */
    private void holds(int fdDir, int pid, Map<String, Integer> pathToPid, Map<Integer, Set<Integer>> found) {
        int prefix = writeAscii(linkPath, 0, "/proc/" + pid + "/fd/");
        int seen = 0;
        for (long n = fdEntries.read(fdDir); n > 0; n = fdEntries.read(fdDir)) {
            fdEntries.load();
            byte[] fdBytes = fdEntries.bytes();
            for (int r = fdEntries.next(-1); r >= 0; r = fdEntries.next(r)) {
                int name = Dirents.name(r);
                if (fdBytes[name] < '0' || fdBytes[name] > '9') {
                    continue;
                }
                if (++seen > MAX_FDS_PER_PROCESS) {
                    return;
                }
                int end = name;
                while (fdBytes[end] != 0) {
                    end++;
                }
                linkPath.write(prefix, fdBytes, name, end - name);
                linkPath.setByte(prefix + (end - name), (byte) 0);
                int len = LinuxLibC.readlink(linkPath, link, linkBytes.length);
                if (len < PROC_PREFIX.length) {
                    continue;
                }
                link.read(0, linkBytes, 0, PROC_PREFIX.length);
                if (!startsWithProc()) {
                    continue;
                }
                link.read(0, linkBytes, 0, len);
                String target = new String(linkBytes, 0, len, StandardCharsets.UTF_8);
                Integer guarded = pathToPid.get(stripDeleted(target));
                if (guarded != null) {
                    found.computeIfAbsent(guarded, g -> new LinkedHashSet<>()).add(pid);
                }
            }
            if (fdEntries.malformed()) {
                return;
            }
        }
    }

    private boolean startsWithProc() {
        for (int i = 0; i < PROC_PREFIX.length; i++) {
            if (linkBytes[i] != PROC_PREFIX[i]) {
                return false;
            }
        }
        return true;
    }

    private static int writeAscii(Memory memory, int offset, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        memory.write(offset, b, 0, b.length);
        return offset + b.length;
    }

    /** The portable route, for a simulated /proc or an architecture without a known getdents64 number. */
    private int[] scanWithNio(Map<String, Integer> pathToPid, Map<Integer, Set<Integer>> found) {
        int visited = 0;
        int denied = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(procRoot)) {
            for (Path dir : dirs) {
                int pid = ProcIds.parse(dir.getFileName().toString());
                if (pid <= 0 || pid == selfPid) {
                    continue;
                }
                if (visited + denied >= maxProcesses) {
                    return new int[] {visited, denied, 1};
                }
                FdTable table;
                try {
                    table = FdLinks.list(procRoot, pid, MAX_FDS_PER_PROCESS);
                } catch (IOException e) {
                    denied++;
                    continue;
                }
                visited++;
                for (FdLink l : table.links()) {
                    Integer guarded = pathToPid.get(stripDeleted(l.target()));
                    if (guarded != null) {
                        found.computeIfAbsent(guarded, g -> new LinkedHashSet<>()).add(pid);
                    }
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // Nothing more can be said: the hint is empty, which the note on the access already allows for.
        }
        return new int[] {visited, denied, 0};
    }

    private static String stripDeleted(String target) {
        return target.endsWith(" (deleted)") ? target.substring(0, target.length() - " (deleted)".length()) : target;
    }
}
