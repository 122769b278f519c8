package io.environguard.benchmarks;

import io.environguard.api.AccessKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;
import io.environguard.linux.procfs.ProcfsPollingSource;
import io.environguard.linux.procfs.ProcfsSettings;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.AccessListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Measures what the procfs polling source catches on this machine, at its default interval (or
 * {@code interval=...}), for each way of reading a process's environ: a short read ({@code cat}), a command
 * line naming the file while it runs, a reader holding it open for 3 seconds through each alias, another
 * procfs instance and a container's pid namespace (these two need root: {@code unshare}, {@code mount}),
 * and a self-read (which must never alert). Every process it reads or starts is its own, and is ended.
 *
 * <pre>
 * java -cp environ-guard-benchmarks/target/environ-guard-benchmarks.jar io.environguard.benchmarks.ProcfsCatchRate \
 *     [short=50] [holds=20] [interval=1s]
 * </pre>
 */
public final class ProcfsCatchRate {

    private final List<EnvironAccess> seen = new CopyOnWriteArrayList<>();
    private final List<Process> started = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom(1);

    private ProcfsCatchRate() {
    }

    public static void main(String[] args) throws Exception {
        int shortReads = 50;
        int holds = 20;
        Duration interval = ProcfsSettings.DEFAULT_INTERVAL;
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            switch (kv[0]) {
                case "short": shortReads = Integer.parseInt(kv[1]); break;
                case "holds": holds = Integer.parseInt(kv[1]); break;
                case "interval": interval = Duration.parse("PT" + kv[1].toUpperCase(Locale.ROOT)); break;
                default: throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        new ProcfsCatchRate().run(shortReads, holds, interval);
    }

    private void run(int shortReads, int holds, Duration interval) throws Exception {
        ProcfsPollingSource source = new ProcfsPollingSource(ProcfsSettings.defaults(Path.of("/proc")).withInterval(interval));
        boolean root = isRoot();
        try {
            Process target = start("sleep", "3600");
            Process threaded = start("python3", "-c",
                    "import threading,time; threading.Thread(target=time.sleep, args=(3600,), daemon=True).start(); time.sleep(3600)");
            Thread.sleep(300);
            int thread = nonLeaderThread(threaded.pid());
            long p = target.pid();
            source.start(new AccessListener() {
                @Override
                public void onAccess(EnvironAccess access) {
                    seen.add(access);
                }

                @Override
                public void onLoss(LossReport loss) {
                    System.err.println("loss: " + loss);
                }
            });
            System.out.printf(Locale.ROOT, "interval %s, %d processes on this host%n%n", interval, countProcesses());
            System.out.printf(Locale.ROOT, "%-58s %6s %6s %7s%n", "case", "runs", "caught", "rate");

            report("short read: cat /proc/P/environ (random phase)", shortReads(p, shortReads, interval), shortReads);
            report("command line: sh -c 'sleep 2; cat /proc/P/environ'",
                    batch(holds, () -> sh("sleep 2; cat /proc/" + p + "/environ > /dev/null"), 4, a -> a.kind() == AccessKind.COMMAND_LINE), holds);
            report("held open 3 s: /proc/P/environ",
                    batch(holds, () -> sh("exec 3</proc/" + p + "/environ; sleep 3"), 4, held(p)), holds);
            report("held open 3 s: /proc/P/task/P/environ",
                    batch(holds, () -> sh("exec 3</proc/" + p + "/task/" + p + "/environ; sleep 3"), 4, held(p)), holds);
            if (thread > 0) {
                report("held open 3 s: /proc/T/environ (T a thread, not listed)",
                        batch(holds, () -> sh("exec 3</proc/" + thread + "/environ; sleep 3"), 4, held(threaded.pid())), holds);
            }
            report("held open 3 s: /proc/P/mem",
                    batch(holds, () -> sh("exec 3</proc/" + p + "/mem; sleep 3"), 4, held(p)), holds);
            if (root) {
                report("held open 3 s: another procfs instance (unshare -m, mount -t proc)", batch(holds, () -> start("unshare",
                        "-m", "--propagation", "private", "sh", "-c", "d=$(mktemp -d) && mount -t proc proc $d && exec 3<$d/" + p
                                + "/environ; sleep 3"), 4, held(p)), holds);
                report("held open 3 s: a container's /proc (unshare -fpm --mount-proc)", batch(holds, () -> start("unshare",
                        "-fpm", "--mount-proc", "sh", "-c", "sleep 60 & exec 3</proc/$!/environ; sleep 3"), 4,
                        a -> a.kind() == AccessKind.HELD_OPEN && a.target().pid() != a.reader().pid()
                                && a.target().comm() != null && a.target().comm().equals("sleep")), holds);
            } else {
                System.out.println("(not root: the other-instance and container cases need unshare and mount)");
            }
            Policy policy = new Policy(PolicyConfig.defaults(), ProcessHandle.current().pid());
            List<EnvironAccess> selfReads = new ArrayList<>();
            int self = batch(holds, () -> sh("exec 3</proc/self/environ; sleep 3"), 4, a -> {
                boolean match = a.kind() == AccessKind.HELD_OPEN && a.isSelfRead();
                if (match) {
                    selfReads.add(a);
                }
                return match;
            });
            long alerts = selfReads.stream().filter(a -> policy.evaluate(a).isPresent()).count();
            report("self-read held 3 s: /proc/self/environ (reported as self)", self, holds);
            System.out.printf(Locale.ROOT, "%-58s %6d %6d%n", "  ... of which the policy alerted on", self, alerts);
        } finally {
            source.close();
            for (Process proc : started) {
                proc.descendants().forEach(ProcessHandle::destroyForcibly);
                proc.destroyForcibly();
            }
            for (Process proc : started) {
                proc.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Short reads at random moments: caught when any access names the cat as its reader. */
    private int shortReads(long target, int runs, Duration interval) throws Exception {
        int caught = 0;
        for (int i = 0; i < runs; i++) {
            Thread.sleep(random.nextLong(interval.toMillis() + 1));
            Process cat = new ProcessBuilder("cat", "/proc/" + target + "/environ")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long pid = cat.pid();
            cat.waitFor(5, TimeUnit.SECONDS);
            Thread.sleep(interval.toMillis() + 200); // let the next scan pass
            if (seen.stream().anyMatch(a -> a.reader().pid() == pid)) {
                caught++;
            }
        }
        return caught;
    }

    private interface Starter {
        Process start() throws IOException;
    }

    /** Starts {@code runs} readers, {@code perBatch} at a time, 4.5 s apart; counts those seen doing {@code what}. */
    private int batch(int runs, Starter starter, int perBatch, Predicate<EnvironAccess> what) throws Exception {
        int caught = 0;
        for (int done = 0; done < runs; done += perBatch) {
            List<Set<Long>> readers = new ArrayList<>();
            for (int i = 0; i < Math.min(perBatch, runs - done); i++) {
                Thread.sleep(random.nextLong(300));
                Process p = starter.start();
                Thread.sleep(150);
                Set<Long> family = new HashSet<>();
                family.add(p.pid());
                p.descendants().forEach(d -> family.add(d.pid()));
                readers.add(family);
            }
            Thread.sleep(4500);
            for (Set<Long> family : readers) {
                if (seen.stream().anyMatch(a -> family.contains((long) a.reader().pid()) && what.test(a))) {
                    caught++;
                }
            }
        }
        return caught;
    }

    private static Predicate<EnvironAccess> held(long target) {
        return a -> a.kind() == AccessKind.HELD_OPEN && a.target().pid() == target;
    }

    private Process sh(String script) throws IOException {
        return start("sh", "-c", script);
    }

    private Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        return p;
    }

    private static void report(String name, int caught, int runs) {
        System.out.printf(Locale.ROOT, "%-58s %6d %6d %6.0f%%%n", name, runs, caught, 100.0 * caught / runs);
    }

    private static int nonLeaderThread(long pid) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.map(t -> Integer.parseInt(t.getFileName().toString())).filter(t -> t != pid)
                    .findFirst().orElse(-1);
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                .map(l -> l.split("\\s+")[1]).collect(Collectors.joining()).equals("0");
    }

    private static int countProcesses() throws IOException {
        try (var s = Files.list(Path.of("/proc"))) {
            return (int) s.filter(x -> Character.isDigit(x.getFileName().toString().charAt(0))).count();
        }
    }
}
