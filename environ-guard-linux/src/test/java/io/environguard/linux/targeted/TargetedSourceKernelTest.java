package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AliasKind;
import io.environguard.api.Coverage;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.ProcFile;
import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.process.ProcConnectorFeed;
import io.environguard.linux.process.ProcessTableSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The targeted source guarding this test JVM, with privilege (the test runs as root): readers started here
 * open each alias, and each open must arrive as an access naming the alias, this JVM as target and the
 * reader's pid. Accesses are matched by the readers' pids; foreign readers on the machine are ignored.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TargetedSourceKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int SELF = (int) ProcessHandle.current().pid();

    private final Readers readers = new Readers();
    private final List<TargetedFanotifySource> sources = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        try {
            readers.close();
        } finally {
            sources.forEach(TargetedFanotifySource::close);
            release.countDown();
            for (Thread t : threads) {
                t.join(5_000);
            }
        }
    }

    private TargetedFanotifySource start(Map<String, String> config, Recorder recorder) throws IOException {
        TargetedFanotifySource source = new TargetedFanotifySource(TargetedSettings.from(GuardConfig.of(config), SELF), SELF);
        sources.add(source);
        source.start(recorder);
        return source;
    }

    /** A thread of this JVM that lives until the test ends; returns its tid. */
    private int newThread() throws InterruptedException {
        AtomicInteger tid = new AtomicInteger();
        CountDownLatch known = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                tid.set(Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString()));
            } catch (IOException e) {
                tid.set(-1);
            }
            known.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "targeted-test-thread");
        t.setDaemon(true);
        threads.add(t);
        t.start();
        assertTrue(known.await(10, TimeUnit.SECONDS));
        assertTrue(tid.get() > 0, "tid of the new thread");
        return tid.get();
    }

    private EnvironAccess readAndAwait(Recorder recorder, String path) {
        Process reader = readers.openOnce(path);
        assertEquals(0, reader.exitValue(), "reader opened " + path);
        EnvironAccess a = recorder.await("by reader " + reader.pid() + " of " + path,
                x -> x.reader().pid() == reader.pid() && x.path().equals(path), WAIT);
        assertEquals(SELF, a.target().pid(), "target of " + path);
        assertEquals(TargetedFanotifySource.NAME, a.source());
        assertTrue(a.possibleReaders().isEmpty(), "with privilege the reader is known; no guessing");
        return a;
    }

    @Test
    void everyAliasOfThisJvmAlertsWithTheReader() throws Exception {
        int before = newThread();
        Recorder recorder = new Recorder();
        TargetedFanotifySource source = start(Map.of(TargetedSettings.RESCAN_INTERVAL, "50ms"), recorder);

        assertEquals(AliasKind.PROCESS, readAndAwait(recorder, "/proc/" + SELF + "/environ").alias());
        EnvironAccess task = readAndAwait(recorder, "/proc/" + SELF + "/task/" + before + "/environ");
        assertEquals(AliasKind.TASK, task.alias());
        assertEquals(before, task.target().tid());
        EnvironAccess thread = readAndAwait(recorder, "/proc/" + before + "/environ");
        assertEquals(AliasKind.THREAD, thread.alias());
        assertEquals(before, thread.target().tid());
        assertEquals(AliasKind.TASK, readAndAwait(recorder, "/proc/" + before + "/task/" + SELF + "/environ").alias());
        EnvironAccess mem = readAndAwait(recorder, "/proc/" + SELF + "/mem");
        assertEquals(ProcFile.MEM, mem.file());
        // A reader still alive when its event is resolved is named in full (a finished one may be gone by then).
        Process holder = readers.holdOpen("/proc/" + SELF + "/environ");
        EnvironAccess held = recorder.await("by holder " + holder.pid(), x -> x.reader().pid() == holder.pid(), WAIT);
        assertTrue(held.reader().exe() != null && held.reader().exe().contains("python"), "reader exe: " + held.reader());
        assertTrue(held.reader().complete(), held.reader().toString());

        // A thread created after the guard started is marked at the next listing, then alerts through its aliases.
        int later = newThread();
        String laterAlias = "/proc/" + later + "/environ";
        Recorder.awaitTrue("the new thread's aliases marked", () -> source.markedPaths().contains(laterAlias), WAIT);
        assertEquals(AliasKind.THREAD, readAndAwait(recorder, laterAlias).alias());
        assertEquals(AliasKind.TASK, readAndAwait(recorder, "/proc/" + SELF + "/task/" + later + "/environ").alias());

        Coverage coverage = source.coverage();
        assertTrue(coverage.watching().get(0).contains("inode mark"), coverage.toString());
        assertTrue(coverage.watching().stream().anyMatch(w -> w.contains("FAN_REPORT_PIDFD")), coverage.toString());
    }

    /**
     * The reader of a live alert is named through the source's process table: its executable and name, and its
     * lineage (this JVM started it, so this JVM is its parent), whether the table is fed by the proc connector (as
     * root) or polled from /proc (the connector turned off), and coverage says which.
     */
    @Test
    void aLiveReaderIsNamedThroughTheProcessTableWithItsLineage() throws Exception {
        for (boolean connector : new boolean[] {true, false}) {
            Recorder recorder = new Recorder();
            TargetedFanotifySource source = start(Map.of(TargetedSettings.PROC_CONNECTOR, Boolean.toString(connector),
                    ProcessTableSettings.POLL_INTERVAL, "200ms"), recorder);
            Process holder = readers.holdOpen("/proc/" + SELF + "/environ");
            EnvironAccess held = recorder.await("by holder " + holder.pid(), x -> x.reader().pid() == holder.pid(),
                    WAIT);
            String mode = connector ? "proc connector: " : "polled: ";
            assertTrue(held.reader().exe() != null && held.reader().exe().contains("python"), mode + held.reader());
            assertTrue(held.reader().comm() != null && held.reader().comm().startsWith("python"), mode + held.reader());
            assertTrue(held.reader().startTime() > 0, mode + held.reader());
            assertFalse(held.reader().ancestors().isEmpty(), mode + "lineage of " + held.reader());
            assertEquals(SELF, held.reader().ancestors().get(0).pid(), mode + "this JVM started the reader");
            assertEquals(ProcessHandle.current().info().command().orElseThrow(),
                    held.reader().ancestors().get(0).exe(), mode + "the parent's executable, from the table");
            assertEquals(SELF, held.target().pid());
            assertTrue(held.target().startTime() > 0, mode + held.target());
            List<String> watching = source.coverage().watching();
            if (connector) {
                assertTrue(watching.stream().anyMatch(w -> w.startsWith("process table fed by the kernel's proc"
                        + " connector")), watching.toString());
                assertTrue(source.processFeed() instanceof ProcConnectorFeed);
            } else {
                assertTrue(watching.stream().anyMatch(w -> w.startsWith("process table: polled from /proc every 200"
                        + " ms")), watching.toString());
                assertTrue(source.coverage().blindSpots().stream().anyMatch(b -> b.contains("a reader that starts and"
                        + " exits between two polls is named by pid only")), source.coverage().toString());
            }
            assertTrue(source.metrics().get("process_table_live") > 0, source.metrics().toString());
            holder.destroy();
            assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
            source.close();
        }
    }

    @Test
    void withPrivilegeNewThreadsAreMarkedAsTheyAppear() throws Exception {
        Recorder recorder = new Recorder();
        // The listing would come only after 30 s: a mark within 5 s is the proc connector's doing.
        TargetedFanotifySource source = start(Map.of(TargetedSettings.RESCAN_INTERVAL, "30s"), recorder);
        assertTrue(source.coverage().watching().stream().anyMatch(w -> w.startsWith("new threads marked as they"
                + " appear (proc connector, filtered in the kernel")), source.coverage().toString());
        // Other processes' forks and exits are dropped by the socket filter: they never wake the guard.
        long before = source.procConnectorMessages();
        for (int i = 0; i < 10; i++) {
            Process p = new ProcessBuilder("true").start();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        }
        // Unfiltered, those ten would make at least thirty events (fork, exec, exit); this JVM may start a thread
        // of its own meanwhile (a process reaper), which rightly passes.
        assertTrue(source.procConnectorMessages() - before < 10,
                "events about processes that are not guarded: " + (source.procConnectorMessages() - before));
        int tid = newThread();
        String alias = "/proc/" + tid + "/environ";
        Recorder.awaitTrue("the new thread marked through the proc connector", () -> source.markedPaths().contains(alias),
                Duration.ofSeconds(5));
        assertTrue(source.procConnectorMessages() > before, "the new thread's fork came through");
        assertEquals(AliasKind.THREAD, readAndAwait(recorder, alias).alias());
    }

    @Test
    void exitedThreadsReleaseTheirMarksAndDescriptors() throws Exception {
        Recorder recorder = new Recorder();
        TargetedFanotifySource source = start(Map.of(TargetedSettings.RESCAN_INTERVAL, "20ms"), recorder);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger tid = new AtomicInteger();
        Thread t = new Thread(() -> {
            try {
                tid.set(Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString()));
                done.await();
            } catch (IOException | InterruptedException e) {
                tid.set(-1);
            }
        }, "targeted-short-thread");
        t.start();
        Recorder.awaitTrue("tid known", () -> tid.get() != 0, WAIT);
        String alias = "/proc/" + tid.get() + "/environ";
        Recorder.awaitTrue("short thread marked", () -> source.markedPaths().contains(alias), WAIT);
        assertTrue(pinningFdsOf(tid.get()) >= 4, "pinning descriptors for the new thread");
        done.countDown();
        t.join(10_000);
        Recorder.awaitTrue("short thread released", () -> !source.markedPaths().contains(alias)
                && source.markedPaths().stream().noneMatch(p -> p.contains("/" + tid.get() + "/")), WAIT);
        // Other JVM threads (compiler threads, for one) come and go meanwhile: count only the short thread's.
        Recorder.awaitTrue("its pinning descriptors closed", () -> pinningFdsOf(tid.get()) == 0, WAIT);
    }

    @Test
    void marksSurviveDentryReclaim() throws Exception {
        Recorder recorder = new Recorder();
        start(Map.of(), recorder);
        String path = "/proc/" + SELF + "/environ";
        readAndAwait(recorder, path);
        // A global cache drop, once per run: the pinned inode must keep its mark (KERNEL-FACTS "Mark lifetime").
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2\n");
        readAndAwait(recorder, path);
        readAndAwait(recorder, "/proc/" + SELF + "/task/" + SELF + "/environ");
    }

    @Test
    void closeLeavesNoThreadAndNoDescriptor() throws Exception {
        // Only descriptors of the kinds the source opens: class loading may open jars meanwhile. Compared as sets of
        // "fd -> target": what earlier tests of this JVM left may close meanwhile (a count then falls below its
        // start, as it did under load), but nothing may be open after close that was not open before start.
        Set<String> fdsBefore = sourceKindFds();
        Recorder recorder = new Recorder();
        TargetedFanotifySource source = start(Map.of(), recorder);
        Set<String> fdsRunning = sourceKindFds();
        fdsRunning.removeAll(fdsBefore);
        assertTrue(fdsRunning.size() > 100, "pins, the group, the wakeup, the pidfd and the task directory");
        source.close();
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("targeted-guard")),
                "guard thread stopped");
        Set<String> left = sourceKindFds();
        left.removeAll(fdsBefore);
        assertEquals(Set.of(), left, "every descriptor closed");
    }

    /** Descriptors on /proc paths (pins, task listings) and fanotify, eventfd and pidfd descriptors, as "fd -> target". */
    private static Set<String> sourceKindFds() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(fd -> {
                try {
                    return fd.getFileName() + " -> " + Files.readSymbolicLink(fd);
                } catch (IOException e) {
                    return "";
                }
            }).filter(l -> l.contains(" -> /proc/") || l.endsWith(" -> anon_inode:[fanotify]")
                    || l.endsWith(" -> anon_inode:[eventfd]") || l.endsWith(" -> anon_inode:[pidfd]"))
                    .collect(Collectors.toCollection(HashSet::new));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Descriptors of this JVM open on an alias that names thread {@code tid}. */
    private static long pinningFdsOf(int tid) {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return "";
                }
            }).filter(link -> link.startsWith("/proc/" + tid + "/") || link.contains("/task/" + tid + "/")).count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

}
