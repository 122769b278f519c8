package io.environguard.linux.process;

import io.environguard.api.LossReport;
import io.environguard.linux.nativeio.DatagramBatch;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PerfSideband;
import io.environguard.linux.nativeio.PollSet;
import io.environguard.linux.nativeio.ProcConnectorSocket;
import io.environguard.linux.nativeio.Wakeup;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link ProcessTable} current from the kernel's process events connector: it subscribes first, then
 * reads {@code /proc} once (so that nothing falls between the scan and the first message), then applies every
 * fork, exec, exit, rename and uid/gid change as it arrives (about 0.1 ms after the fact), on a thread of its
 * own. A classic BPF filter in the kernel drops thread-level messages, so a host full of JVMs creating and
 * ending threads does not wake it. Needs {@code CAP_NET_ADMIN} (root).
 *
 * <p>When the socket's buffer overflows ({@code ENOBUFS}) messages are lost: the loss is counted and reported
 * ({@value #LOSS_CAUSE}) and the table is read again from {@code /proc} and reconciled (gone processes become
 * tombstones, new ones are added, a pid that holds another process retires the old one). Never a silent gap.
 *
 * <p>A source about to resolve an access calls {@link #catchUp} first: the kernel queued the messages of the
 * reader's fork and exec before the reader could open anything, so after catching up the table knows the
 * reader's current image. Catching up is bounded by a deadline and never waits on a process's memory.
 *
 * <pre>{@code
 * ProcessTable table = new ProcessTable(settings);
 * try (ProcConnectorFeed feed = ProcConnectorFeed.start(table, settings, probe, loss -> listener.onLoss(loss))) {
 *     feed.catchUp(TimeUnit.MILLISECONDS.toNanos(2));
 *     ProcessRecord reader = table.live(pid);
 * }
 * }</pre>
 */
public final class ProcConnectorFeed implements ProcessFeed {

    /** The cause of the loss reports of this feed. */
    public static final String LOSS_CAUSE = "process_events_lost";

    private static final Logger LOG = LoggerFactory.getLogger(ProcConnectorFeed.class);
    /** Messages received per system call at most. */
    static final int RECEIVE_BATCH = 32;
    /** Room per message: a proc connector message is under 100 bytes (a longer one is counted and skipped). */
    private static final int DATAGRAM_BYTES = 512;
    private static final long TICK_MILLIS = 1_000;
    private static final long CLOCK_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** After a wake-up that found messages, how long the feed's thread lets more gather before it looks again. */
    static final long BATCH_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** Two wake-ups with messages less than this apart make a burst. */
    static final long BURST_GAP_NANOS = 5 * BATCH_WINDOW_NANOS;

    private final ProcessTable table;
    private final ProcessTableSettings settings;
    private final ProcConnectorSocket socket;
    private final ProcEventApplier applier;
    private final CommandLineReader commandLines;
    private final ExecLog execLog;
    private final String execLogProblem;
    private volatile boolean filtered;
    private final BootClock clock;
    private final Consumer<LossReport> losses;
    private final Wakeup wakeup;
    /**
     * Held while one message is received and applied (never longer), fair: a source catching up takes its turn
     * between two of the feed thread's messages instead of waiting out a whole burst.
     */
    private final ReentrantLock lock = new ReentrantLock(true);
    /**
     * Messages received in one call and not applied yet (under the lock, in order): a fork+exec+exit is three
     * messages, and a burst's come in one {@code recvmmsg} instead of a {@code recv} each. A catching-up source
     * applies from here first, so it sees them in order with the feed's thread.
     */
    private final DatagramBatch received = new DatagramBatch(RECEIVE_BATCH, DATAGRAM_BYTES);
    private int receivedCount;
    private int receivedNext;
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong overflows = new AtomicLong();
    private final AtomicLong resyncs = new AtomicLong();
    private final AtomicLong catchUpTimeouts = new AtomicLong();
    private final AtomicLong lateCaptures = new AtomicLong();
    private volatile boolean resyncNeeded;
    private volatile Throwable failure;
    private volatile boolean closed;
    private Thread thread;
    private long lastClockRefresh;
    private long lastBatch = Long.MIN_VALUE / 2;

    private ProcConnectorFeed(ProcessTable table, ProcessTableSettings settings, ProcConnectorSocket socket,
                              ProcessProbe probe, BootClock clock, Consumer<LossReport> losses, Wakeup wakeup,
                              ExecLog execLog, String execLogProblem) {
        this.table = table;
        this.settings = settings;
        this.socket = socket;
        this.clock = clock;
        this.losses = losses;
        this.wakeup = wakeup;
        this.applier = new ProcEventApplier(table, probe, clock, settings.commandLineBytes());
        this.commandLines = new CommandLineReader(probe, Math.max(4096, 4 * settings.commandLineBytes()),
                settings.commandLineTimeout(), settings.commandLineThreads(), settings.maxStuckThreads(),
                applier.commandLineResults());
        applier.commandLines(commandLines);
        this.execLog = execLog;
        this.execLogProblem = execLogProblem;
        if (execLog != null) {
            applier.execImages(execLog);
        }
    }

    /**
     * Subscribes, scans {@code /proc} into {@code table}, and starts the feed's thread; returns once the table holds
     * the scan.
     *
     * @param table    the table to fill
     * @param settings the receive buffer, exec log and command-line settings
     * @param probe    how processes are read (its {@code /proc} must be this pid namespace's)
     * @param losses   told of lost events ({@value #LOSS_CAUSE}), from the feed's thread or a catching-up caller
     * @return the running feed
     * @throws IOException when the kernel refuses the subscription: the message names the capability
     */
    public static ProcConnectorFeed start(ProcessTable table, ProcessTableSettings settings, ProcessProbe probe,
                                          Consumer<LossReport> losses) throws IOException {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(losses, "losses");
        ProcConnectorSocket socket;
        try {
            socket = ProcConnectorSocket.open(settings.receiveBuffer());
        } catch (ProcConnectorSocket.OpenException e) {
            throw new IOException(describeRefusal(e), e);
        }
        ProcConnectorFeed feed = null;
        Wakeup wakeup = null;
        try {
            int filterErrno = ProcEventDecoder.filter().attach(socket.fd());
            boolean filterAttached = filterErrno == 0;
            if (filterErrno != 0) {
                LOG.warn("the kernel refused the process events filter ({}): every thread's fork and exit wakes the"
                        + " process table's feed", Errno.describe(filterErrno));
            }
            socket.subscribe();
            wakeup = Wakeup.create();
            ExecLog log = null;
            String problem = null;
            if (!settings.execLog()) {
                problem = "the exec log is off (" + ProcessTableSettings.EXEC_LOG + "=false)";
            } else if (!probe.usesPidfds()) {
                problem = "the exec log needs the host's /proc";
            } else {
                try {
                    log = ExecLog.open(settings.execLogPages());
                } catch (PerfSideband.OpenException e) {
                    problem = "the kernel refused the perf events of the exec log (" + e.getMessage()
                            + "; it needs CAP_PERFMON or CAP_SYS_ADMIN, and a seccomp profile that allows perf_event_open)";
                    LOG.warn("process table: {}; processes that exec and exit within a few hundred microseconds may"
                            + " be unnamed", problem);
                }
            }
            feed = new ProcConnectorFeed(table, settings, socket, probe, BootClock.host(), losses, wakeup, log, problem);
            feed.filtered = filterAttached;
            feed.lock.lock();
            try {
                long began = System.nanoTime();
                int read = feed.applier.scan();
                LOG.debug("phase: process table scan done: {} processes read from {} in {} ms", read,
                        probe.procRoot(), (System.nanoTime() - began) / 1_000_000);
            } finally {
                feed.lock.unlock();
            }
            feed.thread = new Thread(feed::run, "process-table-feed (environguard)");
            feed.thread.setDaemon(true);
            feed.thread.start();
            return feed;
        } catch (ProcConnectorSocket.OpenException e) {
            close(feed, socket, wakeup);
            throw new IOException(describeRefusal(e), e);
        } catch (IOException | RuntimeException | Error e) {
            close(feed, socket, wakeup);
            throw e;
        }
    }

    private static void close(ProcConnectorFeed feed, ProcConnectorSocket socket, Wakeup wakeup) {
        if (feed != null) {
            feed.close();
        } else {
            socket.close();
            if (wakeup != null) {
                wakeup.close();
            }
        }
    }

    static String describeRefusal(ProcConnectorSocket.OpenException e) {
        int errno = e.errno();
        if (errno == Errno.EPERM || errno == Errno.EACCES) {
            return "the process table cannot subscribe to the kernel's process events (" + e.getMessage()
                    + "): it needs CAP_NET_ADMIN (root)";
        }
        if (errno == Errno.EPROTONOSUPPORT) {
            return "the kernel has no process events connector (" + e.getMessage() + "; CONFIG_PROC_EVENTS)";
        }
        return "the process table cannot subscribe to the kernel's process events: " + e.getMessage();
    }

    /**
     * Nice value the feed's thread asks for: while it holds the table's lock, a source waits for it, so it should
     * not be the thread a loaded machine leaves waiting. Its work is bounded per message, so it takes no more
     * CPU for it; without the privilege (CAP_SYS_NICE) the request fails and nothing changes.
     */
    static final int FEED_NICE = -10;

    private void run() {
        if (LinuxLibC.SYS_GETTID > 0) {
            int tid = (int) LinuxLibC.syscall(LinuxLibC.SYS_GETTID, 0, 0, 0, 0);
            if (LinuxLibC.setpriority(LinuxLibC.PRIO_PROCESS, tid, FEED_NICE) != 0) {
                LOG.debug("the process table's feed keeps its priority ({})", Errno.describe(LinuxLibC.errno()));
            }
        }
        PollSet poll = new PollSet(2);
        poll.watch(0, socket.fd(), LinuxLibC.POLLIN);
        poll.watch(1, wakeup.fd(), LinuxLibC.POLLIN);
        long lastTick = System.nanoTime();
        lastClockRefresh = lastTick;
        try {
            while (!closed) {
                int ready = poll.await((int) TICK_MILLIS);
                if (ready == -Errno.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw new IllegalStateException("poll on the proc connector failed: " + Errno.describe(-ready));
                }
                if (poll.ready(1) != 0) {
                    return;
                }
                if (poll.ready(0) != 0 && drainAll() > 0) {
                    // Process events come in bursts (a build starting hundreds of processes, a shell loop). Inside
                    // one (messages found now and by a wake-up shortly before), let the next ones gather for a
                    // moment instead of waking for each: wake-ups, not messages, are most of the feed's cost. A
                    // source that needs the table current applies what is pending itself (catchUp); a process
                    // after a quiet spell is applied at once, so its command line is read while it still runs.
                    long now = System.nanoTime();
                    boolean burst = now - lastBatch < BURST_GAP_NANOS;
                    lastBatch = now;
                    if (burst) {
                        LockSupport.parkNanos(BATCH_WINDOW_NANOS);
                    }
                }
                if (resyncNeeded) {
                    resync();
                }
                long now = System.nanoTime();
                if (now - lastTick >= TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS)) {
                    lastTick = now;
                    table.expire();
                    if (now - lastClockRefresh >= CLOCK_REFRESH_NANOS) {
                        lastClockRefresh = now;
                        clock.refresh();
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.error("the process table's feed stopped; processes are no longer tracked", e);
            report(new LossReport(LOSS_CAUSE, 1, "the process table's feed stopped (" + e
                    + "): processes started from now on are not known to the table until the guard restarts"));
        }
    }

    /**
     * Applies every message queued now, one at a time under the lock (the feed's thread).
     *
     * @return how many were applied
     */
    private int drainAll() {
        int applied = 0;
        while (!closed) {
            lock.lock();
            try {
                if (applied == 0 && execLog != null) {
                    execLog.drain(); // an exec's image is written before its message
                }
                if (!applyNext()) {
                    return applied;
                }
            } finally {
                lock.unlock();
            }
            applied++;
        }
        return applied;
    }

    /** How far out of stamp order two messages may arrive, at most (a generous bound: a preemption). */
    private static final long REORDER_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** What {@link #applyNext} returns when no message was queued. */
    private static final long NONE = Long.MIN_VALUE;

    /**
     * Receives and applies one message. The caller holds the lock. (The exec log is read once per batch by the
     * caller; an exec whose image was written after that is read again then: see {@link ExecLog#take}.)
     *
     * @return false when no message was queued
     */
    private boolean applyNext() {
        return applyNextStamped() != NONE;
    }

    /** As {@link #applyNext}, returning the message's timestamp (or 0 for one that is no event), or {@link #NONE}. */
    private long applyNextStamped() {
        while (true) {
            if (receivedNext < receivedCount) {
                int i = receivedNext++;
                messages.incrementAndGet();
                ProcEvent event = received.truncated(i) ? null : ProcEventDecoder.decode(received.view(i),
                        received.length(i));
                if (event != null) {
                    applier.apply(event);
                    return event.timestampNanos();
                }
                return 0;
            }
            int n = socket.receive(received);
            if (n > 0) {
                receivedCount = n;
                receivedNext = 0;
            } else if (n == -Errno.EAGAIN || n == 0) {
                return NONE;
            } else if (n == -Errno.EINTR) {
                continue;
            } else if (n == -Errno.ENOBUFS) {
                long count = overflows.incrementAndGet();
                resyncNeeded = true;
                report(new LossReport(LOSS_CAUSE, 1, "the kernel dropped process events (ENOBUFS: the proc connector"
                        + " socket's buffer of " + socket.receiveBuffer() + " bytes was full; overflow " + count
                        + "): processes that started, exec'd or exited meanwhile may be misnamed until the table is"
                        + " read again from /proc, which follows at once; a process that started and exited in the"
                        + " gap stays unknown"));
            } else {
                throw new IllegalStateException("receiving from the proc connector failed: " + Errno.describe(-n));
            }
        }
    }

    private void resync() {
        drainAll();
        lock.lock();
        try {
            resyncNeeded = false;
            int read = applier.scan();
            resyncs.incrementAndGet();
            LOG.info("process table read again from /proc after lost process events ({} processes)", read);
        } finally {
            lock.unlock();
        }
        drainAll();
    }

    private void report(LossReport loss) {
        try {
            losses.accept(loss);
        } catch (RuntimeException e) {
            LOG.warn("a loss report ({}) could not be delivered", loss.cause(), e);
        }
    }

    @Override
    public ProcessTable table() {
        return table;
    }

    @Override
    public ProcessRecord awaitCommandLine(ProcessRecord record, long maxNanos) {
        return commandLines.awaitCommandLine(table, record, maxNanos);
    }

    @Override
    public long ticks(long monotonicNanos) {
        return clock.ticks(monotonicNanos);
    }

    @Override
    public java.util.Map<String, Long> metrics() {
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        table.putMetrics(m);
        m.put("process_table_inferred_exits", table.inferredExits());
        m.put("process_events_read", messages.get());
        m.put("process_events_lost", overflows.get());
        m.put("process_table_resyncs", resyncs.get());
        m.put("process_table_late_captures", lateCaptures.get());
        m.put("process_table_execs_unnamed", applier.execsMissed());
        m.put("process_table_catch_up_timeouts", catchUpTimeouts.get());
        m.put("exec_log_images", execLog == null ? 0 : applier.imagesUsed());
        m.put("exec_log_records_lost", execLog == null ? 0 : execLog.lost());
        m.put("exec_log_execs_recorded", execLog == null ? 0 : execLog.images());
        m.put("exec_log_images_without_exe", execLog == null ? 0 : execLog.withoutExe());
        commandLines.putMetrics(m);
        m.put("cmdline_reads_skipped", commandLines.notRead());
        return m;
    }

    /**
     * Applies the messages queued now, so that the table holds every process event that happened before this
     * call, waiting at most {@code timeoutNanos} (for the feed's thread to finish what it is applying, and for
     * the rest). Applying never waits on a process's memory: its reads are {@code /proc} files that do not take
     * the process's memory lock, pidfd calls and readlinks.
     *
     * @return whether everything queued was applied in time
     */
    @Override
    public boolean catchUp(long timeoutNanos) {
        return catchUp(timeoutNanos, Long.MAX_VALUE);
    }

    /**
     * Applies the messages queued before {@code untilNanos}, taking turns with the feed's thread: waiting for a
     * turn at most {@code timeoutNanos}, applying for at most five times that (only a backlog of earlier
     * messages takes that long: a fork storm, a starved feed).
     */
    @Override
    public boolean catchUp(long timeoutNanos, long untilNanos) {
        long start = System.nanoTime();
        long lockDeadline = start + timeoutNanos;
        long workDeadline = start + 5 * timeoutNanos;
        boolean first = true;
        while (true) {
            boolean locked;
            try {
                long left = lockDeadline - System.nanoTime();
                locked = left > 0 ? lock.tryLock(left, TimeUnit.NANOSECONDS) : lock.tryLock();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (!locked) {
                catchUpTimeouts.incrementAndGet();
                return false;
            }
            long stamp;
            try {
                if (closed) {
                    return false;
                }
                if (first && execLog != null) {
                    execLog.drain();
                }
                first = false;
                stamp = applyNextStamped();
            } finally {
                lock.unlock();
            }
            // Drained, or past the moment that matters. Messages of different CPUs may arrive out of stamp order
            // (a task can be preempted between stamping a message and sending it): only one stamped well after the
            // moment proves that everything before the moment has been applied.
            if (stamp == NONE || stamp - untilNanos > REORDER_SLACK_NANOS) {
                return true;
            }
            long now = System.nanoTime();
            if (now - workDeadline >= 0) {
                catchUpTimeouts.incrementAndGet();
                return false;
            }
            lockDeadline = now + timeoutNanos; // a turn was had: wait afresh for the next
        }
    }

    /**
     * Reads process {@code pid} from {@code /proc} now and adds it, for a source that met a process the table
     * does not hold (its events were lost, or it existed before the scan and the scan missed it). Its command
     * line is queued for the reader threads, never read here.
     *
     * @return the record, or {@code null} when the process is gone
     */
    @Override
    public ProcessRecord capture(int pid) {
        lateCaptures.incrementAndGet();
        return applier.capture(pid, ProcessRecord.Origin.LATE, -1);
    }

    /** @return whether the kernel filters thread-level messages out before they reach the feed */
    public boolean filtered() {
        return filtered;
    }

    /** @return messages received (after the filter) */
    public long messages() {
        return messages.get();
    }

    /** @return times the socket overflowed ({@code ENOBUFS}); each lost an unknown number of messages */
    public long overflows() {
        return overflows.get();
    }

    /** @return times the table was read again from {@code /proc} after an overflow */
    public long resyncs() {
        return resyncs.get();
    }

    /** @return catch-ups that ran out of time */
    public long catchUpTimeouts() {
        return catchUpTimeouts.get();
    }

    /** @return processes read late, at a source's request */
    public long lateCaptures() {
        return lateCaptures.get();
    }

    /** @return execs whose process was gone before it could be read (their image is unknown) */
    public long execsMissed() {
        return applier.execsMissed();
    }

    /** @return fork-derived start times that a later read from {@code /proc} confirmed, and those it corrected */
    public long[] derivedStarts() {
        return new long[] {applier.derivedConfirmed(), applier.derivedCorrected()};
    }

    /** @return execs named from the exec log (perf side-band records), and records the kernel lost from it */
    public long[] execLogCounts() {
        return execLog == null ? new long[] {0, 0} : new long[] {applier.imagesUsed(), execLog.lost()};
    }

    /** @return why the exec log does not run, or {@code null} when it does */
    public String execLogProblem() {
        return execLogProblem;
    }

    /** @return command-line reads abandoned at their deadline */
    public long commandLineTimeouts() {
        return commandLines.timedOut();
    }

    /** @return command-line reader threads stuck in a read now */
    public int commandLineThreadsStuck() {
        return commandLines.stuckNow();
    }

    /** @return command lines not read (queue full, or every reader thread stuck) */
    public long commandLinesNotRead() {
        return commandLines.notRead();
    }

    /** @return why the feed's thread stopped, if it did */
    public Throwable failure() {
        return failure;
    }

    @Override
    public List<String> describe(List<String> blind) {
        List<String> watching = new ArrayList<>(2);
        watching.add("process table fed by the kernel's proc connector (fork, exec, exit, rename, uid/gid; thread"
                + " events filtered out in the kernel): " + table.liveCount() + " processes, " + table.tombstoneCount()
                + " exited ones kept for " + settings.tombstoneTtl().toSeconds() + " s (at most "
                + settings.maxTombstones() + "; " + table.evicted() + " evicted early); readers are named from what"
                + " they were at exec, however fast they exit");
        if (failure != null) {
            blind.add("the process table's feed stopped (" + failure + "): processes started since are not known");
        }
        blind.add("a process the table does not hold (it existed before the guard and exited before the first scan"
                + " reached it, or its events were lost in an overflow and it exited before the resynchronisation) is"
                + " named by pid only, with a note");
        if (execLog != null) {
            watching.add("exec log: the name and executable of every exec recorded by the kernel at the exec (perf"
                    + " side-band records on " + execLog.cpus() + " CPU(s)), so a process that exits at once is still"
                    + " named; " + execLog.lost() + " record(s) lost to full buffers so far");
        } else {
            blind.add(execLogProblem + ": a process that exec'd and exited before the table could read /proc (a few"
                    + " hundred microseconds, more on a loaded machine) has an unknown executable and name");
        }
        blind.add("command lines are read on " + settings.commandLineThreads() + " thread(s) of their own with a "
                + settings.commandLineTimeout().toMillis() + " ms deadline, at most " + settings.commandLineBytes()
                + " bytes (redacted); a process that stalls reads of its own memory keeps an unknown command line ("
                + commandLines.timedOut() + " read(s) abandoned so far, " + commandLines.stuckNow()
                + " reader thread(s) stuck now)"
                + (commandLines.exhausted() ? "; every reader thread is stuck: command lines are not read now" : ""));
        blind.add("a change of namespace by setns() or unshare() without a fork or exec is seen at the process's next"
                + " exec, or not at all");
        return watching;
    }

    /** Stops the feed's thread and the command-line readers, unsubscribes and closes the socket. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeup.signal();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        commandLines.close();
        lock.lock();
        try {
            socket.close();
            if (execLog != null) {
                execLog.close();
            }
        } finally {
            lock.unlock();
        }
        wakeup.close();
    }
}
