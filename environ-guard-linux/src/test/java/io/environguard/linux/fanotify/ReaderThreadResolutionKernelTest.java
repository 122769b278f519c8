package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.linux.KernelTestSupport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * On the real kernel: lone opens may be resolved on the kernel-read thread (one hand-off fewer) while a burst goes
 * through the resolver queue; either way every access is delivered, once, in the order the reads were made, and a
 * lone open after a burst never overtakes the burst's queued accesses.
 */
@Tag("kernel")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReaderThreadResolutionKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int LONE_READS = 10;
    private static final int TARGETS = 60;

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void loneOpensAndABurstAreAllDeliveredInTheOrderTheyWereMade() throws Exception {
        RecordingListener seen = new RecordingListener();
        try (Children children = new Children();
             FanotifyHostSource source = new FanotifyHostSource(FanotifySettings.from(GuardConfig.of(
                     KernelTestSupport.ownProcessesOnly(Map.of()))))) {
            source.start(seen);
            List<Process> targets = new ArrayList<>();
            for (int i = 0; i < TARGETS; i++) {
                targets.add(children.sleeper());
            }

            // Lone reads, one at a time: nothing is queued when each is read, so each may be resolved where it is read.
            List<Long> loneReaders = new ArrayList<>();
            for (int i = 0; i < LONE_READS; i++) {
                Process target = targets.get(i % TARGETS);
                Process cat = children.start("cat", "/proc/" + target.pid() + "/environ", "-");
                seen.awaitAccess("by lone reader " + i, a -> a.reader().pid() == cat.pid()
                        && a.target().pid() == target.pid(), WAIT);
                loneReaders.add(cat.pid());
                Children.stop(cat);
            }
            Map<String, Long> metrics = source.metrics();
            assertTrue(metrics.get("accesses_resolved_on_reader_thread")
                    + metrics.get("accesses_deferred_to_resolver") >= 1,
                    "the kernel-read thread tried to resolve lone opens itself: " + metrics);

            // A burst: one reader opens every target's environ through two aliases (two files: the kernel merges a
            // repeated open of one file by one process while it is queued), as fast as it can.
            List<String> command = new ArrayList<>(List.of(Children.PYTHON, "-c", "import sys\n"
                    + "for form in ('/proc/%s/environ', '/proc/%s/task/%s/environ'):\n"
                    + "    for pid in sys.argv[1:]:\n"
                    + "        open(form.replace('%s', pid), 'rb').close()\n"
                    + "print('done', flush=True)\n"
                    + "sys.stdin.read()\n"));
            targets.forEach(t -> command.add(Long.toString(t.pid())));
            Process sweeper = children.startPiped(command.toArray(String[]::new));
            BufferedReader out = new BufferedReader(new InputStreamReader(sweeper.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("done", out.readLine());
            // Then a lone read, which may be resolved on the kernel-read thread: it must come after the whole burst.
            Process marker = children.start("cat", "/proc/" + targets.get(0).pid() + "/environ", "-");
            seen.awaitAccess("by the reader after the burst", a -> a.reader().pid() == marker.pid(), WAIT);

            List<EnvironAccess> all = List.copyOf(seen.accesses);
            List<String> expected = new ArrayList<>();
            targets.forEach(t -> expected.add("/proc/" + t.pid() + "/environ"));
            targets.forEach(t -> expected.add("/proc/" + t.pid() + "/task/" + t.pid() + "/environ"));
            List<String> burst = all.stream().filter(a -> a.reader().pid() == sweeper.pid())
                    .map(EnvironAccess::path).toList();
            assertEquals(expected, burst, "every read of the burst, once, in the order made; losses " + seen.losses);
            int lastOfBurst = -1;
            int markerAt = -1;
            List<Long> loneOrder = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                long reader = all.get(i).reader().pid();
                if (reader == sweeper.pid()) {
                    lastOfBurst = i;
                } else if (reader == marker.pid() && markerAt < 0) {
                    markerAt = i;
                } else if (loneReaders.contains(reader) && !loneOrder.contains(reader)) {
                    loneOrder.add(reader);
                }
            }
            assertTrue(markerAt > lastOfBurst, "the read after the burst is delivered after it: " + markerAt + " vs "
                    + lastOfBurst);
            assertEquals(loneReaders, loneOrder, "lone reads in the order made");
        }
    }
}
