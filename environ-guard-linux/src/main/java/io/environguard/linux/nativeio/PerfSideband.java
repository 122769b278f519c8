package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A system-wide perf "dummy" software event per CPU, opened only for its side-band records: the kernel writes
 * a {@code PERF_RECORD_COMM} when a process execs (and when a thread is renamed) and a
 * {@code PERF_RECORD_MMAP2} for every executable mapping, the exec'd binary's first, synchronously, in the
 * exec'ing process's own context. Read from the ring buffers afterwards, they name a process that has long
 * exited: no race with the process at all. Each record carries the pid, tid and time
 * ({@code CLOCK_MONOTONIC}) it was written at. Needs {@code CAP_PERFMON} or {@code CAP_SYS_ADMIN} (system-wide
 * events); nothing is sampled and nobody is woken: the buffers are read when the caller chooses.
 *
 * <pre>{@code
 * try (PerfSideband perf = PerfSideband.open(32)) {
 *     perf.drain((type, misc, record, length) -> { ... record.getInt(8) is the pid ... });
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one thread drains (the buffers' read positions are the caller's).
 */
public final class PerfSideband implements AutoCloseable {

    public static final int RECORD_LOST = 2;
    public static final int RECORD_COMM = 3;
    public static final int RECORD_MMAP2 = 10;
    /** {@code PERF_RECORD_MISC_COMM_EXEC}: the name change came with an exec. */
    public static final int MISC_COMM_EXEC = 1 << 13;
    /** Bytes of {@code sample_id} at the end of each record: pid, tid (u32 each) and time (u64). */
    public static final int SAMPLE_ID_BYTES = 16;

    private static final int PERF_TYPE_SOFTWARE = 1;
    private static final int PERF_COUNT_SW_DUMMY = 9;
    private static final long PERF_SAMPLE_TID = 1L << 1;
    private static final long PERF_SAMPLE_TIME = 1L << 2;
    private static final long FLAG_MMAP = 1L << 8;
    private static final long FLAG_COMM = 1L << 9;
    private static final long FLAG_SAMPLE_ID_ALL = 1L << 18;
    private static final long FLAG_MMAP2 = 1L << 23;
    private static final long FLAG_COMM_EXEC = 1L << 24;
    private static final long FLAG_USE_CLOCKID = 1L << 25;
    private static final int ATTR_SIZE = 128;
    private static final int PERF_FLAG_FD_CLOEXEC = 8;
    private static final int PAGE = 4096;
    private static final int DATA_HEAD = 1024;
    private static final int DATA_TAIL = 1032;
    private static final int MAX_RECORD = 64 * 1024;

    /** What one record looks like to a caller: {@code record} holds it from offset 0 (header included). */
    @FunctionalInterface
    public interface RecordHandler {
        void record(int type, int misc, ByteBuffer record, int length);
    }

    /** The kernel refused; {@link #errno()} says why. */
    public static final class OpenException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int errno;

        OpenException(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    private final int[] fds;
    private final Pointer[] maps;
    private final long dataSize;
    private final byte[] scratch = new byte[MAX_RECORD];
    private final ByteBuffer view = ByteBuffer.wrap(scratch).order(ByteOrder.nativeOrder());
    private long lost;
    private boolean closed;

    private PerfSideband(int[] fds, Pointer[] maps, long dataSize) {
        this.fds = fds;
        this.maps = maps;
        this.dataSize = dataSize;
    }

    /**
     * Opens one event per online CPU, each with a ring buffer of {@code dataPages} pages (a power of two).
     *
     * @throws OpenException when the kernel refuses the event on every CPU ({@code EACCES}/{@code EPERM} without
     *                       the capability, {@code ENOSYS} where perf is blocked)
     */
    public static PerfSideband open(int dataPages) throws OpenException {
        if (Integer.bitCount(dataPages) != 1) {
            throw new IllegalArgumentException("data pages must be a power of two: " + dataPages);
        }
        if (LinuxLibC.SYS_PERF_EVENT_OPEN < 0) {
            throw new OpenException("perf_event_open: unknown system call number on this architecture", Errno.ENOSYS);
        }
        Memory attr = new Memory(ATTR_SIZE);
        attr.clear();
        attr.setInt(0, PERF_TYPE_SOFTWARE);
        attr.setInt(4, ATTR_SIZE);
        attr.setLong(8, PERF_COUNT_SW_DUMMY);
        attr.setLong(24, PERF_SAMPLE_TID | PERF_SAMPLE_TIME);
        attr.setLong(40, FLAG_MMAP | FLAG_COMM | FLAG_SAMPLE_ID_ALL | FLAG_MMAP2 | FLAG_COMM_EXEC | FLAG_USE_CLOCKID);
        attr.setInt(92, LinuxLibC.CLOCK_MONOTONIC);
        List<Integer> cpus = onlineCpus();
        int[] fds = new int[cpus.size()];
        Pointer[] maps = new Pointer[cpus.size()];
        long mapSize = (long) (dataPages + 1) * PAGE;
        int opened = 0;
        int lastErrno = 0;
        for (int i = 0; i < cpus.size(); i++) {
            long fd = LinuxLibC.syscall(LinuxLibC.SYS_PERF_EVENT_OPEN, Pointer.nativeValue(attr), -1, cpus.get(i), -1,
                    PERF_FLAG_FD_CLOEXEC);
            if (fd < 0) {
                lastErrno = LinuxLibC.errno();
                fds[i] = -1;
                continue;
            }
            Pointer map = LinuxLibC.mmap(null, mapSize, LinuxLibC.PROT_READ | LinuxLibC.PROT_WRITE,
                    LinuxLibC.MAP_SHARED, (int) fd, 0);
            if (map == null || Pointer.nativeValue(map) == -1L) {
                lastErrno = LinuxLibC.errno();
                LinuxLibC.close((int) fd);
                fds[i] = -1;
                continue;
            }
            fds[i] = (int) fd;
            maps[i] = map;
            opened++;
        }
        if (opened == 0) {
            throw new OpenException("perf_event_open of a system-wide event failed: " + Errno.describe(lastErrno), lastErrno);
        }
        return new PerfSideband(fds, maps, (long) dataPages * PAGE);
    }

    /** The CPUs in {@code /sys/devices/system/cpu/online} ({@code 0-3,6}); those the JVM sees when unreadable. */
    static List<Integer> onlineCpus() {
        List<Integer> out = new ArrayList<>();
        try {
            String text = new String(Files.readAllBytes(Path.of("/sys/devices/system/cpu/online")),
                    StandardCharsets.US_ASCII).trim();
            for (String part : text.split(",")) {
                int dash = part.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
                for (int c = from; c <= to; c++) {
                    out.add(c);
                }
            }
        } catch (IOException | NumberFormatException e) {
            out.clear();
            for (int c = 0; c < Runtime.getRuntime().availableProcessors(); c++) {
                out.add(c);
            }
        }
        return out;
    }

    /** CPUs watched. */
    public int cpus() {
        int n = 0;
        for (int fd : fds) {
            n += fd >= 0 ? 1 : 0;
        }
        return n;
    }

    /** Records the kernel dropped because a buffer was full ({@code PERF_RECORD_LOST} counts), so far. */
    public long lost() {
        return lost;
    }

    /**
     * Hands every record written since the last drain to {@code handler}, CPU by CPU (within a CPU in the order
     * written; across CPUs compare the records' times), and frees their space.
     *
     * @return how many records were handed over
     */
    public int drain(RecordHandler handler) {
        if (closed) {
            return 0;
        }
        int count = 0;
        for (Pointer map : maps) {
            if (map == null) {
                continue;
            }
            long head = map.getLong(DATA_HEAD);
            VarHandle.acquireFence(); // the records up to head are written before head is published
            long tail = map.getLong(DATA_TAIL);
            while (tail < head) {
                long offset = tail % dataSize;
                copy(map, offset, 8); // records are 8-byte aligned: a header never wraps
                int headerType = view.getInt(0);
                int misc = view.getShort(4) & 0xFFFF;
                int size = view.getShort(6) & 0xFFFF;
                if (size < 8) {
                    tail = head; // cannot happen; never loop on a broken buffer
                    break;
                }
                copy(map, offset, size);
                if (headerType == RECORD_LOST && size >= 24) {
                    lost += view.getLong(16);
                }
                handler.record(headerType, misc, view, size);
                tail += size;
                count++;
            }
            VarHandle.releaseFence(); // done reading before the kernel may overwrite
            map.setLong(DATA_TAIL, tail);
        }
        return count;
    }

    /** Copies {@code length} bytes of the ring from data offset {@code offset} (wrapping) into the scratch array. */
    private void copy(Pointer map, long offset, int length) {
        long first = Math.min(length, dataSize - offset);
        map.read(PAGE + offset, scratch, 0, (int) first);
        if (first < length) {
            map.read(PAGE, scratch, (int) first, (int) (length - first));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < fds.length; i++) {
            if (maps[i] != null) {
                LinuxLibC.munmap(maps[i], dataSize + PAGE);
            }
            if (fds[i] >= 0) {
                LinuxLibC.close(fds[i]);
            }
        }
    }
}
