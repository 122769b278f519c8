package io.environguard.benchmarks.fanotify;

import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.linux.fanotify.FanotifyHostSource;
import io.environguard.linux.fanotify.FanotifyHostSourceProvider;
import io.environguard.spi.AccessListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * How soon the fanotify host source watches a new mount namespace, on the real kernel (root):
 * <ol>
 *   <li><b>announcement to mark</b>: a namespace whose procfs is already mounted (a private one, and a rootless
 *       {@code unshare -Urpf --mount-proc} one) is announced through
 *       {@link FanotifyHostSource#watchMountNamespaceOf}; the time until {@code coverage()} lists the mark on its
 *       procfs;</li>
 *   <li><b>mount to mark</b>: in a namespace announced before, a procfs is mounted ({@code mount(2)} from a
 *       python helper that reads {@code CLOCK_MONOTONIC} right before the call); the time until the mark is
 *       listed (found through {@code FAN_MNT_ATTACH}: the rescan is set to an hour);</li>
 *   <li><b>catch rate</b>: {@code unshare -Urpf --mount-proc sh -c 'sleep D; cat /proc/1/environ'} for several
 *       delays D, announced the moment {@code unshare} enters its new namespace (a tight {@code readlink} loop
 *       here, standing in for the process table's fork event), and not announced at all (the default 10 s
 *       rescan): how many of the reads become accesses, how many the kernel reported but pid 1 had exited
 *       before the event was read ({@code target_exited}), and how many were not seen.</li>
 * </ol>
 * The harness starts and stops every process it measures; mounts are made only inside the private namespaces
 * it creates, and vanish with them. Timings include the 200 µs granularity of polling {@code coverage()}, and
 * the polling thread competes for the CPU with the guard.
 *
 * <pre>
 * java -cp environ-guard-benchmarks/target/environ-guard-benchmarks.jar \
 *     io.environguard.benchmarks.fanotify.MountNamespaceBench --rounds=30 --catch-runs=20
 * </pre>
 */
public final class MountNamespaceBench {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /**
     * Mounts a procfs on request and says when it called {@code mount(2)} (CLOCK_MONOTONIC, as System.nanoTime reads
     * it on Linux): the mark can be in place before the call returns, so the time before it is the origin.
     */
    private static final String MOUNTER = String.join("\n",
            "import ctypes, sys, time",
            "libc = ctypes.CDLL(None, use_errno=True)",
            "print('ready', flush=True)",
            "for line in sys.stdin:",
            "    where = line.split()[1].encode()",
            "    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC)",
            "    if libc.mount(b'proc', where, b'proc', 0, None) != 0:",
            "        print('error', ctypes.get_errno(), flush=True)",
            "    else:",
            "        print('mounted', before, flush=True)");

    private MountNamespaceBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = intOption(args, "--rounds=", 30);
        int catchRuns = intOption(args, "--catch-runs=", 20);
        Path log = Files.createTempFile("eg-mntns-bench", ".log");
        System.out.printf(Locale.ROOT, "kernel %s, %d cpus, java %s, load %s%n",
                Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.runtime.version"),
                Report.loadAverage());
        Recorder seen = new Recorder();
        FanotifyHostSource source = (FanotifyHostSource) new FanotifyHostSourceProvider().create(GuardConfig.of(Map.of(
                "environguard.source.fanotify.ignore-marks-within", Long.toString(ProcessHandle.current().pid()),
                "environguard.source.fanotify.rescan-interval", "1h")));
        try {
            source.start(seen);
            long[] privateNs = announcementToMark(source, rounds, false, log);
            long[] rootlessNs = announcementToMark(source, rounds, true, log);
            long[] attach = mountToMark(source, rounds, log);
            print("announcement -> procfs marked, private namespace", privateNs);
            print("announcement -> procfs marked, rootless namespace", rootlessNs);
            print("mount(2) -> procfs marked, namespace watched before (FAN_MNT_ATTACH)", attach);
        } finally {
            source.close();
        }

        // The catch rate with the default rescan: what is caught without an announcement is caught by chance.
        Recorder reads = new Recorder();
        FanotifyHostSource guard = (FanotifyHostSource) new FanotifyHostSourceProvider().create(GuardConfig.of(Map.of(
                "environguard.source.fanotify.ignore-marks-within", Long.toString(ProcessHandle.current().pid()))));
        try {
            guard.start(reads);
            for (String delay : List.of("0", "0.001", "0.005", "0.02", "0.05")) {
                Outcome announced = catchRate(guard, reads, delay, catchRuns, true);
                Outcome unannounced = catchRate(guard, reads, delay, catchRuns, false);
                System.out.printf(Locale.ROOT, "%d reads after sleep %-5s: announced: %s; not announced: %s%n",
                        catchRuns, delay, announced, unannounced);
            }
        } finally {
            guard.close();
        }
        System.out.printf(Locale.ROOT, "load after: %s%n", Report.loadAverage());
        Files.deleteIfExists(log);
    }

    /** Announcement to mark, for {@code rounds} new namespaces whose procfs is mounted before they are announced. */
    private static long[] announcementToMark(FanotifyHostSource source, int rounds, boolean rootless, Path log)
            throws IOException {
        long[] out = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "eg-mntns-bench");
            List<String> command = rootless
                    ? List.of("unshare", "-Urpf", "--mount-proc", "python3", "-c", MOUNTER)
                    : List.of("unshare", "--mount", "--propagation", "private", "python3", "-c", MOUNTER);
            try (LineProcess ns = start(command, log)) {
                ns.await("ready", WAIT);
                long pid = rootless ? firstChild(ns.pid()) : ns.pid();
                if (!rootless) {
                    ns.request("mount " + dir, "mounted");
                }
                String namespace = Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/mnt")).toString();
                long start = System.nanoTime();
                source.watchMountNamespaceOf((int) pid, inode(namespace));
                out[i] = awaitMark(source, namespace, rootless ? "/proc" : dir.toString()) - start;
            } finally {
                Files.deleteIfExists(dir);
            }
        }
        return out;
    }

    /** Mount to mark, in namespaces announced (and watched) before their procfs is mounted. */
    private static long[] mountToMark(FanotifyHostSource source, int rounds, Path log) throws IOException {
        long[] out = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "eg-mntns-bench");
            try (LineProcess ns = start(List.of("unshare", "--mount", "--propagation", "private", "python3", "-c",
                    MOUNTER), log)) {
                ns.await("ready", WAIT);
                String namespace = Files.readSymbolicLink(Path.of("/proc/" + ns.pid() + "/ns/mnt")).toString();
                source.watchMountNamespaceOf((int) ns.pid(), inode(namespace));
                sleep(50); // watched by now (the announcement takes a few ms at most)
                ns.send("mount " + dir);
                long marked = awaitMark(source, namespace, dir.toString());
                String answer = ns.await("mounted", WAIT);
                out[i] = marked - Long.parseLong(answer.substring("mounted ".length()).trim());
            } finally {
                Files.deleteIfExists(dir);
            }
        }
        return out;
    }

    /** What became of the reads of one catch-rate series. */
    private record Outcome(int caught, int lostTargetExited, int notSeen) {
        @Override
        public String toString() {
            return caught + " seen, " + lostTargetExited + " lost as target_exited, " + notSeen + " not seen";
        }
    }

    /**
     * What becomes of {@code runs} reads of pid 1's environ in a fresh rootless namespace: seen as an access; seen
     * by the kernel but lost because pid 1 exited before the event was read (a {@code target_exited} loss report
     * while the run lasted: other processes on the machine can cause these too, so this count is an upper bound);
     * or not seen at all.
     */
    private static Outcome catchRate(FanotifyHostSource source, Recorder reads, String delay, int runs,
                                     boolean announce) throws IOException, InterruptedException {
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
        int caught = 0;
        int lost = 0;
        int notSeen = 0;
        for (int i = 0; i < runs; i++) {
            ProcessBuilder pb = new ProcessBuilder("unshare", "-Urpf", "--mount-proc", "sh", "-c",
                    "sleep " + delay + "; cat /proc/1/environ >/dev/null")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            pb.environment().put("PATH", PATH);
            long lostBefore = reads.targetExited.get();
            Process unshare = pb.start();
            try {
                String namespace = awaitNewNamespace(unshare.pid(), own);
                if (namespace == null) {
                    notSeen++;
                    continue;
                }
                if (announce) {
                    source.watchMountNamespaceOf((int) unshare.pid(), inode(namespace));
                }
                unshare.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                // Generous: on a loaded 2-vCPU machine resolution can lag; a late access still counts here.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (System.nanoTime() < deadline && !reads.sawReadIn(namespace)) {
                    sleep(5);
                }
                if (reads.sawReadIn(namespace)) {
                    caught++;
                } else if (reads.targetExited.get() > lostBefore) {
                    lost++;
                } else {
                    notSeen++;
                }
                reads.accesses.clear();
            } finally {
                unshare.destroyForcibly();
                unshare.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        return new Outcome(caught, lost, notSeen);
    }

    /** Spins on {@code readlink /proc/<pid>/ns/mnt} until it is not {@code own}; {@code null} if it never is. */
    private static String awaitNewNamespace(long pid, String own) {
        Path link = Path.of("/proc/" + pid + "/ns/mnt");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                String ns = Files.readSymbolicLink(link).toString();
                if (!ns.equals(own)) {
                    return ns;
                }
            } catch (IOException e) {
                return null;
            }
            Thread.onSpinWait();
        }
        return null;
    }

    /**
     * Polls {@code coverage()} every 200 µs until it lists a filesystem mark on a procfs mounted at
     * {@code mountPoint} in {@code namespace}; the time then. The mount point matters: a new namespace is a copy of
     * its parent's mount table, so on a shared machine it also holds copies of other people's procfs mounts.
     */
    private static long awaitMark(FanotifyHostSource source, String namespace, String mountPoint) {
        java.util.regex.Pattern mark = java.util.regex.Pattern.compile("filesystem mark \\(FAN_OPEN\\) on procfs \\S+ at"
                + " (.*, )?" + java.util.regex.Pattern.quote(mountPoint) + "(, .*)? in mount namespace "
                + java.util.regex.Pattern.quote(namespace) + " .*");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : source.coverage().watching()) {
                if (mark.matcher(line).matches()) {
                    return System.nanoTime();
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        throw new IllegalStateException("no mark at " + mountPoint + " in " + namespace + " within " + WAIT + ": "
                + source.coverage());
    }

    private static LineProcess start(List<String> command, Path log) {
        return LineProcess.start(command.get(0), command, log);
    }

    private static long firstChild(long pid) throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String kids = Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim();
            if (!kids.isEmpty()) {
                return Long.parseLong(kids.split("\\s+")[0]);
            }
            sleep(1);
        }
        throw new IllegalStateException("process " + pid + " started no child");
    }

    private static long inode(String namespace) {
        return Long.parseLong(namespace.substring(namespace.indexOf('[') + 1, namespace.indexOf(']')));
    }

    private static void print(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        java.util.Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%-72s n=%d  first %.2f ms  p50 %.2f ms  p90 %.2f ms  max %.2f ms%n", what,
                nanos.length, nanos[0] / 1e6, Summary.percentile(sorted, 50) / 1e6,
                Summary.percentile(sorted, 90) / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    private static int intOption(String[] args, String prefix, int fallback) {
        for (String a : args) {
            if (a.startsWith(prefix)) {
                return Integer.parseInt(a.substring(prefix.length()));
            }
        }
        return fallback;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Keeps the accesses a source delivers. */
    private static final class Recorder implements AccessListener {
        final List<EnvironAccess> accesses = new CopyOnWriteArrayList<>();

        @Override
        public void onAccess(EnvironAccess access) {
            accesses.add(access);
        }

        final java.util.concurrent.atomic.AtomicLong targetExited = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public void onLoss(LossReport loss) {
            if (loss.cause().equals("target_exited")) {
                targetExited.addAndGet(loss.count());
            }
        }

        boolean sawReadIn(String namespace) {
            List<EnvironAccess> copy = new ArrayList<>(accesses);
            return copy.stream().anyMatch(a -> a.path().equals("/proc/1/environ")
                    && a.notes().stream().anyMatch(n -> n.contains(namespace)));
        }
    }
}
