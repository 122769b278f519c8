package io.environguard.linux.process;

import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.PerfSideband;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
 * <p>The buffers are per CPU and read one after the other while the kernel writes on, so a drain may hold a
 * mapping without the name record written before it (on a CPU read earlier), or a library without the binary
 * mapped before it. Hence the rules, checked against every such interleaving by {@code ExecLogPropertyTest}: an
 * image's executable is the <em>earliest</em> executable mapping after its name, whichever drain brings it; a
 * mapping no image claims waits, a few per pid, for a later name record of its pid; a name record older than the
 * image held is ignored (the newest exec of a pid wins); and an image is taken with an executable only if that
 * mapping was made before the exec message was sent (a binary's always is; a library's never).
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

    private final Records perf;
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final Map<String, String> paths = new HashMap<>();
    private final PerfSideband.RecordHandler handler = this::record;
    private final List<Seen> batch = new ArrayList<>();
    /**
     * Executable mappings no image claimed (yet), by pid, in the order read, a few each: libraries and dlopens, and
     * the binary of an exec whose name record is still to be read (a process that moved to another CPU during its
     * exec, whose buffer was read first); that name record, when it comes, claims the earliest made after it. Up to
     * 16 each: a dynamically linked program maps its libraries right after its binary (ps: about ten), and with 4
     * the binary's mapping was pushed out by them before the name record was read.
     */
    private final Map<Integer, ArrayDeque<Seen>> unclaimed = new HashMap<>();
    private static final int UNCLAIMED_PER_PID = 16;
    private long images;
    private long withoutExe;

    /** Where the records come from: the perf buffers ({@link #open}), or a test's script of them. */
    interface Records extends AutoCloseable {
        /** Hands every record written since the last call to {@code handler}, buffer by buffer. */
        void drain(PerfSideband.RecordHandler handler);

        /** Records the kernel dropped because a buffer was full. */
        long lost();

        /** Buffers (CPUs) read. */
        int cpus();

        @Override
        void close();
    }

    ExecLog(Records perf) {
        this.perf = perf;
    }

    /** Opens the perf events (one per CPU, {@code pages} data pages each). */
    static ExecLog open(int pages) throws PerfSideband.OpenException {
        PerfSideband perf = PerfSideband.open(pages);
        return new ExecLog(new Records() {
            @Override
            public void drain(PerfSideband.RecordHandler handler) {
                perf.drain(handler);
            }

            @Override
            public long lost() {
                return perf.lost();
            }

            @Override
            public int cpus() {
                return perf.cpus();
            }

            @Override
            public void close() {
                perf.close();
            }
        });
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
        if (unclaimed.size() > PRUNE_AT) {
            pruneUnclaimed();
        }
        if (pending.size() > PRUNE_AT) {
            long horizon = System.nanoTime() - KEEP_SECONDS * 1_000_000_000L;
            pending.values().removeIf(p -> p.timeNanos() < horizon);
        }
    }

    /**
     * Bounds the unclaimed mappings: a binary's mapping waits there at most until the next drain (its name record was
     * written before it), so those of the last second are kept and the rest (libraries and dlopens of processes
     * that did not just exec) go; when a burst leaves more than the bound even so, all go.
     */
    private void pruneUnclaimed() {
        long horizon = System.nanoTime() - 1_000_000_000L;
        unclaimed.values().removeIf(q -> q.peekLast().timeNanos < horizon);
        if (unclaimed.size() > PRUNE_AT) {
            unclaimed.clear();
        }
    }

    @Override
    public Image take(int pid, long notAfterNanos) {
        Pending image = pending.get(pid);
        if (image != null && !image.mappedBy(notAfterNanos)) {
            // The binary's mapping is written after the name, maybe on another CPU whose buffer was read first (or
            // only a library's, mapped later, was read so far): it is in a buffer by now (the exec message that
            // asks was sent after it), unless the kernel lost it.
            drain();
            image = pending.get(pid);
        }
        if (image == null || image.timeNanos() > notAfterNanos) {
            return null;
        }
        pending.remove(pid);
        if (!image.mappedBy(notAfterNanos)) {
            withoutExe++;
            return new Image(pid, image.comm(), null, -1, -1, image.timeNanos());
        }
        return new Image(pid, image.comm(), image.exe(), image.device(), image.inode(), image.timeNanos());
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
            // No shortcut on what pending holds now: this drain may still hold a newer exec's name record of the
            // same pid (a process that exec'd twice, as jspawnhelper does before the program it starts), whose
            // binary this mapping is. Deciding here, before the drain is in time order, once took it for a library
            // of the older image and left the newer one without its executable.
            if (r.get(72) != '/') {
                return; // [vdso], //anon (JIT code): not a file
            }
            // Kept even when no exec of this pid is known yet: the name record may be in another CPU's buffer, read
            // later (see unclaimed: a mapping of a process that did not just exec, a dlopen, is never taken).
            String file = cString(r, 72, length - PerfSideband.SAMPLE_ID_BYTES);
            batch.add(new Seen(pid, r.getLong(length - 8), null, file,
                    FdInspector.device(r.getInt(40), r.getInt(44)), r.getLong(48)));
        }
    }

    private void apply(Seen seen) {
        if (seen.comm != null) {
            Pending newer = pending.get(seen.pid);
            if (newer != null && newer.timeNanos() > seen.timeNanos) {
                // An older exec of the same pid read after a newer one (from a CPU whose buffer was read later):
                // the log keeps the newest image; the older exec's message finds none and the table reads /proc.
                return;
            }
            if (newer != null && newer.exe() != null && newer.exeTimeNanos() >= seen.timeNanos) {
                // The older image took a mapping made after this name (its own binary's record not read yet): this
                // exec's binary, or one of its libraries. Back to the unclaimed, where this name looks first.
                keepUnclaimed(newer.mapping(seen.pid));
            }
            pending.put(seen.pid, new Pending(seen.comm, seen.timeNanos, null, -1, -1, Long.MAX_VALUE));
            images++;
            ArrayDeque<Seen> waiting = unclaimed.get(seen.pid);
            if (waiting != null) {
                waiting.removeIf(m -> m.timeNanos < seen.timeNanos); // the old image's: never this exec's binary
                Seen first = null;
                for (Seen m : waiting) {
                    first = first == null || m.timeNanos < first.timeNanos ? m : first;
                }
                if (first != null) {
                    waiting.remove(first);
                    apply(first); // the binary's mapping, read before this name record
                }
                if (waiting.isEmpty()) {
                    unclaimed.remove(seen.pid);
                }
            }
            return;
        }
        Pending image = pending.get(seen.pid);
        if (image != null && seen.timeNanos < image.timeNanos()) {
            return; // mapped by the image before this exec (a dlopen), read late
        }
        if (image == null || seen.timeNanos >= image.exeTimeNanos()) {
            // Not this image's binary (yet): a library, a dlopen, or the binary of a later exec whose name record
            // is still to be read: kept a while, for that name record to claim.
            keepUnclaimed(seen);
            return;
        }
        // The binary is the first executable mapping after the name. Records of one drain are in time order, but a
        // later drain may still bring an earlier one (read from a CPU whose buffer was read before it was written,
        // while one mapped after it was already read from another): the earliest wins, and the one it replaces
        // may be the binary of a later exec of the same pid.
        if (image.exe() != null) {
            keepUnclaimed(image.mapping(seen.pid));
        }
        String path = paths.computeIfAbsent(seen.exe, f -> f);
        if (paths.size() > PRUNE_AT) {
            paths.clear();
        }
        pending.put(seen.pid, new Pending(image.comm(), image.timeNanos(), path, seen.device, seen.inode,
                seen.timeNanos));
    }

    private void keepUnclaimed(Seen mapping) {
        ArrayDeque<Seen> q = unclaimed.computeIfAbsent(mapping.pid, k -> new ArrayDeque<>(2));
        if (q.size() == UNCLAIMED_PER_PID) {
            q.removeFirst();
        }
        q.addLast(mapping);
    }

    /**
     * An image not taken yet: the name, and the earliest executable mapping read after it so far
     * ({@code exeTimeNanos} {@link Long#MAX_VALUE} while none).
     */
    private record Pending(String comm, long timeNanos, String exe, long device, long inode, long exeTimeNanos) {
        /** Whether the mapping held was made by {@code nanos}: a binary's is, before its exec message is sent. */
        boolean mappedBy(long nanos) {
            return exeTimeNanos <= nanos;
        }

        /** The mapping held, as it was read. */
        Seen mapping(int pid) {
            return new Seen(pid, exeTimeNanos, null, exe, device, inode);
        }
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
