package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.environguard.EnvironGuard;
import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.linux.KernelTestSupport;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import io.environguard.testkit.RecordingSink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end on the real kernel: a read inside a rootless namespace that lives about 50 ms,
 * {@code unshare -Urpf --mount-proc sh -c 'sleep 0.05; cat /proc/1/environ'}, becomes an alert.
 *
 * <p>The test plays the part of the process table: the moment the {@code unshare} it started has entered its
 * new mount namespace, it announces that namespace through {@link FanotifyHostSource#watchMountNamespaceOf},
 * as the table will on the fork or exec it sees. The rescan is set to an hour, so nothing else can find the
 * namespace in time. What the guard must do within the 50 ms: watch the namespace, see its procfs attached
 * (or find it in its mount table) and mark it.
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NewNamespaceAlertKernelTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /**
     * Fresh namespaces tried before the test fails. One is enough when the machine is not overloaded; on a
     * loaded 2-vCPU VM about one read in twenty is lost although the namespace was marked in time: pid 1 exits
     * right after cat, and if the kernel-read thread reads the event after that, the kernel cannot open the file
     * for it and the read arrives as a {@code target_exited} loss, not an access (a limit of the source that the
     * process table work addresses, not of the marking). See BENCHMARKS.md, New mount namespaces.
     */
    private static final int ATTEMPTS = 3;

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    /** The real fanotify host source, kept at hand so that the test can announce namespaces to it. */
    static final class CapturingProvider implements EventSourceProvider {
        static final String NAME = "fanotify-captured";
        private final FanotifyHostSourceProvider delegate = new FanotifyHostSourceProvider();
        volatile FanotifyHostSource source;

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Availability availability() {
            return delegate.availability();
        }

        @Override
        public EventSource create(GuardConfig config) {
            FanotifyHostSource s = (FanotifyHostSource) delegate.create(config);
            source = s;
            return s;
        }
    }

    @Test
    void aReadInAFiftyMillisecondRootlessNamespaceIsAlerted() throws Exception {
        RecordingSink sink = new RecordingSink();
        CapturingProvider provider = new CapturingProvider();
        String own = MountNamespaceKernelTest.namespaceOf(ProcessHandle.current().pid());
        try (Children children = new Children();
             EnvironGuard guard = EnvironGuard.builder()
                     .config(GuardConfig.of(KernelTestSupport.ownProcessesOnly(Map.of(
                             EnvironGuard.SOURCE, CapturingProvider.NAME,
                             FanotifySettings.RESCAN_INTERVAL, "1h"))))
                     .addSourceProvider(provider)
                     .addSink("recording", sink)
                     .build()
                     .start()) {
            FanotifyHostSource source = provider.source;
            List<String> attempts = new ArrayList<>();
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                Process unshare = children.start("unshare", "-Urpf", "--mount-proc", "sh", "-c",
                        "sleep 0.05; cat /proc/1/environ");
                long started = System.nanoTime();
                String namespace = awaitNamespaceChange(unshare.pid(), own);
                long entered = System.nanoTime();
                source.watchMountNamespaceOf((int) unshare.pid(), MountNamespaceWatch.inodeOf(namespace));
                assertTrue(unshare.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
                assertEquals(0, unshare.exitValue(), "cat read its pid 1's environ");
                Optional<Alert> alert = awaitAlert(sink, namespace);
                attempts.add("attempt " + attempt + ": namespace " + namespace + " entered "
                        + (entered - started) / 1000 + " us after the start of unshare; "
                        + alert.map(a -> "alert " + a.rule() + " for a read by " + a.access().reader().pid() + " of "
                        + a.access().target().pid() + ", notes " + a.access().notes()).orElse("no alert"));
                if (alert.isPresent()) {
                    System.out.println(String.join("\n", attempts));
                    return;
                }
            }
            fail("no alert for the read in any of " + ATTEMPTS + " fresh namespaces: " + attempts
                    + "; alerts seen: " + sink.alerts().stream().map(Alert::rule).toList());
        }
    }

    /** The alert for a read of pid 1's environ in {@code namespace}, waiting up to 5 s. */
    private static Optional<Alert> awaitAlert(RecordingSink sink, String namespace) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            Optional<Alert> found = sink.alerts().stream().filter(a -> a.hasAccess()
                    && a.access().path().equals("/proc/1/environ")
                    && a.access().notes().stream().anyMatch(n -> n.contains(namespace))).findFirst();
            if (found.isPresent() || System.nanoTime() > deadline) {
                return found;
            }
            Thread.sleep(10);
        }
    }

    /**
     * Waits (bounded) until process {@code pid} is in a mount namespace other than {@code own}, and returns it: a
     * tight loop of {@code readlink}, the test's stand-in for the process table's fork and exec events.
     */
    private static String awaitNamespaceChange(long pid, String own) throws IOException {
        Path link = Path.of("/proc/" + pid + "/ns/mnt");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                String ns = Files.readSymbolicLink(link).toString();
                if (!ns.equals(own)) {
                    return ns;
                }
            } catch (IOException e) {
                throw new IOException("unshare (" + pid + ") ended before it entered a new mount namespace", e);
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("unshare (" + pid + ") did not enter a new mount namespace within " + WAIT);
    }
}
