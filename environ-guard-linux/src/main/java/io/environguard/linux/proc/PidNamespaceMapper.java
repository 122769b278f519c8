package io.environguard.linux.proc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Maps a pid seen in a procfs instance of another pid namespace (a container's {@code /proc}) to this
 * process's pid namespace. The kernel has no call for it, but {@code NSpid} in {@code status} lists a
 * task's id in every namespace from the viewer's down: seen through the instance it is {@code [L, ...]},
 * seen from here {@code [H, ..., L, ...]}. The host task whose list ends with the instance's list, in the
 * same pid namespace and with the same start time, is the one. Candidates are narrowed by the
 * {@code ns/pid} link (a readlink, which opens nothing) before any file is read.
 *
 * <p>Shared by the fanotify resolver and the procfs poller; not thread-safe (each owns one). Results are
 * cached per (instance, pid, start time).
 *
 * <pre>{@code
 * OptionalInt host = mapper.toHostPid(containerProc, 1);   // the container's init, as a host pid
 * }</pre>
 */
public final class PidNamespaceMapper {

    private static final int CACHE_SIZE = 1024;
    private static final int MAX_FILE = 64 * 1024;

    private final Path hostProc;
    private final Map<Key, Integer> cache = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Integer> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    private record Key(Path root, int localPid, long startTime) {
    }

    /** @param hostProc this namespace's procfs root ({@code /proc}, or a simulated tree) */
    public PidNamespaceMapper(Path hostProc) {
        this.hostProc = hostProc;
    }

    /**
     * The host id of process {@code localPid} of the instance at {@code instanceRoot}, or empty when it
     * exited or is not visible from this pid namespace (this process runs in a child namespace).
     *
     * @param instanceRoot the mount point of another procfs instance (a container's {@code /proc})
     * @param localPid     a process id as that instance shows it
     * @return the same process's id in this pid namespace, or empty
     */
    public OptionalInt toHostPid(Path instanceRoot, int localPid) {
        Path local = instanceRoot.resolve(Integer.toString(localPid));
        ProcStatus localStatus = status(local);
        long start = startTime(local);
        String ns = readLink(local.resolve("ns/pid"));
        if (localStatus == null || localStatus.nsPid().isEmpty() || start < 0 || ns == null) {
            return OptionalInt.empty();
        }
        Key key = new Key(instanceRoot, localPid, start);
        Integer cached = cache.get(key);
        if (cached != null) {
            return OptionalInt.of(cached);
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(hostProc)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0)) || !ns.equals(readLink(dir.resolve("ns/pid")))) {
                    continue;
                }
                if (matches(dir, localStatus.nsPid(), start)) {
                    int host = Integer.parseInt(name);
                    cache.put(key, host);
                    return OptionalInt.of(host);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
        return OptionalInt.empty();
    }

    /**
     * The host id of thread {@code localTid} of the instance, given the host id of its process.
     *
     * @param instanceRoot the mount point of another procfs instance
     * @param localTid     a thread id as that instance shows it
     * @param hostTgid     its process's id in this pid namespace ({@link #toHostPid})
     * @return the thread's id in this pid namespace, or empty when it is gone or not found
     */
    public OptionalInt toHostTid(Path instanceRoot, int localTid, int hostTgid) {
        ProcStatus localStatus = status(instanceRoot.resolve(Integer.toString(localTid)));
        if (localStatus == null || localStatus.nsPid().isEmpty()) {
            return OptionalInt.empty();
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(hostProc.resolve(hostTgid + "/task"))) {
            for (Path task : tasks) {
                ProcStatus s = status(task);
                if (s != null && endsWith(s.nsPid(), localStatus.nsPid())) {
                    return OptionalInt.of(s.pid());
                }
            }
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        return OptionalInt.empty();
    }

    private boolean matches(Path hostDir, List<Integer> localNsPid, long start) {
        ProcStatus s = status(hostDir);
        // tgid == pid: a process, not one of the thread ids that are openable but unlisted in procfs
        return s != null && s.tgid() == s.pid() && endsWith(s.nsPid(), localNsPid) && startTime(hostDir) == start;
    }

    /**
     * How an NSpid list seen from here matches one seen from inside a namespace.
     *
     * @param list   the NSpid list seen from here, outermost namespace first
     * @param suffix the list seen from inside
     * @return whether {@code list} ends with {@code suffix}; {@code false} when {@code suffix} is empty
     */
    public static boolean endsWith(List<Integer> list, List<Integer> suffix) {
        int offset = list.size() - suffix.size();
        if (offset < 0 || suffix.isEmpty()) {
            return false;
        }
        return list.subList(offset, list.size()).equals(suffix);
    }

    private static ProcStatus status(Path dir) {
        try {
            return ProcStatusParser.parse(read(dir.resolve("status")));
        } catch (IOException | ProcParseException e) {
            return null;
        }
    }

    private static long startTime(Path dir) {
        try {
            return ProcStatParser.parse(read(dir.resolve("stat"))).startTime();
        } catch (IOException | ProcParseException e) {
            return -1;
        }
    }

    private static byte[] read(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return in.readNBytes(MAX_FILE);
        }
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
