package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.ProcIds;
import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Lists the thread ids of one process ({@code /proc/P/task}) as cheaply as the kernel allows: one
 * descriptor kept open, {@code lseek} to 0 and {@code getdents64} into a reused buffer, numbers parsed from
 * the bytes. The guard lists every few hundred milliseconds, too rarely for the JIT to compile the code,
 * so the interpreted cost is what counts: {@code java.nio}'s directory stream (a path object per entry)
 * costs about 0.5 ms per listing of 60 threads interpreted, this a small fraction of it. Confined to one
 * thread. A listing whose bytes equal the last one's ({@code memcmp}, in native memory) is not parsed at
 * all: an idle guard makes three native calls per listing and runs almost no Java code. Falls back to
 * {@code java.nio} on an architecture whose {@code getdents64} number is unknown.
 *
 * <pre>{@code
 * try (TaskDirectory tasks = TaskDirectory.open(pid)) {
 *     int[] tids = tasks.list();   // sorted; empty once the process is gone
 * }
 * }</pre>
 */
final class TaskDirectory implements AutoCloseable {

    private final int pid;
    private final int fd;
    private final Dirents entries;
    private Memory previous;
    private long previousLength = -1;
    private int[] previousTids = new int[0];
    private int[] tids = new int[64];
    private final Memory statx = new Memory(256);
    private final Memory emptyPath = new Memory(1);

    private TaskDirectory(int pid, int fd) {
        this.pid = pid;
        this.fd = fd;
        this.entries = fd >= 0 ? new Dirents() : null;
        this.previous = fd >= 0 ? new Memory(Dirents.BUFFER_SIZE) : null;
    }

    /** Opens {@code /proc/<pid>/task}; if that fails, {@link #list} falls back to {@code java.nio} and sees the failure there. */
    static TaskDirectory open(int pid) {
        int fd = !Dirents.supported() ? -1 : LinuxLibC.open("/proc/" + pid + "/task",
                LinuxLibC.O_RDONLY | LinuxLibC.O_DIRECTORY | LinuxLibC.O_CLOEXEC, 0);
        return new TaskDirectory(pid, fd);
    }

    /**
     * How many threads the process has, from the link count of {@code /proc/P/task} (the kernel sets it to
     * the thread count plus 2): one {@code statx}, without listing anything; {@code -1} when unknown.
     */
    int count() {
        if (fd < 0) {
            return -1;
        }
        emptyPath.setByte(0, (byte) 0);
        if (LinuxLibC.statx(fd, emptyPath, LinuxLibC.AT_EMPTY_PATH, STATX_NLINK, statx) != 0) {
            return -1;
        }
        return statx.getInt(STATX_NLINK_OFFSET) - 2;
    }

    private static final int STATX_NLINK = 0x4;
    private static final int STATX_NLINK_OFFSET = 16;

    /** The thread ids, sorted; empty when the process is gone or the directory cannot be read. */
    int[] list() {
        if (fd < 0) {
            return listWithNio();
        }
        if (LinuxLibC.lseek(fd, 0, LinuxLibC.SEEK_SET) < 0) {
            return new int[0];
        }
        long first = entries.read(fd);
        if (first > 0 && first < Dirents.BUFFER_SIZE / 2 && first == previousLength
                && LinuxLibC.memcmp(entries.nativeBatch(), previous, first) == 0) {
            // Everything fit in one read and it is byte for byte the last listing: the same threads.
            return previousTids;
        }
        boolean single = first > 0 && first < Dirents.BUFFER_SIZE / 2;
        int count = 0;
        // n == 0: the end; n < 0: the process is gone (ENOENT) or another error: what was read stands
        for (long n = first; n > 0; n = entries.read(fd)) {
            entries.load();
            for (int r = entries.next(-1); r >= 0; r = entries.next(r)) {
                int id = ProcIds.parseNulTerminated(entries.bytes(), Dirents.name(r)); // -1 for "." and ".."
                if (id > 0) {
                    if (count == tids.length) {
                        tids = Arrays.copyOf(tids, count * 2);
                    }
                    tids[count++] = id;
                }
            }
        }
        int[] out = Arrays.copyOf(tids, count);
        Arrays.sort(out);
        if (single && count > 0) {
            // Keep this listing's bytes for the next comparison (the first batch, which the end-of-directory read
            // left as it was): its memory becomes previous, and the next reads go to the old previous.
            previous = entries.exchange(previous);
            previousLength = first;
            previousTids = out;
        } else {
            previousLength = -1;
        }
        return out;
    }

    private int[] listWithNio() {
        int count = 0;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path d : dirs) {
                int id = ProcIds.parse(d.getFileName().toString());
                if (id > 0) {
                    if (count == tids.length) {
                        tids = Arrays.copyOf(tids, count * 2);
                    }
                    tids[count++] = id;
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            return new int[0];
        }
        int[] out = Arrays.copyOf(tids, count);
        Arrays.sort(out);
        return out;
    }

    @Override
    public void close() {
        if (fd >= 0) {
            LinuxLibC.close(fd);
        }
    }
}
