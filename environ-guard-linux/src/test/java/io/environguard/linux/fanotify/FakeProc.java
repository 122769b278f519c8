package io.environguard.linux.fanotify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A small simulated procfs tree in a temporary directory: enough of {@code stat}, {@code status},
 * {@code comm}, {@code exe}, {@code cmdline}, {@code cgroup} and {@code ns/pid} for the resolver and the
 * pid-namespace mapper. A thread is reachable as {@code <root>/<tid>} (as in procfs, where thread ids are
 * openable) and under {@code <root>/<tgid>/task/<tid>}.
 */
final class FakeProc {

    final Path root;

    FakeProc(Path root) {
        this.root = root;
    }

    /** A single-threaded process. */
    FakeProc process(int pid, int ppid, String comm, String exe, long startTime, List<Integer> nsPid, String pidNs) {
        return task(pid, pid, ppid, comm, exe, startTime, nsPid, pidNs);
    }

    /** A task {@code tid} of process {@code tgid}; call it for the leader ({@code tid == tgid}) too. */
    FakeProc task(int tgid, int tid, int ppid, String comm, String exe, long startTime, List<Integer> nsPid, String pidNs) {
        write(root.resolve(Integer.toString(tid)), tgid, tid, ppid, comm, exe, startTime, nsPid, pidNs);
        write(root.resolve(tgid + "/task/" + tid), tgid, tid, ppid, comm, exe, startTime, nsPid, pidNs);
        return this;
    }

    /**
     * A fresh temporary directory for fake trees. Not JUnit's {@code @TempDir}: the trees hold {@code exe}
     * links to absolute paths, on which its cleanup warns; {@link #delete} removes links, never targets.
     */
    static Path newRoot() {
        try {
            return Files.createTempDirectory("fakeproc");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a tree made by {@link #newRoot}, without following links. */
    static void delete(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void write(Path dir, int tgid, int tid, int ppid, String comm, String exe, long startTime,
                              List<Integer> nsPid, String pidNs) {
        try {
            Files.createDirectories(dir.resolve("ns"));
            StringBuilder stat = new StringBuilder().append(tid).append(" (").append(comm).append(") S ").append(ppid);
            for (int field = 5; field <= 52; field++) {
                stat.append(' ').append(field == 22 ? startTime : 0);
            }
            Files.writeString(dir.resolve("stat"), stat.append('\n'));
            Files.writeString(dir.resolve("status"), "Name:\t" + comm + "\nTgid:\t" + tgid + "\nPid:\t" + tid
                    + "\nPPid:\t" + ppid + "\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nNSpid:\t"
                    + nsPid.stream().map(String::valueOf).collect(Collectors.joining("\t")) + "\n");
            Files.writeString(dir.resolve("comm"), comm + "\n");
            Files.write(dir.resolve("cmdline"), (comm + "\0").getBytes(StandardCharsets.UTF_8));
            Files.writeString(dir.resolve("cgroup"), "0::/user.slice\n");
            if (exe != null && !Files.exists(dir.resolve("exe"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(dir.resolve("exe"), Path.of(exe));
            }
            if (!Files.exists(dir.resolve("ns/pid"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(dir.resolve("ns/pid"), Path.of(pidNs));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
