package io.environguard.linux.process;

import io.environguard.api.Ancestor;
import io.environguard.api.ProcessInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every process on the host, one {@link ProcessRecord} per generation (pid + start time), kept current by a
 * feed (the kernel's proc connector through {@link ProcConnectorFeed}, or a poller): who each process is,
 * captured when it appears, so that a reader that exits at once can still be named. An exited process stays
 * as a tombstone for late events and lineage, bounded by {@link ProcessTableSettings#tombstoneTtl()} and
 * {@link ProcessTableSettings#maxTombstones()}; what goes early is counted ({@link #evicted()}).
 *
 * <p>Lookups are map reads and never do I/O; they are safe from any thread while a feed writes. Writes
 * (the feed's methods {@link #insert}, {@link #update}, {@link #markExited}, {@link #expire}) are atomic per
 * pid. At most one generation of a pid is live: inserting a newer one makes the older a tombstone.
 *
 * <pre>{@code
 * ProcessTable table = new ProcessTable(ProcessTableSettings.defaults());
 * ProcConnectorFeed feed = ProcConnectorFeed.start(table, ...);   // scan, then the kernel keeps it current
 * ProcessRecord reader = table.live(4242);
 * ProcessInfo info = table.toProcessInfo(reader, ProcessInfo.UNKNOWN);   // with its ancestors
 * }</pre>
 */
public final class ProcessTable implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessTable.class);
    private static final int INTERN_MAX = 16384;
    private static final int NAMESPACES_MAX = 65536;
    private static final int NOTICES_MAX = 4096;

    private final long ttlNanos;
    private final int maxTombstones;
    private final LongSupplier nanoTime;
    /** Per pid: a {@link ProcessRecord}, or a {@code ProcessRecord[]} of generations, newest first. */
    private final ConcurrentHashMap<Integer, Object> byPid = new ConcurrentHashMap<>(1024);
    /**
     * Tombstones by exit time, oldest first, for expiry and the count bound (not in the order they were made:
     * an exit may be learnt late, and an inferred one is stamped when it is inferred).
     */
    private final PriorityQueue<Tomb> tombs = new PriorityQueue<>(Comparator.comparingLong(Tomb::exitNanos));
    private final AtomicLong live = new AtomicLong();
    private final AtomicLong tombstones = new AtomicLong();
    private final AtomicLong evicted = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong inferredExits = new AtomicLong();
    private final ConcurrentHashMap<String, String> interned = new ConcurrentHashMap<>();
    private final Set<Long> mountNamespaces = ConcurrentHashMap.newKeySet();
    private final AtomicLong noticesDropped = new AtomicLong();
    private volatile MountNamespaceListener namespaceListener;
    private volatile BlockingQueue<long[]> notices;
    private Thread notifier;
    private volatile boolean closed;

    /** Told, off the feed's thread, of each mount namespace the table meets for the first time. */
    @FunctionalInterface
    public interface MountNamespaceListener {
        /**
         * Process {@code pid} is in mount namespace {@code mountNamespace} (the inode of {@code /proc/P/ns/mnt}),
         * which no record had shown before. Called on the table's notifier thread, one call at a time.
         *
         * @param pid            a live process in that namespace
         * @param mountNamespace the namespace's inode
         */
        void onNewMountNamespace(int pid, long mountNamespace);
    }

    /**
     * An empty table whose tombstones age by {@code System.nanoTime}.
     *
     * @param settings the tombstone bounds
     */
    public ProcessTable(ProcessTableSettings settings) {
        this(settings, System::nanoTime);
    }

    /**
     * As above, with the clock that tombstones age by.
     *
     * @param settings the tombstone bounds
     * @param nanoTime the clock, {@code System.nanoTime} scale (tests pass their own)
     */
    public ProcessTable(ProcessTableSettings settings, LongSupplier nanoTime) {
        this.ttlNanos = settings.tombstoneTtl().toNanos();
        this.maxTombstones = settings.maxTombstones();
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    // ================================================================ lookups (any thread, no I/O)

    /**
     * @param pid a process id
     * @return the newest generation of {@code pid}, live or exited, or {@code null}
     */
    public ProcessRecord newest(int pid) {
        Object v = byPid.get(pid);
        return v == null ? null : v instanceof ProcessRecord r ? r : ((ProcessRecord[]) v)[0];
    }

    /**
     * @param pid a process id
     * @return the running process {@code pid}, or {@code null} when the table holds none
     */
    public ProcessRecord live(int pid) {
        ProcessRecord r = newest(pid);
        return r != null && r.isLive() ? r : null;
    }

    /**
     * @param pid       a process id
     * @param startTime a start time in clock ticks since boot
     * @return the generation of {@code pid} that started at {@code startTime} (one tick either way for a derived
     *         start), or {@code null}
     */
    public ProcessRecord find(int pid, long startTime) {
        Object v = byPid.get(pid);
        if (v == null) {
            return null;
        }
        for (ProcessRecord r : generations(v)) {
            if (sameGeneration(r, startTime)) {
                return r;
            }
        }
        return null;
    }

    /**
     * @param pid a process id
     * @return every generation of {@code pid} the table holds, newest first; empty if none
     */
    public List<ProcessRecord> generations(int pid) {
        Object v = byPid.get(pid);
        return v == null ? List.of() : List.of(generations(v));
    }

    /**
     * The generation of {@code pid} that an access by that pid at tick {@code atTick} came from, given what a
     * pidfd of the accessing process said.
     *
     * @param pid    the accessing process
     * @param alive  {@code 1} the process still runs, {@code 0} it has exited, {@code -1} unknown
     * @param atTick when the access happened, in clock ticks since boot; {@code -1} if unknown
     * @return the generation, or {@code null} when the table cannot tell (it holds no such generation, or holds
     *         only an exited one of a process said to be alive: its news is behind)
     */
    public ProcessRecord forAccess(int pid, int alive, long atTick) {
        Object v = byPid.get(pid);
        if (v == null) {
            return null;
        }
        ProcessRecord[] gens = generations(v);
        ProcessRecord newest = gens[0];
        if (alive == 1) {
            return newest.isLive() ? newest : null;
        }
        if (alive == 0) {
            for (ProcessRecord r : gens) {
                // The newest that had started by then; a live one newer than the access is a later process.
                if (atTick < 0 || r.startTime() <= atTick + (r.startDerived() ? 1 : 0)) {
                    return r;
                }
            }
            return null;
        }
        return newest;
    }

    /**
     * @param pid a process id
     * @return the executable of the running process {@code pid}, or {@code null}
     */
    public String exeOf(int pid) {
        ProcessRecord r = live(pid);
        return r == null ? null : r.exe();
    }

    /**
     * @param r a record of this table; may be {@code null}
     * @return the parent generation of {@code r}, or {@code null} when the table does not hold it
     */
    public ProcessRecord parentOf(ProcessRecord r) {
        if (r == null || r.ppid() <= 0) {
            return null;
        }
        if (r.parentStart() >= 0) {
            return find(r.ppid(), r.parentStart());
        }
        // Parent's start unknown: the generation of ppid that had started by the child's start.
        return forAccess(r.ppid(), 0, r.startTime());
    }

    /**
     * The ancestry of {@code r}, parent first, at most {@link ProcessInfo#MAX_ANCESTORS}: each ancestor is the
     * exact generation that started its child (pid and start time), never a later process that reused its pid.
     * It ends at the host's pid 1, at the first process of a pid namespace (a container's init; included), or at
     * the first ancestor the table no longer holds (included by pid and start time only).
     *
     * @param r a record of this table; may be {@code null}
     * @return the ancestors, parent first; empty for {@code null} or a process without a known parent
     */
    public List<Ancestor> ancestors(ProcessRecord r) {
        if (r == null) {
            return List.of();
        }
        List<Ancestor> out = new ArrayList<>(4);
        ProcessRecord child = r;
        while (out.size() < ProcessInfo.MAX_ANCESTORS && child.ppid() > 0) {
            ProcessRecord parent = parentOf(child);
            if (parent == null || (parent.startTime() >= 0 && child.startTime() >= 0
                    && parent.startTime() > child.startTime() + (parent.startDerived() ? 1 : 0))) {
                out.add(new Ancestor(child.ppid(), child.parentStart(), null, null));
                break;
            }
            out.add(new Ancestor(parent.pid(), parent.startTime(), parent.comm(), parent.exe()));
            if (parent.pid() == 1 || namespaceInit(parent)) {
                break;
            }
            child = parent;
        }
        return out;
    }

    /** Whether {@code r} is the first process of its pid namespace: its parent is in another one. */
    private boolean namespaceInit(ProcessRecord r) {
        if (r.pidNamespace() < 0) {
            return false;
        }
        ProcessRecord parent = parentOf(r);
        return parent != null && parent.pidNamespace() >= 0 && parent.pidNamespace() != r.pidNamespace();
    }

    /**
     * {@code r} as an API {@link ProcessInfo} with its {@linkplain #ancestors ancestors}; {@code complete} is false
     * when its image or command line is not known.
     *
     * @param r   a record of this table
     * @param tid the thread that acted, or {@link ProcessInfo#UNKNOWN}
     * @return the process as alerts show it
     */
    public ProcessInfo toProcessInfo(ProcessRecord r, int tid) {
        boolean commandLineKnown = r.kernelThread() || r.commandLineState() == ProcessRecord.CommandLineState.READ
                || r.commandLineState() == ProcessRecord.CommandLineState.INHERITED;
        boolean complete = r.imageKnown() && (r.exe() != null || r.kernelThread()) && r.comm() != null
                && r.uid() >= 0 && commandLineKnown;
        return ProcessInfo.builder(r.pid()).tid(tid).ppid(r.ppid()).uid(r.uid()).gid(r.gid()).comm(r.comm())
                .exe(r.exe()).cmdline(r.commandLine()).containerId(r.containerId()).startTime(r.startTime())
                .complete(complete).ancestors(ancestors(r)).build();
    }

    /** @return running processes held */
    public long liveCount() {
        return live.get();
    }

    /** @return exited processes held */
    public long tombstoneCount() {
        return tombstones.get();
    }

    /** @return tombstones removed before their time because there were more than the bound allows */
    public long evicted() {
        return evicted.get();
    }

    /** @return tombstones removed because their time was up */
    public long expired() {
        return expired.get();
    }

    /**
     * Processes taken for exited without an exit message: a newer process showed up with their pid, or a
     * resynchronisation found them gone.
     *
     * @return processes taken for exited without an exit message
     */
    public long inferredExits() {
        return inferredExits.get();
    }

    /** @return how long tombstones are kept, in nanoseconds */
    public long tombstoneTtlNanos() {
        return ttlNanos;
    }

    /** @return the most tombstones kept */
    public int maxTombstones() {
        return maxTombstones;
    }

    /** @return every running process's pid (a snapshot; for reconciliation) */
    public List<Integer> livePids() {
        List<Integer> out = new ArrayList<>(byPid.size());
        byPid.forEach((pid, v) -> {
            if (generations(v)[0].isLive()) {
                out.add(pid);
            }
        });
        return out;
    }

    /**
     * Hands every record held, live and exited, to {@code action} (a weakly consistent snapshot).
     *
     * @param action called once per record, on the caller's thread
     */
    public void forEach(java.util.function.Consumer<ProcessRecord> action) {
        byPid.values().forEach(v -> {
            for (ProcessRecord r : generations(v)) {
                action.accept(r);
            }
        });
    }

    /**
     * Shares one copy of equal strings (executables, names, container ids) between records.
     *
     * @param s a string to keep; may be {@code null}
     * @return the copy already held when there is one, else {@code s}
     */
    public String intern(String s) {
        if (s == null) {
            return null;
        }
        String known = interned.putIfAbsent(s, s);
        if (known != null) {
            return known;
        }
        if (interned.size() > INTERN_MAX) {
            interned.clear(); // a bound, not a cache policy: records keep their strings either way
        }
        return s;
    }

    // ================================================================ writes (the feed)

    /**
     * Adds a generation. A record of the same generation (same pid, start time within a tick where derived) is
     * replaced; an older live generation of the pid is made a tombstone (it must have exited: the pid was
     * reused). A live record older than a generation already held is stored as a tombstone.
     *
     * @param record the generation to add
     * @return the record as stored
     */
    public ProcessRecord insert(ProcessRecord record) {
        Objects.requireNonNull(record, "record");
        long now = nanoTime.getAsLong();
        List<Tomb> newTombs = new ArrayList<>(1);
        ProcessRecord[] stored = new ProcessRecord[1];
        byPid.compute(record.pid(), (pid, v) -> {
            ProcessRecord[] gens = v == null ? new ProcessRecord[0] : generations(v);
            List<ProcessRecord> out = new ArrayList<>(gens.length + 1);
            boolean placed = false;
            for (ProcessRecord g : gens) {
                if (!placed && (sameGeneration(g, record.startTime()) || sameGeneration(record, g.startTime()))) {
                    ProcessRecord r = record;
                    if (!g.isLive() && r.isLive() && out.isEmpty()) {
                        tombstones.decrementAndGet(); // revived: the process runs after all
                        live.incrementAndGet();
                    } else if (g.isLive() && !r.isLive()) {
                        live.decrementAndGet();
                        tombstones.incrementAndGet();
                        newTombs.add(new Tomb(pid, r.startTime(), r.exitNanos()));
                    } else if (!g.isLive()) {
                        // a newer generation exists, or both are tombstones: keep the exit the expiry queue knows
                        r = r.toBuilder().exitNanos(g.exitNanos()).build();
                    }
                    out.add(r);
                    stored[0] = r;
                    placed = true;
                } else if (!placed && record.startTime() > g.startTime()) {
                    out.add(record);
                    stored[0] = record;
                    if (record.isLive()) {
                        live.incrementAndGet();
                    } else {
                        tombstones.incrementAndGet();
                        newTombs.add(new Tomb(pid, record.startTime(), record.exitNanos()));
                    }
                    placed = true;
                    out.add(g);
                } else {
                    out.add(g);
                }
            }
            if (!placed) {
                ProcessRecord r = record;
                if (!out.isEmpty() && r.isLive()) {
                    r = r.toBuilder().exitNanos(now).build(); // older than a generation already held
                    inferredExits.incrementAndGet();
                }
                out.add(r);
                stored[0] = r;
                if (r.isLive()) {
                    live.incrementAndGet();
                } else {
                    tombstones.incrementAndGet();
                    newTombs.add(new Tomb(pid, r.startTime(), r.exitNanos()));
                }
            }
            // At most one live generation, the newest: any live one behind another has exited.
            for (int i = 1; i < out.size(); i++) {
                ProcessRecord g = out.get(i);
                if (g.isLive()) {
                    ProcessRecord t = g.toBuilder().exitNanos(now).build();
                    out.set(i, t);
                    live.decrementAndGet();
                    tombstones.incrementAndGet();
                    inferredExits.incrementAndGet();
                    newTombs.add(new Tomb(pid, t.startTime(), t.exitNanos()));
                }
            }
            return pack(out);
        });
        afterWrite(stored[0], newTombs);
        return stored[0];
    }

    /**
     * Replaces the generation of {@code pid} that started at {@code startTime} with {@code change} applied to
     * it ({@code change} may return {@code null} to leave it). Liveness is not changed here: see
     * {@link #markExited}.
     *
     * @param pid       a process id
     * @param startTime the generation's start time in clock ticks since boot
     * @param change    makes the new record from the old; may change neither pid nor liveness
     * @return the new record, or {@code null} when there is no such generation or nothing changed
     */
    public ProcessRecord update(int pid, long startTime, UnaryOperator<ProcessRecord> change) {
        ProcessRecord[] stored = new ProcessRecord[1];
        byPid.computeIfPresent(pid, (p, v) -> {
            ProcessRecord[] gens = generations(v);
            for (int i = 0; i < gens.length; i++) {
                if (sameGeneration(gens[i], startTime)) {
                    ProcessRecord next = change.apply(gens[i]);
                    if (next == null || next == gens[i]) {
                        return v;
                    }
                    if (next.pid() != pid || next.isLive() != gens[i].isLive()) {
                        throw new IllegalArgumentException("an update may change neither pid nor liveness");
                    }
                    ProcessRecord[] copy = gens.clone();
                    copy[i] = next;
                    stored[0] = next;
                    return copy.length == 1 ? copy[0] : copy;
                }
            }
            return v;
        });
        if (stored[0] != null) {
            noticeNamespace(stored[0]);
        }
        return stored[0];
    }

    /**
     * The newest running generation of {@code pid} that had started by tick {@code atTick} ({@code -1}: any)
     * has exited at {@code exitNanos}.
     *
     * @param pid       a process id
     * @param atTick    when the exit happened, in clock ticks since boot, or {@code -1}
     * @param exitNanos when it exited ({@code System.nanoTime} scale)
     * @return the tombstone, or {@code null} when no such generation runs (an exit message of a process the
     *         table never held, or one already taken for exited)
     */
    public ProcessRecord markExited(int pid, long atTick, long exitNanos) {
        ProcessRecord[] stored = new ProcessRecord[1];
        byPid.computeIfPresent(pid, (p, v) -> {
            ProcessRecord[] gens = generations(v);
            ProcessRecord g = gens[0];
            // A process starts before it exits: a newer generation than the exit's tick is not the one that ended.
            if (!g.isLive() || (atTick >= 0 && g.startTime() > atTick)) {
                return v;
            }
            ProcessRecord[] copy = gens.clone();
            copy[0] = g.toBuilder().exitNanos(exitNanos == 0 ? 1 : exitNanos).build();
            stored[0] = copy[0];
            live.decrementAndGet();
            tombstones.incrementAndGet();
            return copy.length == 1 ? copy[0] : copy;
        });
        if (stored[0] != null) {
            afterWrite(stored[0], List.of(new Tomb(pid, stored[0].startTime(), stored[0].exitNanos())));
        }
        return stored[0];
    }

    /**
     * {@link #markExited} for a process found gone without an exit message (counted as inferred).
     *
     * @param pid       a process id
     * @param startTime the generation's start time in clock ticks since boot, or {@code -1} for the live one
     * @return the tombstone, or {@code null} when no such generation runs
     */
    public ProcessRecord markGone(int pid, long startTime) {
        ProcessRecord g = live(pid);
        if (g == null || (startTime >= 0 && !sameGeneration(g, startTime))) {
            return null;
        }
        ProcessRecord t = markExited(pid, -1, nanoTime.getAsLong());
        if (t != null) {
            inferredExits.incrementAndGet();
        }
        return t;
    }

    /** Removes tombstones whose time is up, and the oldest beyond the count bound. */
    public void expire() {
        long now = nanoTime.getAsLong();
        while (true) {
            Tomb t;
            boolean overCount;
            synchronized (tombs) {
                t = tombs.peek();
                if (t == null) {
                    return;
                }
                overCount = tombstones.get() > maxTombstones;
                if (!overCount && now - t.exitNanos < ttlNanos) {
                    return;
                }
                tombs.poll();
            }
            if (remove(t)) {
                (overCount && now - t.exitNanos < ttlNanos ? evicted : expired).incrementAndGet();
            }
        }
    }

    /** Removes the tombstone {@code t} names, if it is still one; whether it was. */
    private boolean remove(Tomb t) {
        boolean[] removed = new boolean[1];
        byPid.computeIfPresent(t.pid, (p, v) -> {
            ProcessRecord[] gens = generations(v);
            for (int i = 0; i < gens.length; i++) {
                ProcessRecord g = gens[i];
                if (!g.isLive() && g.exitNanos() == t.exitNanos && sameGeneration(g, t.start)) {
                    removed[0] = true;
                    tombstones.decrementAndGet();
                    if (gens.length == 1) {
                        return null;
                    }
                    ProcessRecord[] rest = new ProcessRecord[gens.length - 1];
                    System.arraycopy(gens, 0, rest, 0, i);
                    System.arraycopy(gens, i + 1, rest, i, gens.length - i - 1);
                    return rest.length == 1 ? rest[0] : rest;
                }
            }
            return v;
        });
        return removed[0];
    }

    private void afterWrite(ProcessRecord stored, List<Tomb> newTombs) {
        if (!newTombs.isEmpty()) {
            synchronized (tombs) {
                tombs.addAll(newTombs);
            }
            if (tombstones.get() > maxTombstones) {
                expire();
            }
        }
        if (stored != null) {
            noticeNamespace(stored);
        }
    }

    // ================================================================ mount namespaces met

    /**
     * Sets the listener told of each mount namespace met for the first time from now on (each is told once;
     * namespaces met before are told at once). Starts the notifier thread on first use.
     *
     * @param listener told of each new mount namespace, on the notifier thread
     */
    public synchronized void onNewMountNamespace(MountNamespaceListener listener) {
        if (closed) {
            return;
        }
        namespaceListener = Objects.requireNonNull(listener, "listener");
        if (notifier == null) {
            notices = new ArrayBlockingQueue<>(NOTICES_MAX);
            notifier = new Thread(this::deliverNotices, "process-table-namespaces (environguard)");
            notifier.setDaemon(true);
            notifier.start();
            java.util.Set<Long> told = new java.util.HashSet<>();
            for (Object v : byPid.values()) {
                ProcessRecord r = generations(v)[0];
                if (r.isLive() && r.mountNamespace() >= 0 && told.add(r.mountNamespace())) {
                    mountNamespaces.add(r.mountNamespace());
                    offerNotice(r.pid(), r.mountNamespace());
                }
            }
        }
    }

    /** @return notices of new mount namespaces dropped because the notifier's queue was full */
    public long namespaceNoticesDropped() {
        return noticesDropped.get();
    }

    private void noticeNamespace(ProcessRecord r) {
        long ns = r.mountNamespace();
        if (ns < 0 || !r.isLive() || mountNamespaces.contains(ns)) {
            return;
        }
        if (mountNamespaces.size() >= NAMESPACES_MAX) {
            return; // a bound: beyond it, namespaces are no longer told (the listener's own rescan still finds them)
        }
        if (mountNamespaces.add(ns) && namespaceListener != null) {
            offerNotice(r.pid(), ns);
        }
    }

    private void offerNotice(int pid, long ns) {
        BlockingQueue<long[]> q = notices;
        if (q != null && !q.offer(new long[] {pid, ns})) {
            noticesDropped.incrementAndGet();
        }
    }

    private void deliverNotices() {
        try {
            while (!closed) {
                long[] n = notices.take();
                if (n.length == 0) {
                    return;
                }
                try {
                    namespaceListener.onNewMountNamespace((int) n[0], n[1]);
                } catch (RuntimeException e) {
                    LOG.warn("the new-mount-namespace listener failed for namespace {}", n[1], e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the notifier thread, if one runs. The records stay readable. */
    /** Adds the table's sizes and counters to a feed's {@code metrics()}. */
    void putMetrics(java.util.Map<String, Long> m) {
        m.put("process_table_live", liveCount());
        m.put("process_table_tombstones", tombstoneCount());
        m.put("process_table_evicted", evicted());
        m.put("process_table_expired", expired());
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = notifier;
        }
        if (t != null) {
            notices.offer(new long[0]);
            t.interrupt();
        }
    }

    // ================================================================ internals

    private static boolean sameGeneration(ProcessRecord r, long startTime) {
        return r.startedAt(startTime);
    }

    private static ProcessRecord[] generations(Object v) {
        return v instanceof ProcessRecord r ? new ProcessRecord[] {r} : (ProcessRecord[]) v;
    }

    private static Object pack(List<ProcessRecord> gens) {
        if (gens.isEmpty()) {
            return null;
        }
        if (gens.size() == 1) {
            return gens.get(0);
        }
        ProcessRecord[] arr = gens.toArray(new ProcessRecord[0]);
        Arrays.sort(arr, (a, b) -> Long.compare(b.startTime(), a.startTime()));
        return arr;
    }

    /** A tombstone as the expiry queue names it. */
    private record Tomb(int pid, long start, long exitNanos) {
    }
}
