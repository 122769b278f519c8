package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.nativeio.Fanotify;
import io.environguard.linux.nativeio.FanotifyGroup;
import io.environguard.linux.nativeio.Wakeup;
import java.nio.file.Path;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.linux.process.ContainerIds;
import io.environguard.linux.process.ProcScanFeed;
import io.environguard.linux.process.ProcessProbe;
import io.environguard.linux.process.ProcessRecord;
import io.environguard.linux.process.ProcessTable;
import io.environguard.linux.process.ProcessTableSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kernel-read loop on a real fanotify group whose queue is read only after the reader or the target
 * has exited, which the running source can only hope to lose a race to: the kernel then reports the
 * failure in the event ({@code FAN_REPORT_FD_ERROR}, {@code FAN_REPORT_PIDFD}).
 */
@Tag("kernel")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KernelReaderKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    /**
     * Marks /proc, runs {@code beforeReading}, then starts reading the fanotify queue and returns what was
     * read once {@code until} holds (bounded). Closes the pidfds it read.
     */
    private static List<RawAccess> readAfter(ThrowingRunnable beforeReading, java.util.function.Predicate<RawAccess> until,
                                             ProcInstanceTracker[] tracker) throws Exception {
        FanotifySupport support = FanotifySupport.get();
        try (FanotifyGroup group = FanotifyGroup.open(support.initFlags() | Fanotify.FAN_UNLIMITED_QUEUE);
             Wakeup wakeup = Wakeup.create()) {
            tracker[0] = new ProcInstanceTracker(group, Path.of("/proc"), false);
            assertTrue(tracker[0].rescan().host().marked());
            beforeReading.run();
            ArrayBlockingQueue<RawAccess> queue = new ArrayBlockingQueue<>(100_000);
            KernelReader reader = new KernelReader(group, wakeup.fd(), queue, 100_000,
                    new IgnoreMarks(group, 16384, (int) ProcessHandle.current().pid(), IgnoreMarksKernelTest.procDevice()),
                    "/proc", 200_000, true);
            Thread thread = new Thread(reader, "fanotify-reader (test)");
            thread.start();
            try {
                Children.await("the queued events to be read", () -> queue.stream().anyMatch(until), WAIT);
            } finally {
                wakeup.signal();
                thread.join(WAIT.toMillis());
            }
            List<RawAccess> items = new ArrayList<>(queue);
            for (RawAccess i : items) {
                if (i instanceof RawAccess.Open o && o.pidfd() >= 0) {
                    io.environguard.linux.nativeio.LinuxLibC.close(o.pidfd());
                }
            }
            return items;
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aTargetGoneBeforeTheReadIsCountedAsLost() throws Exception {
        ProcInstanceTracker[] tracker = new ProcInstanceTracker[1];
        long[] pids = new long[2];
        List<RawAccess> items;
        try (Children children = new Children()) {
            items = readAfter(() -> {
                Process target = children.sleeper();
                Process cat = children.start("cat", "/proc/" + target.pid() + "/environ");
                assertTrue(cat.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
                Children.stop(target);
                pids[0] = target.pid();
                pids[1] = cat.pid();
            }, i -> i instanceof RawAccess.Losses l
                    && l.reports().stream().anyMatch(r -> r.cause().equals(LossTally.TARGET_EXITED)), tracker);
        }
        long exited = items.stream().filter(i -> i instanceof RawAccess.Losses).flatMap(i -> ((RawAccess.Losses) i).reports().stream())
                .filter(r -> r.cause().equals(LossTally.TARGET_EXITED)).mapToLong(LossReport::count).sum();
        assertTrue(exited >= 1, "target_exited losses in " + items);
        assertTrue(items.stream().noneMatch(i -> i instanceof RawAccess.Open o && o.readerPid() == pids[1]),
                "the open of a dead target's environ cannot yield a path");
    }

    @Test
    void aReaderGoneBeforeTheReadStillYieldsAnAccessWithItsPid() throws Exception {
        ProcInstanceTracker[] tracker = new ProcInstanceTracker[1];
        try (Children children = new Children()) {
            Process target = children.sleeper();
            long[] cat = new long[1];
            List<RawAccess> items = readAfter(() -> {
                Process reader = children.start("cat", "/proc/" + target.pid() + "/environ");
                assertTrue(reader.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)); // exited and reaped
                cat[0] = reader.pid();
            }, i -> i instanceof RawAccess.Open o && o.readerPid() == cat[0], tracker);
            RawAccess.Open open = items.stream().filter(i -> i instanceof RawAccess.Open o && o.readerPid() == cat[0])
                    .map(i -> (RawAccess.Open) i).findFirst().orElseThrow(() -> new AssertionError("no open in " + items));
            assertTrue(open.readerGone(), open.toString());
            assertEquals(-1, open.pidfd());
            assertNull(open.readerExe());
            assertEquals("/proc/" + target.pid() + "/environ", open.path());

            // A table filled from /proc now: it holds the target, and never saw the reader.
            ProcessTable table = new ProcessTable(ProcessTableSettings.defaults());
            try (ProcScanFeed feed = ProcScanFeed.start(table, ProcessTableSettings.defaults(), ProcessProbe.host(
                    Path.of("/proc"), ContainerIds.forHost(Path.of("/proc")), ProcessInspector.BeforeOpen.NONE))) {
                Children.await("the target's command line to be read", () -> table.live((int) target.pid())
                        .commandLineState() == ProcessRecord.CommandLineState.READ, WAIT);
                EnvironAccess access = new AccessResolver(tracker[0]::snapshot, Path.of("/proc"), true,
                        ProcessInspector.BeforeOpen.NONE, feed, 0, 100, 0).resolve(open).orElseThrow();
                assertEquals(cat[0], access.reader().pid());
                assertFalse(access.reader().complete());
                assertEquals(target.pid(), access.target().pid());
                assertTrue(access.target().complete(), access.toString());
                assertTrue(access.notes().stream().anyMatch(n -> n.contains("not in the process table")),
                        access.notes().toString());
            }
        }
    }
}
