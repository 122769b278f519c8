package io.environguard.linux.process;

import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.PerfSideband;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The images processes exec'd, read from perf side-band records ({@link PerfSideband}): at each exec the kernel
 * writes the new name ({@code PERF_RECORD_COMM} marked exec) and then maps the binary ({@code PERF_RECORD_MMAP2}
 * with its path, device and inode), in the exec'ing process's own context, before the exec returns and before
 * the proc connector's exec message is sent. So when the table applies an exec message, the image is already in
 * the ring buffers, however fast the process exits afterwards: the table never has to win a race with it to
 * read {@code /proc/P/exe}.
 *
 * <p>Images wait here (by pid) until the exec message takes them; those never taken (an exec message lost) go
 * after {@value #KEEP_SECONDS} s. Confined to the feed's lock.
 *
 * <pre>{@code
 * ExecLog log = ExecLog.open(32);     // null-safe callers check open() errors
 * log.drain();
 * ExecImages.Image image = log.take(pid, execTimestamp);
 * }</pre>
 */
final class ExecLog implements ExecImages, AutoCloseable {

    static final int KEEP_SECONDS = 10;
    private static final int PRUNE_AT = 4096;
    private static final int PROT_EXEC = 4;

    private final PerfSideband perf;
    private final Map<Integer, Image> pending = new HashMap<>();
    private final Map<String, String> paths = new HashMap<>();
    private final PerfSideband.RecordHandler handler = this::record;
    private final java.util.List<Seen> batch = new java.util.ArrayList<>();
    /**
     * Executable mappings read before the name record of their exec (a process that moved to another CPU during its
     * exec, whose buffer was read first), by pid, oldest first, a few each: the binary's is among them, and the
     * name record, when it comes, takes the first one made after it. Up to 16 each: a dynamically linked program
     * maps its libraries right after its binary (ps: about ten), and with 4 the binary's mapping was pushed out by
     * them before the name record was read, so a library was taken for the executable.
     */
    private final Map<Integer, java.util.ArrayDeque<Seen>> early = new HashMap<>();
    private static final int EARLY_PER_PID = 16;
    private long images;
    private long withoutExe;

    private ExecLog(PerfSideband perf) {
        this.perf = perf;
    }

    /** Opens the perf events (one per CPU, {@code pages} data pages each). */
    static ExecLog open(int pages) throws PerfSideband.OpenException {
        return new ExecLog(PerfSideband.open(pages));
    }

    @Override
    public void refresh() {
        drain();
    }

    /**
     * Reads what the kernel wrote since the last call. The buffers are per CPU and a process may move between
     * CPUs during its exec, so the records of one drain are put in time order before they are applied.
     */
    void drain() {
        batch.clear();
        perf.drain(handler);
        if (batch.size() > 1) {
            batch.sort((a, b) -> Long.compare(a.timeNanos, b.timeNanos));
        }
        for (Seen seen : batch) {
            apply(seen);
        }
        batch.clear();
        if (early.size() > PRUNE_AT) {
            early.clear(); // a bound: these are a fallback for the rare exec that moved between CPUs
        }
        if (pending.size() > PRUNE_AT) {
            long horizon = System.nanoTime() - KEEP_SECONDS * 1_000_000_000L;
            for (Iterator<Image> it = pending.values().iterator(); it.hasNext(); ) {
                if (it.next().timeNanos() < horizon) {
                    it.remove();
                }
            }
        }
    }

    @Override
    public Image take(int pid, long notAfterNanos) {
        Image image = pending.get(pid);
        if (image != null && image.exe() == null) {
            // The binary's mapping is written after the name, maybe on another CPU whose buffer was read first:
            // it is in a buffer by now (the exec message that asks was sent after it), unless the kernel lost it.
            drain();
            image = pending.get(pid);
        }
        if (image == null || image.timeNanos() > notAfterNanos) {
            return null;
        }
        pending.remove(pid);
        if (image.exe() == null) {
            withoutExe++;
        }
        return image;
    }

    /** Images recorded so far. */
    long images() {
        return images;
    }

    /** Images taken without an executable (its mapping record was lost). */
    long withoutExe() {
        return withoutExe;
    }

    /** Records the kernel dropped because a ring buffer was full. */
    long lost() {
        return perf.lost();
    }

    /** CPUs watched. */
    int cpus() {
        return perf.cpus();
    }

    private void record(int type, int misc, ByteBuffer r, int length) {
        if (type == PerfSideband.RECORD_COMM && (misc & PerfSideband.MISC_COMM_EXEC) != 0 && length >= 24) {
            int pid = r.getInt(8);
            if (pid != r.getInt(12)) {
                return;
            }
            batch.add(new Seen(pid, r.getLong(length - 8), cString(r, 16, length - PerfSideband.SAMPLE_ID_BYTES),
                    null, -1, -1));
        } else if (type == PerfSideband.RECORD_MMAP2 && length >= 72 + PerfSideband.SAMPLE_ID_BYTES) {
            int pid = r.getInt(8);
            if ((r.getInt(64) & PROT_EXEC) == 0) {
                return;
            }
            Image image = pending.get(pid);
            if (image != null && image.exe() != null) {
                return; // a library mapped after the binary (the common case: skip the string)
            }
            if (r.get(72) != '/') {
                return; // [vdso], //anon (JIT code): not a file
            }
            // Kept even when no exec of this pid is known yet: the name record may be in another CPU's buffer, read
            // later (see early: a mapping of a process that did not just exec, a dlopen, is never taken).
            String file = cString(r, 72, length - PerfSideband.SAMPLE_ID_BYTES);
            if (file.isEmpty() || file.charAt(0) != '/') {
                return; // [vdso], //anon: not a file
            }
            batch.add(new Seen(pid, r.getLong(length - 8), null, file,
                    FdInspector.device(r.getInt(40), r.getInt(44)), r.getLong(48)));
        }
    }

    private void apply(Seen seen) {
        if (seen.comm != null) {
            pending.put(seen.pid, new Image(seen.pid, seen.comm, null, -1, -1, seen.timeNanos));
            images++;
            java.util.ArrayDeque<Seen> before = early.remove(seen.pid);
            if (before != null) {
                for (Seen m : before) {
                    if (m.timeNanos >= seen.timeNanos) {
                        apply(m); // the binary's mapping, read before this name record
                        break;
                    }
                }
            }
            return;
        }
        Image image = pending.get(seen.pid);
        if (image == null) {
            // No exec known (yet): a dlopen, or the binary of an exec whose name record is still to be read.
            java.util.ArrayDeque<Seen> q = early.computeIfAbsent(seen.pid, k -> new java.util.ArrayDeque<>(2));
            if (q.size() == EARLY_PER_PID) {
                q.removeFirst();
            }
            q.addLast(seen);
            return;
        }
        if (image.exe() != null || seen.timeNanos < image.timeNanos()) {
            return;
        }
        String path = paths.computeIfAbsent(seen.exe, f -> f);
        if (paths.size() > PRUNE_AT) {
            paths.clear();
        }
        pending.put(seen.pid, new Image(seen.pid, image.comm(), path, seen.device, seen.inode, image.timeNanos()));
    }

    /** One record of interest, held until the drain's records are in time order. */
    private record Seen(int pid, long timeNanos, String comm, String exe, long device, long inode) {
    }

    /** The NUL-terminated string at {@code from}, at most up to {@code end}. */
    private static String cString(ByteBuffer r, int from, int end) {
        int n = from;
        while (n < end && r.get(n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n - from];
        r.get(from, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        perf.close();
    }
}
