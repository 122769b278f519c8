package io.environguard.linux.process;

import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.CmdlineParser;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads command lines ({@code /proc/P/cmdline}) on threads of its own, each read with a deadline. Such a read
 * takes the process's memory lock and copies from its memory, so a process can make it wait as long as it
 * likes (a page of its argument area that never faults in: userfaultfd, a FUSE-backed mapping). Nothing that
 * must not wait does it: not the table's feed, not a source's resolver.
 *
 * <p>A watchdog abandons a read that passes its deadline: the read is reported as
 * {@link ProcessRecord.CommandLineState#TIMED_OUT}, the stuck thread is left where it is (counted; it rejoins
 * the pool if its read ever returns) and a new thread takes its place, up to {@code maxStuck} stuck threads;
 * beyond that, command lines are no longer read ({@link ProcessRecord.CommandLineState#NOT_READ}) until a stuck
 * thread returns. The watchdog sleeps while nothing is being read.
 *
 * <pre>{@code
 * CommandLineReader reader = new CommandLineReader(probe, 16 * 1024, Duration.ofMillis(100), 1, 4, results);
 * if (!reader.submit(pid, start, execs, pidfd)) { ... not queued (full, or every thread stuck) ... }
 * }</pre>
 */
final class CommandLineReader implements AutoCloseable {

    static final int QUEUE_CAPACITY = 65536;
    private static final Logger LOG = LoggerFactory.getLogger(CommandLineReader.class);

    /** Where results go, on a reader thread or the watchdog's. */
    interface Results {
        /** The arguments read for the {@code execs}-th image of process {@code pid} that started at {@code start}. */
        void read(int pid, long start, int execs, List<String> args);

        /** No arguments for it: why ({@code TIMED_OUT}, {@code UNREADABLE}, {@code NOT_READ}). */
        void failed(int pid, long start, int execs, ProcessRecord.CommandLineState why);
    }

    private final ProcessProbe probe;
    private final int maxBytes;
    private final long timeoutNanos;
    private final int threads;
    private final int maxStuck;
    private final Results results;
    private final BlockingQueue<Task> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final List<Worker> workers = new CopyOnWriteArrayList<>();
    private final AtomicInteger stuck = new AtomicInteger();
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong notRead = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicInteger names = new AtomicInteger();
    private final Thread watchdog;
    private volatile boolean watchdogIdle;
    private volatile boolean closed;
    private volatile boolean exhausted;
    /** Notified after each result: a resolver may wait (briefly) for a read under way. */
    private final Object results0 = new Object();

    /**
     * @param maxBytes how much of each command line to read
     * @param timeout  the deadline of one read
     * @param threads  reader threads
     * @param maxStuck how many stuck threads may be replaced
     */
    CommandLineReader(ProcessProbe probe, int maxBytes, java.time.Duration timeout, int threads, int maxStuck,
                      Results results) {
        this.probe = probe;
        this.maxBytes = maxBytes;
        this.timeoutNanos = timeout.toNanos();
        this.threads = threads;
        this.maxStuck = maxStuck;
        this.results = results;
        for (int i = 0; i < threads; i++) {
            startWorker();
        }
        watchdog = new Thread(this::watch, "process-table-cmdline-watchdog (environguard)");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /**
     * Queues a read of the command line of {@code pid} (the generation that started at {@code start}, image
     * {@code execs}). Takes {@code pidfd} (a pidfd of the process, or -1): it is closed when the read is done, or
     * at once when the read is not queued.
     *
     * @return whether it was queued; when not, the caller records the command line as not read
     */
    boolean submit(int pid, long start, int execs, int pidfd) {
        if (closed || workers.isEmpty() || !queue.offer(new Task(pid, start, execs, pidfd))) {
            closePidfd(pidfd);
            notRead.incrementAndGet();
            return false;
        }
        return true;
    }

    /**
     * Waits until some read finishes or {@code nanos} pass; the caller checks whether the one it wants is done.
     * Never longer than {@code nanos}.
     */
    void awaitAnyResult(long nanos) {
        if (nanos <= 0) {
            return;
        }
        synchronized (results0) {
            try {
                results0.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * {@code record}'s process as the table holds it once its command line is no longer being read, or as it holds
     * it when {@code maxNanos} have passed (never longer): what a resolver that may wait a little for a command line
     * calls.
     */
    ProcessRecord awaitCommandLine(ProcessTable table, ProcessRecord record, long maxNanos) {
        long deadline = System.nanoTime() + maxNanos;
        ProcessRecord r = record;
        while (r != null && r.commandLineState() == ProcessRecord.CommandLineState.PENDING) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            awaitAnyResult(left);
            ProcessRecord now = table.find(r.pid(), r.startTime());
            r = now == null ? r : now;
        }
        return r;
    }

    /** Adds this reader's counters to a feed's {@code metrics()}. */
    void putMetrics(java.util.Map<String, Long> m) {
        m.put("cmdline_reads", completed());
        m.put("cmdline_reads_queued", (long) queued());
        m.put("cmdline_reads_timed_out", timedOut());
        m.put("cmdline_reader_threads_stuck", (long) stuckNow());
    }

    private void resultDelivered() {
        synchronized (results0) {
            results0.notifyAll();
        }
    }

    /** Reads abandoned at their deadline. */
    long timedOut() {
        return timedOut.get();
    }

    /** Threads left stuck in a read now. */
    int stuckNow() {
        return stuck.get();
    }

    /** Whether every replacement was used and reads have stopped until a stuck thread returns. */
    boolean exhausted() {
        return exhausted && workers.isEmpty();
    }

    /** Reads not made (queue full, or no thread free of a stuck read). */
    long notRead() {
        return notRead.get();
    }

    /** Reads finished in time. */
    long completed() {
        return completed.get();
    }

    /** Reads queued and not yet started. */
    int queued() {
        return queue.size();
    }

    private void startWorker() {
        Worker w = new Worker();
        workers.add(w);
        Thread t = new Thread(w, "process-table-cmdline-" + names.incrementAndGet() + " (environguard)");
        t.setDaemon(true);
        w.thread = t;
        t.start();
    }

    /** One reader thread. */
    private final class Worker implements Runnable {
        volatile Thread thread;
        volatile Task current;
        volatile long since;
        boolean abandoned;

        @Override
        public void run() {
            try {
                while (!closed) {
                    Task t = queue.take(); // close() interrupts
                    synchronized (this) {
                        current = t;
                        since = System.nanoTime();
                    }
                    if (watchdogIdle) {
                        LockSupport.unpark(watchdog);
                    }
                    byte[] bytes = null;
                    // A process that has ended by now (most of a burst's short ones, by the time their turn comes)
                    // has no arguments left to read: one poll of its pidfd instead of the opens of the read.
                    if (!probe.ended(t.pidfd)) {
                        try {
                            bytes = probe.readCommandLine(t.pid, maxBytes);
                        } catch (IOException | RuntimeException e) {
                            bytes = null;
                        }
                    }
                    boolean same = bytes != null && bytes.length > 0 && probe.stillRuns(t.pid, t.start, t.pidfd);
                    closePidfd(t.pidfd);
                    boolean late;
                    synchronized (this) {
                        current = null;
                        late = abandoned;
                    }
                    if (late) {
                        // The watchdog gave up on this read and reported it; the thread may come back to work.
                        stuck.decrementAndGet();
                        synchronized (workers) {
                            if (closed || workers.size() >= threads) {
                                return;
                            }
                            abandoned = false;
                            workers.add(this);
                        }
                        LOG.info("a command-line read that had passed its deadline returned; its thread reads again");
                        continue;
                    }
                    completed.incrementAndGet();
                    if (same) {
                        results.read(t.pid, t.start, t.execs, CmdlineParser.parse(bytes));
                    } else {
                        results.failed(t.pid, t.start, t.execs, ProcessRecord.CommandLineState.UNREADABLE);
                    }
                    resultDelivered();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void watch() {
        while (!closed) {
            long now = System.nanoTime();
            long next = Long.MAX_VALUE;
            boolean busy = false;
            for (Worker w : workers) {
                Task t;
                long deadline;
                synchronized (w) {
                    t = w.current;
                    deadline = w.since + timeoutNanos;
                }
                if (t == null) {
                    continue;
                }
                busy = true;
                if (now - deadline >= 0) {
                    abandon(w, t);
                } else {
                    next = Math.min(next, deadline - now);
                }
            }
            if (!busy && queue.isEmpty()) {
                watchdogIdle = true;
                if (queue.isEmpty() && workers.stream().allMatch(w -> w.current == null)) {
                    LockSupport.park(this);
                }
                watchdogIdle = false;
            } else {
                LockSupport.parkNanos(this, next == Long.MAX_VALUE ? timeoutNanos : next);
            }
        }
    }

    private void abandon(Worker w, Task t) {
        synchronized (w) {
            if (w.current != t || w.abandoned) {
                return;
            }
            w.abandoned = true;
        }
        timedOut.incrementAndGet();
        int nowStuck = stuck.incrementAndGet();
        LOG.warn("reading the command line of process {} took longer than {} ms and was abandoned; the process may be"
                + " stalling reads of its own memory ({} reader thread(s) stuck)", t.pid, timeoutNanos / 1_000_000, nowStuck);
        results.failed(t.pid, t.start, t.execs, ProcessRecord.CommandLineState.TIMED_OUT);
        resultDelivered();
        synchronized (workers) {
            // The replacement first: a read submitted meanwhile must never find no thread at all.
            if (nowStuck <= maxStuck && !closed) {
                startWorker();
            }
            workers.remove(w);
            if (nowStuck > maxStuck && !exhausted) {
                exhausted = true;
                LOG.warn("{} command-line reader threads are stuck; command lines are not read until one returns", nowStuck);
            }
            if (workers.isEmpty()) {
                for (Task queued; (queued = queue.poll()) != null; ) {
                    closePidfd(queued.pidfd);
                    notRead.incrementAndGet();
                    results.failed(queued.pid, queued.start, queued.execs, ProcessRecord.CommandLineState.NOT_READ);
                }
            }
        }
    }

    private static void closePidfd(int pidfd) {
        if (pidfd >= 0) {
            LinuxLibC.close(pidfd);
        }
    }

    /** Stops the threads (a stuck one ends when its read returns) and closes the queued reads' pidfds. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(watchdog);
        watchdog.interrupt();
        for (Worker w : workers) {
            Thread t = w.thread;
            if (t != null) {
                t.interrupt();
            }
        }
        for (Task queued; (queued = queue.poll()) != null; ) {
            closePidfd(queued.pidfd);
        }
        for (Worker w : workers) {
            Thread t = w.thread;
            if (t != null) {
                try {
                    t.join(1_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private record Task(int pid, long start, int execs, int pidfd) {
    }
}
