package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.linux.KernelTestSupport;
import io.environguard.testkit.RecordingSink;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, point 5, on the real kernel: a reader that stalls every read of its own command line (its memory-map
 * lock held by a fault on a FUSE file it serves and never answers, with a writer queued behind: see
 * {@code stall_own_cmdline.py}) renames itself, so that the process table reads its command line again, and reads
 * another process's environ. The table's command-line reader gets stuck on it and is abandoned at its deadline;
 * the guard's alerts do not wait: the stalled reader's own read is alerted, and an ordinary {@code cat} started
 * afterwards is alerted within a second. The stall is this test's own child, released in a {@code finally} by
 * aborting its FUSE connection (fusectl), then the child is killed and its mount point unmounted.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StalledReaderKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void aReaderStallingItsOwnMemoryDelaysNoAlert() throws Exception {
        RecordingSink sink = new RecordingSink();
        Path mountPoint = Files.createTempDirectory(Path.of("/tmp"), "egstall");
        Process helper = null;
        long fuseConnection = -1;
        try (Children children = new Children();
             EnvironGuard guard = EnvironGuard.builder()
                     .config(GuardConfig.of(KernelTestSupport.ownProcessesOnly(Map.of(EnvironGuard.SOURCE, "fanotify"))))
                     .addSink("recording", sink)
                     .build()
                     .start()) {
            Process firstTarget = children.sleeper();
            Process secondTarget = children.sleeper();
            helper = children.startPiped(Children.PYTHON, helperScript().toString(), mountPoint.toString());
            BufferedReader out = new BufferedReader(new InputStreamReader(helper.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            assertTrue(ready != null && ready.startsWith("ready"), "the helper did not start: " + ready);
            fuseConnection = minorOf((long) Files.getAttribute(mountPoint, "unix:dev")); // answered: not stalled yet
            Writer in = new java.io.OutputStreamWriter(helper.getOutputStream(), StandardCharsets.UTF_8);
            in.write("stall /proc/" + firstTarget.pid() + "/environ\n");
            in.flush();
            assertEquals("stalled", out.readLine());
            long stalledPid = helper.pid();

            // The table's command-line reader is stuck on the helper now, or about to be.
            Alert byStalled = sink.awaitAlert(a -> a.hasAccess() && a.access().reader().pid() == stalledPid
                    && a.access().target().pid() == firstTarget.pid(), WAIT);
            assertEquals("egstalled", byStalled.access().reader().comm(), "renamed just before it read: "
                    + byStalled.access());
            assertTrue(byStalled.access().reader().exe().contains("python"), byStalled.access().toString());
            awaitMetric(guard, "cmdline_reads_timed_out", 1);

            long started = System.nanoTime();
            Process cat = children.start("cat", "/proc/" + secondTarget.pid() + "/environ");
            Alert byCat = sink.awaitAlert(a -> a.hasAccess() && a.access().reader().pid() == cat.pid(), WAIT);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            System.out.printf("stalled reader: its own read alerted; an ordinary cat alerted %d ms after it started"
                    + " while the table's command-line read of the staller was stuck (metrics %s)%n", tookMillis,
                    guard.stats().source());
            assertTrue(tookMillis <= 1_000, "the ordinary reader's alert took " + tookMillis + " ms");
            assertEquals("cat", byCat.access().reader().comm());
            assertTrue(guard.stats().source().get("cmdline_reader_threads_stuck") >= 1,
                    "the stuck command-line read is still stuck: " + guard.stats().source());
        } finally {
            // Abort the helper's FUSE connection first: every waiting request fails, so the table's stuck read, the
            // helper's own faulting thread and its queued writer all return. Killing the helper alone would not do:
            // its faulting thread waits uninterruptibly, so it would never close /dev/fuse.
            if (fuseConnection >= 0) {
                abortFuseConnection(fuseConnection);
            }
            if (helper != null) {
                helper.destroyForcibly();
                helper.waitFor(10, TimeUnit.SECONDS);
            }
            try (Children umount = new Children()) {
                umount.run(WAIT, "umount", "-l", mountPoint.toString());
            }
            Files.deleteIfExists(mountPoint);
        }
    }

    /** The minor number of a {@code dev_t} as glibc encodes it: a FUSE connection's number in fusectl. */
    private static long minorOf(long dev) {
        return (dev & 0xffL) | ((dev >>> 12) & 0xffffff00L);
    }

    /**
     * Aborts FUSE connection {@code minor} through fusectl ({@code /sys/fs/fuse/connections}, or a fusectl mounted
     * for the purpose in a temporary directory when that is not mounted), then unmounts what it mounted.
     */
    private static void abortFuseConnection(long minor) throws IOException {
        Path connections = Path.of("/sys/fs/fuse/connections");
        Path mounted = null;
        try (Children children = new Children()) {
            if (!Files.isDirectory(connections.resolve(Long.toString(minor)))) {
                mounted = Files.createTempDirectory(Path.of("/tmp"), "egfusectl");
                assertEquals(0, children.run(WAIT, "mount", "-t", "fusectl", "none", mounted.toString()),
                        "mount fusectl");
                connections = mounted;
            }
            Path abort = connections.resolve(minor + "/abort");
            if (Files.exists(abort)) {
                Files.writeString(abort, "1");
            }
            if (mounted != null) {
                children.run(WAIT, "umount", mounted.toString());
            }
        } finally {
            if (mounted != null) {
                Files.deleteIfExists(mounted);
            }
        }
    }

    private static void awaitMetric(EnvironGuard guard, String name, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (guard.stats().source().getOrDefault(name, 0L) < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " never reached " + atLeast + ": " + guard.stats().source());
            }
            Thread.sleep(10);
        }
    }

    private static Path helperScript() throws URISyntaxException, IOException {
        return Path.of(StalledReaderKernelTest.class.getResource("stall_own_cmdline.py").toURI());
    }
}
