package io.environguard.linux.targeted;

import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.hardening.Hardening;
import io.environguard.linux.hardening.ScrubResult;
import io.environguard.spi.AccessListener;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Run by the kernel tests in a child JVM (often as nobody): guards itself and hardens itself on command,
 * one command per stdin line, one answer per stdout line. Never prints an environment value: {@code scrub}
 * answers whether {@link System#getenv(String)} is unchanged, not what it is.
 */
public final class SelfGuardProbeMain {

    private SelfGuardProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        int self = (int) ProcessHandle.current().pid();
        TargetedFanotifySource source = null;
        CountDownLatch forever = new CountDownLatch(1);
        System.out.println("ready pid=" + self);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] words = line.trim().split("\\s+");
            try {
                switch (words[0]) {
                    case "guard": {
                        source = new TargetedFanotifySource(TargetedSettings.from(GuardConfig.of(
                                Map.of(TargetedSettings.RESCAN_INTERVAL, "50ms")), self), self);
                        source.start(new Printer());
                        System.out.println("guarding marks=" + source.markCount());
                        break;
                    }
                    case "thread": {
                        AtomicInteger tid = new AtomicInteger();
                        CountDownLatch known = new CountDownLatch(1);
                        Thread t = new Thread(() -> {
                            try {
                                tid.set(Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self"))
                                        .getFileName().toString()));
                            } catch (Exception e) {
                                tid.set(-1);
                            }
                            known.countDown();
                            try {
                                forever.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
                        t.setDaemon(true);
                        t.start();
                        known.await();
                        String alias = "/proc/" + tid.get() + "/environ";
                        // Marked at the next listing, or never: two listings later the answer is known.
                        long listings = source == null ? 0 : source.rescans();
                        long deadline = System.nanoTime() + 20_000_000_000L;
                        while (source != null && !source.markedPaths().contains(alias) && System.nanoTime() < deadline
                                && source.rescans() < listings + 3) {
                            Thread.sleep(5);
                        }
                        System.out.println("thread tid=" + tid.get() + " marked="
                                + (source != null && source.markedPaths().contains(alias)));
                        break;
                    }
                    case "scrub": {
                        String before = System.getenv(words[1]);
                        ScrubResult r = Hardening.scrub(words[1]);
                        System.out.println("scrubbed entries=" + r.entries() + " bytes=" + r.bytes()
                                + " present=" + (before != null)
                                + " unchanged=" + Objects.equals(before, System.getenv(words[1])));
                        break;
                    }
                    case "nondumpable":
                        Hardening.makeNonDumpable();
                        System.out.println("nondumpable dumpable=" + Hardening.isDumpable());
                        break;
                    case "coverage":
                        System.out.println("coverage " + (source == null ? "none" : source.coverage().watching() + " " + source.coverage().blindSpots()));
                        break;
                    case "exit":
                        if (source != null) {
                            source.close();
                        }
                        System.out.println("bye");
                        return;
                    default:
                        System.out.println("error unknown command " + words[0]);
                }
            } catch (Exception | Error e) {
                System.out.println("error " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    /** One line per access: path, alias, reader pid, possible readers' pids and whether the hidden-reader note is there. */
    private static final class Printer implements AccessListener {
        @Override
        public synchronized void onAccess(EnvironAccess a) {
            System.out.println("access path=" + a.path() + " alias=" + a.alias().id() + " reader=" + a.reader().pid()
                    + " possible=" + a.possibleReaders().stream().map(ProcessInfo::pid).map(String::valueOf)
                    .collect(Collectors.joining(",")) + " hidden-note="
                    + a.notes().contains(TargetedFanotifySource.HIDDEN_READER_NOTE) + " target=" + a.target().pid());
        }

        @Override
        public synchronized void onLoss(LossReport loss) {
            System.out.println("loss " + loss.cause() + " " + loss.count());
        }
    }
}
