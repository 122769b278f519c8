package io.environguard.linux.procfs;

import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.Rules;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.testkit.FdSpec;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Model-based test of the polling source, the /proc resolver and the policy together (issue 6, part 4).
 *
 * <p>A jqwik {@link ActionChain} drives a simulated {@code /proc}: processes spawn, exec (their command line
 * may name another process's environ), start and end threads, hold environ or mem files open (through the
 * process, task, thread and self aliases, from the leader or another thread), close them, read them briefly
 * (open and close before the next scan), exit, and have their pid reused; the clock advances. After every
 * step the source scans once, synchronously, and the real {@link Policy} judges what it reports.
 *
 * <p>The model is the world as polling can observe it: at each scan, a descriptor on an environ or mem file
 * that was not there (with that path, for that process) at the previous scan is a read, its target being
 * whoever owns the pid in the path now; a command line not seen before for a process names reads. A short
 * read, opened and closed between two scans, is invisible to polling by nature, and the model says so.
 * Invariants, after every step: no self-read alerts; every other read alerts exactly once per dedupe window
 * (per reader, target and file), with the rule the policy's order gives; the guard's own process is never a
 * reader; no exception escapes.
 *
 * <p>Sizes: 150 chains of up to 40 steps (about 6,000 steps and scans), a few seconds.
 */
class ProcfsModelTest {

    private static final Duration DEDUPE = PolicyConfig.DEFAULT_DEDUPE_WINDOW;
    private static final Pattern PROC_FILE = Pattern.compile("^/proc/(\\d+|self)(?:/task/(\\d+))?/(environ|mem)$");
    private static final List<String> EXES = List.of("/usr/bin/cat", "/bin/sh", "/usr/bin/ps", "/usr/bin/python3");

    /** Worlds created by chains of this try, closed after it (a chain that fails has no final state to close). */
    private static final Queue<World> CREATED = new ConcurrentLinkedQueue<>();

    @AfterTry
    void closeWorlds() {
        World w;
        while ((w = CREATED.poll()) != null) {
            w.close();
        }
    }

    @Property
    void pollingSourceResolverAndPolicyAgreeWithTheModel(@ForAll("chains") ActionChain<World> chain) {
        chain.withInvariant("no self-read alerts", World::noSelfReadAlerts)
                .withInvariant("the guard is never a reader", World::guardNeverReads)
                .run();
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        return ActionChain.<World>startWith(World::create)
                .withAction(3, new Spawn())
                .withAction(2, new Exec())
                .withAction(2, new AddThread())
                .withAction(1, new EndThread())
                .withAction(6, new HoldOpen())
                .withAction(2, new Close())
                .withAction(2, new ShortRead())
                .withAction(2, new Exit())
                .withAction(2, new Reuse())
                .withAction(1, new Run())
                .withAction(2, new AdvanceClock())
                .withMaxTransformations(40);
    }

    // ================================================================ the world: simulation + source + policy + model

    static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    /** What the model knows of a process. */
    static final class Proc {
        final int pid;
        final long start;
        String exe;
        List<String> cmdline;
        final List<Integer> tids = new ArrayList<>();
        final TreeMap<Integer, String> fds = new TreeMap<>();

        Proc(SimProcess p) {
            this.pid = p.pid();
            this.start = p.startTime();
            this.exe = p.spec().exe();
            this.cmdline = p.spec().cmdline();
            tids.add(pid);
            fds.put(0, "/dev/null");
            fds.put(1, "/dev/null");
            fds.put(2, "/dev/null");
        }

        int lowestFreeFd() {
            int fd = 0;
            while (fds.containsKey(fd)) {
                fd++;
            }
            return fd;
        }

        @Override
        public String toString() {
            return pid + "@" + start + " " + exe;
        }
    }

    record FdKey(int pid, long start, int fd) {
    }

    /** A reader, target and file, as the policy's dedupe sees them. */
    record Pair(int readerPid, long readerStart, String readerExe, int targetPid, long targetStart, ProcFile file) {
    }

    static final class World {
        final SimulatedProcFs fs;
        final MutableClock clock = new MutableClock();
        final ProcfsPollingSource source;
        final Policy policy;
        final int guard;
        final TreeMap<Integer, Proc> procs = new TreeMap<>();
        /** Descriptors on environ/mem files seen at the last scan, with the path they showed. */
        Map<FdKey, String> observed = new HashMap<>();
        /** The command line last searched, per process. */
        final Map<List<Long>, List<String>> seenCommandLines = new HashMap<>();
        final Map<Pair, Instant> lastAlert = new HashMap<>();
        final List<Alert> alerts = new ArrayList<>();
        int steps;

        private World() {
            try {
                fs = SimulatedProcFs.create();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            CREATED.add(this);
            SimProcess g = fs.spawn(ProcessSpec.builder().comm("java").exe("/usr/lib/jvm/bin/java").cmdline("java").build());
            fs.setCurrent(g.pid());
            guard = g.pid();
            procs.put(guard, new Proc(g));
            source = new ProcfsPollingSource(ProcfsSettings.defaults(fs.root()).withScanBudget(Duration.ofMinutes(5)), clock);
            policy = new Policy(PolicyConfig.builder().sweepThreshold(PolicyConfig.MAX_SWEEP_THRESHOLD).build(), guard);
        }

        static World create() {
            World w = new World();
            for (String comm : List.of("sleep", "bash", "cat")) {
                w.spawn(ProcessSpec.builder().comm(comm).exe("/usr/bin/" + comm).cmdline(comm).build());
            }
            w.scanAndCheck("initial scan");
            return w;
        }

        void close() {
            source.close();
            try {
                fs.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        List<Integer> pids() {
            return new ArrayList<>(procs.keySet());
        }

        List<Integer> others() {
            List<Integer> out = pids();
            out.remove(Integer.valueOf(guard));
            return out;
        }

        Proc spawn(ProcessSpec spec) {
            Proc p = new Proc(fs.spawn(spec));
            procs.put(p.pid, p);
            return p;
        }

        /** Who owns id {@code id} now: the process itself, or the process of that thread; -1 when nobody. */
        int ownerOf(int id) {
            if (procs.containsKey(id)) {
                return id;
            }
            for (Proc p : procs.values()) {
                if (p.tids.contains(id)) {
                    return p.pid;
                }
            }
            return -1;
        }

        // ---------------------------------------------------------------- one scan, and what the model expects of it

        void scanAndCheck(String step) {
            steps++;
            Recorder rec = new Recorder();
            try {
                source.scanOnce(rec);
            } catch (IOException e) {
                throw new UncheckedIOException(step, e);
            }
            List<Alert> got = new ArrayList<>();
            for (EnvironAccess a : rec.accesses()) {
                policy.evaluate(a).ifPresent(got::add);
            }
            alerts.addAll(got);

            List<Pair> reads = expectedReads();
            Map<Pair, Integer> expected = new HashMap<>();
            Set<Pair> counted = new HashSet<>();
            for (Pair r : reads) {
                if (r.readerPid() == r.targetPid() || !counted.add(r)) {
                    continue; // a self-read, or the same pair twice in one scan: at most one alert
                }
                Instant last = lastAlert.get(r);
                if (last == null || Duration.between(last, clock.instant()).compareTo(DEDUPE) >= 0) {
                    expected.put(r, 1);
                    lastAlert.put(r, clock.instant());
                }
            }
            Map<Pair, Integer> actual = new HashMap<>();
            for (Alert a : got) {
                EnvironAccess x = a.access();
                actual.merge(new Pair(x.reader().pid(), x.reader().startTime(), x.reader().exe(), x.target().pid(),
                        x.target().startTime(), x.file()), 1, Integer::sum);
                assertEquals(expectedRule(x), a.rule(), () -> step + ": rule of " + x);
            }
            assertEquals(expected, actual, () -> step + ": alerts (model " + procs.values() + ", accesses "
                    + rec.accesses() + ")");
        }

        /** The reads polling can see at this scan, in the model's terms; updates what it has observed. */
        private List<Pair> expectedReads() {
            List<Pair> reads = new ArrayList<>();
            Map<FdKey, String> now = new HashMap<>();
            for (Proc p : procs.values()) {
                if (p.pid == guard) {
                    continue;
                }
                List<Long> id = List.of((long) p.pid, p.start);
                if (!p.cmdline.equals(seenCommandLines.get(id))) {
                    seenCommandLines.put(id, p.cmdline);
                    for (String arg : p.cmdline.subList(Math.min(1, p.cmdline.size()), p.cmdline.size())) {
                        String path = arg.startsWith("if=") ? arg.substring(3) : arg;
                        target(p, path).ifPresent(reads::add);
                    }
                }
                for (Map.Entry<Integer, String> fd : p.fds.entrySet()) {
                    if (!PROC_FILE.matcher(fd.getValue()).matches()) {
                        continue;
                    }
                    FdKey key = new FdKey(p.pid, p.start, fd.getKey());
                    now.put(key, fd.getValue());
                    if (!fd.getValue().equals(observed.get(key))) {
                        target(p, fd.getValue()).ifPresent(reads::add);
                    }
                }
            }
            observed = now;
            return reads;
        }

        /** The read of {@code path} by {@code reader}, resolved against who owns its pids now. */
        private Optional<Pair> target(Proc reader, String path) {
            Matcher m = PROC_FILE.matcher(path);
            if (!m.matches()) {
                return Optional.empty();
            }
            ProcFile file = m.group(3).equals("mem") ? ProcFile.MEM : ProcFile.ENVIRON;
            int targetPid;
            long targetStart;
            if (m.group(1).equals("self")) {
                targetPid = reader.pid;
                targetStart = reader.start;
            } else {
                int named = Integer.parseInt(m.group(1));
                int owner = m.group(2) != null ? ownerOf(Integer.parseInt(m.group(2))) : ownerOf(named);
                if (owner < 0 && m.group(2) != null) {
                    owner = ownerOf(named);
                }
                targetPid = owner > 0 ? owner : named;
                targetStart = owner > 0 ? procs.get(owner).start : -1;
            }
            return Optional.of(new Pair(reader.pid, reader.start, reader.exe, targetPid, targetStart, file));
        }

        private String expectedRule(EnvironAccess x) {
            if (x.target().pid() == guard) {
                return Rules.PROTECTED_TARGET;
            }
            if (x.file() == ProcFile.MEM) {
                return Rules.MEM_READ;
            }
            return PolicyConfig.DEFAULT_KNOWN_READERS.contains(x.reader().exe()) ? Rules.KNOWN_READER : Rules.ENVIRON_READ;
        }

        // ---------------------------------------------------------------- invariants

        void noSelfReadAlerts() {
            for (Alert a : alerts) {
                assertNotEquals(a.access().reader().pid(), a.access().target().pid(), () -> "self-read alerted: " + a);
            }
        }

        void guardNeverReads() {
            for (Alert a : alerts) {
                assertNotEquals(guard, a.access().reader().pid(), () -> "the guard as a reader: " + a);
            }
        }

        @Override
        public String toString() {
            return "World" + procs.values();
        }
    }

    // ================================================================ actions

    /** A path to {@code target}'s file through {@code alias}: 0 process, 1 task, 2 thread, 3 self. */
    private static String path(World w, int reader, int target, int alias, ProcFile file, int pick) {
        Proc t = w.procs.get(target);
        int tid = t.tids.get(Math.floorMod(pick, t.tids.size()));
        switch (alias) {
            case 1:
                return "/proc/" + target + "/task/" + tid + "/" + file.id();
            case 2:
                return "/proc/" + tid + "/" + file.id();
            case 3:
                return "/proc/self/" + file.id();
            default:
                return "/proc/" + target + "/" + file.id();
        }
    }

    /** A command line: most name nothing; some name another process's environ or mem, or the reader's own. */
    private static Arbitrary<List<String>> commandLines(World w) {
        Arbitrary<Integer> pid = Arbitraries.of(w.pids()).injectDuplicates(0.1)
                .map(p -> p).injectNull(0.0);
        Arbitrary<Integer> deadPid = Arbitraries.integers().between(90, 99);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.of(List.of("sleep", "600"), List.of("bash"))),
                net.jqwik.api.Tuple.of(2, pid.map(p -> List.of("cat", "/proc/" + p + "/environ"))),
                net.jqwik.api.Tuple.of(1, pid.map(p -> List.of("dd", "if=/proc/" + p + "/mem"))),
                net.jqwik.api.Tuple.of(1, deadPid.map(p -> List.of("cat", "/proc/" + p + "/environ"))),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(List.of("cat", "/proc/self/environ"))));
    }

    static final class Spawn implements Action.Dependent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Combinators.combine(Arbitraries.of(EXES), commandLines(w)).as((exe, args) -> Transformer.mutate(
                    "spawn " + exe + " " + args, (World s) -> {
                        s.spawn(ProcessSpec.builder().comm(exe.substring(exe.lastIndexOf('/') + 1)).exe(exe).cmdline(args).build());
                        s.scanAndCheck("spawn");
                    }));
        }
    }

    static final class Exec implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.others().isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Combinators.combine(Arbitraries.of(w.others()), Arbitraries.of(EXES), commandLines(w))
                    .as((pid, exe, args) -> Transformer.mutate("exec " + pid + " " + exe + " " + args, (World s) -> {
                        s.fs.exec(pid, exe, args.toArray(new String[0]));
                        Proc p = s.procs.get(pid);
                        p.exe = exe;
                        p.cmdline = args;
                        p.tids.retainAll(List.of(pid));
                        s.scanAndCheck("exec");
                    }));
        }
    }

    static final class AddThread implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.others().isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.others()).map(pid -> Transformer.mutate("thread in " + pid, (World s) -> {
                s.procs.get(pid).tids.add(s.fs.addThread(pid));
                s.scanAndCheck("thread");
            }));
        }
    }

    static final class EndThread implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return w.procs.values().stream().anyMatch(p -> p.tids.size() > 1);
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            List<List<Integer>> threads = new ArrayList<>();
            for (Proc p : w.procs.values()) {
                p.tids.stream().filter(t -> t != p.pid).forEach(t -> threads.add(List.of(p.pid, t)));
            }
            return Arbitraries.of(threads).map(pt -> Transformer.mutate("end thread " + pt, (World s) -> {
                s.fs.exitThread(pt.get(0), pt.get(1));
                s.procs.get(pt.get(0)).tids.remove(pt.get(1));
                s.scanAndCheck("end thread");
            }));
        }
    }

    static final class HoldOpen implements Action.Dependent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            // the guard may hold files too: it must never be reported as a reader
            return Combinators.combine(Arbitraries.of(w.pids()), Arbitraries.of(w.pids()), Arbitraries.integers().between(0, 3),
                    Arbitraries.of(ProcFile.class), Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 7))
                    .as((reader, target, alias, file, pick, byThread) -> Transformer.mutate(
                            "hold " + reader + " -> " + target + " alias " + alias + " " + file, (World s) -> {
                                Proc r = s.procs.get(reader);
                                String path = path(s, reader, target, alias, file, pick);
                                int fd = r.lowestFreeFd();
                                int tid = r.tids.get(Math.floorMod(byThread, r.tids.size()));
                                s.fs.openFd(reader, tid, new FdSpec(fd, path));
                                r.fds.put(fd, path);
                                s.scanAndCheck("hold open");
                            }));
        }
    }

    static final class Close implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return w.procs.values().stream().anyMatch(p -> p.fds.size() > 3);
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            List<List<Integer>> open = new ArrayList<>();
            for (Proc p : w.procs.values()) {
                p.fds.keySet().stream().filter(fd -> fd > 2).forEach(fd -> open.add(List.of(p.pid, fd)));
            }
            return Arbitraries.of(open).map(pf -> Transformer.mutate("close " + pf, (World s) -> {
                s.fs.closeFd(pf.get(0), pf.get(1));
                s.procs.get(pf.get(0)).fds.remove(pf.get(1));
                s.scanAndCheck("close");
            }));
        }
    }

    /** Open, read, close between two scans: what {@code cat /proc/P/environ} does. Invisible to polling. */
    static final class ShortRead implements Action.Dependent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Combinators.combine(Arbitraries.of(w.others()).injectNull(0.0), Arbitraries.of(w.pids()))
                    .as((reader, target) -> Transformer.mutate("short read " + reader + " -> " + target, (World s) -> {
                        if (reader == null) {
                            s.scanAndCheck("short read (no reader)");
                            return;
                        }
                        int fd = s.fs.openFd(reader, "/proc/" + target + "/environ");
                        s.fs.closeFd(reader, fd);
                        s.scanAndCheck("short read");
                    }));
        }

        @Override
        public boolean precondition(World w) {
            return !w.others().isEmpty();
        }
    }

    static final class Exit implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.others().isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.others()).map(pid -> Transformer.mutate("exit " + pid, (World s) -> {
                s.fs.exit(pid);
                s.procs.remove(pid);
                s.scanAndCheck("exit");
            }));
        }
    }

    static final class Reuse implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.others().isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Combinators.combine(Arbitraries.of(w.others()), Arbitraries.of(EXES), commandLines(w))
                    .as((pid, exe, args) -> Transformer.mutate("reuse " + pid + " as " + exe + " " + args, (World s) -> {
                        SimProcess p = s.fs.reusePid(pid, ProcessSpec.builder()
                                .comm(exe.substring(exe.lastIndexOf('/') + 1)).exe(exe).cmdline(args).build());
                        s.procs.put(pid, new Proc(p));
                        s.scanAndCheck("reuse");
                    }));
        }
    }

    /** A process runs without visible effect: nothing to report, though it is re-read. */
    static final class Run implements Action.Dependent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.pids()).map(pid -> Transformer.mutate("run " + pid, (World s) -> {
                s.fs.run(pid);
                s.scanAndCheck("run");
            }));
        }
    }

    static final class AdvanceClock implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.of(1L, 30L, 59L, 60L, 61L, 120L).map(seconds -> Transformer.mutate("+" + seconds + "s",
                    (World s) -> {
                        s.clock.advance(Duration.ofSeconds(seconds));
                        s.scanAndCheck("advance clock");
                    }));
        }
    }
}
