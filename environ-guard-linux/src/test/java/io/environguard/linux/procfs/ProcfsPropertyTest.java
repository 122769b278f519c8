package io.environguard.linux.procfs;

import io.environguard.api.AccessKind;
import io.environguard.api.AliasKind;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.policy.Policy;
import io.environguard.policy.PolicyConfig;
import io.environguard.testkit.FdSpec;
import io.environguard.testkit.KernelPaths;
import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the polling source over generated simulated trees. One tree per container (spawning is the
 * expensive part); each try spawns its processes, scans with a fresh source, and ends them.
 */
class ProcfsPropertyTest {

    private static final String OTHER_MOUNT = "/run/ctr/proc";
    private static SimWorld world;

    @BeforeContainer
    static void createTree() {
        world = SimWorld.create();
        world.fs.addProcMount(OTHER_MOUNT);
    }

    @AfterContainer
    static void deleteTree() {
        world.close();
    }

    /** Each try starts from a tree holding only the guard, whatever an earlier (failed, shrunk) try left. */
    @BeforeTry
    void onlyTheGuard() {
        for (SimProcess p : world.fs.processes()) {
            if (p.pid() != world.guard.pid()) {
                world.fs.exit(p.pid());
            }
        }
    }

    /** One descriptor to open: reader and target are indices into the spawned processes. */
    record Hold(int reader, int target, AliasKind alias, ProcFile file, int fd) {
    }

    record Case(List<ProcessSpec> specs, List<Integer> threads, List<Hold> holds) {
    }

    /**
     * Every descriptor held open on an environ or mem file is found, exactly once, whatever the alias, the
     * names of the processes or the descriptor's number; and through the policy, no self-read alerts while
     * every other process's read does.
     */
    @Property(tries = 300)
    void everyHeldOpenFileIsFoundOnce(@ForAll("cases") Case c) throws IOException {
        List<SimProcess> ps = spawn(c);
        try {
            Map<List<Integer>, String> expected = new HashMap<>(); // (reader, fd) -> path, last open wins (dup2)
            Map<List<Integer>, Hold> how = new HashMap<>();
            for (Hold h : c.holds()) {
                SimProcess reader = ps.get(h.reader());
                SimProcess target = ps.get(h.target());
                String path = path(h, target);
                world.fs.openFd(reader.pid(), new FdSpec(h.fd(), path));
                expected.put(List.of(reader.pid(), h.fd()), path);
                how.put(List.of(reader.pid(), h.fd()), h);
            }
            Recorder rec = new Recorder();
            world.source().scanOnce(rec);

            List<EnvironAccess> held = rec.held();
            assertEquals(expected.size(), held.size(), () -> "expected " + expected + ", got " + held);
            Map<String, Integer> seen = new HashMap<>();
            for (EnvironAccess a : held) {
                seen.merge(a.reader().pid() + " " + a.path(), 1, Integer::sum);
            }
            for (Map.Entry<List<Integer>, String> e : expected.entrySet()) {
                Hold h = how.get(e.getKey());
                SimProcess reader = ps.get(h.reader());
                SimProcess target = ps.get(h.target());
                EnvironAccess a = held.stream().filter(x -> x.reader().pid() == reader.pid() && e.getValue().equals(x.path()))
                        .findFirst().orElseThrow(() -> new AssertionError("not found: " + e));
                assertEquals(reader.startTime(), a.reader().startTime());
                assertEquals(h.file(), a.file());
                assertEquals(h.alias() == AliasKind.SELF ? reader.pid() : target.pid(), a.target().pid(), a::toString);
                AliasKind alias = h.alias() == AliasKind.THREAD && target.tids().size() == 1 ? AliasKind.PROCESS : h.alias();
                assertEquals(alias, a.alias(), a::toString);
            }
            // the same reader and path on two descriptors is two accesses: count per (reader, path)
            Map<String, Integer> wanted = new HashMap<>();
            expected.forEach((k, v) -> wanted.merge(k.get(0) + " " + v, 1, Integer::sum));
            assertEquals(wanted, seen);

            Policy policy = new Policy(PolicyConfig.builder().sweepThreshold(PolicyConfig.MAX_SWEEP_THRESHOLD).build(),
                    world.guard.pid());
            Set<List<Object>> alerted = new HashSet<>();
            for (EnvironAccess a : rec.accesses()) {
                Optional<Alert> alert = policy.evaluate(a);
                if (a.isSelfRead()) {
                    assertTrue(alert.isEmpty(), () -> "a self-read alerted: " + a);
                } else if (a.kind() == AccessKind.HELD_OPEN) {
                    List<Object> pair = List.of(a.reader().pid(), a.target().pid(), a.target().startTime(), a.file());
                    assertEquals(alerted.add(pair), alert.isPresent(), () -> "one alert per pair: " + a);
                }
            }
        } finally {
            exitAll(ps);
        }
    }

    /**
     * A pid reused between scans is another process: its descriptors are reported with its own start time,
     * never taken for the earlier process's (already reported) ones.
     */
    @Property(tries = 200)
    void aReusedPidIsNeverTheSameProcess(@ForAll("specs") List<ProcessSpec> incarnations,
                                         @ForAll("reopen") List<Boolean> reopen) throws IOException {
        SimProcess target = world.spawn("sleep");
        SimProcess reader = world.fs.spawn(incarnations.get(0));
        ProcfsPollingSource source = world.source();
        Recorder rec = new Recorder();
        String path = KernelPaths.environ(target.pid());
        world.fs.openFd(reader.pid(), new FdSpec(3, path));
        try {
            source.scanOnce(rec);
            assertEquals(reader.startTime(), single(rec.held()).reader().startTime());
            for (int i = 1; i < incarnations.size(); i++) {
                rec.clear();
                reader = world.fs.reusePid(reader.pid(), incarnations.get(i));
                boolean opens = reopen.get(i % reopen.size());
                if (opens) {
                    world.fs.openFd(reader.pid(), new FdSpec(3, path));
                }
                ScanResult r = source.scanOnce(rec);
                assertEquals(1, r.newProcesses(), r::toString);
                if (opens) {
                    assertEquals(reader.startTime(), single(rec.held()).reader().startTime());
                } else {
                    assertTrue(rec.held().isEmpty(), () -> "a new process without the descriptor: " + rec.held());
                }
            }
        } finally {
            world.fs.exit(reader.pid());
            world.fs.exit(target.pid());
        }
    }

    /**
     * Processes that exit (and pids that are reused) while a scan runs never make it fail; whatever it
     * reports names processes that existed.
     */
    @Property(tries = 40)
    void vanishingProcessesNeverFailAScan(@ForAll("cases") Case c) throws Exception {
        List<SimProcess> ps = spawn(c);
        Set<Integer> pids = new HashSet<>();
        ps.forEach(p -> pids.add(p.pid()));
        for (Hold h : c.holds()) {
            world.fs.openFd(ps.get(h.reader()).pid(), new FdSpec(h.fd(), path(h, ps.get(h.target()))));
        }
        ProcfsPollingSource source = world.source();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread churn = new Thread(() -> {
            try {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < 200 && !stop.get(); i++) {
                    SimProcess p = ps.get(random.nextInt(ps.size()));
                    if (random.nextBoolean()) {
                        world.fs.exit(p.pid());
                    } else {
                        world.fs.reusePid(p.pid(), ProcessSpec.builder().comm("x) (y").build());
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        Recorder rec = new Recorder();
        churn.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            do {
                ScanResult r = source.scanOnce(rec);
                assertTrue(r.examined() + r.unchanged() + r.vanished() <= r.processes(), r::toString);
            } while (churn.isAlive() && System.nanoTime() < deadline);
        } finally {
            stop.set(true);
            churn.join(Duration.ofSeconds(10).toMillis());
            exitAll(ps);
        }
        assertNull(failure.get());
        for (EnvironAccess a : rec.accesses()) {
            assertTrue(pids.contains(a.reader().pid()), a::toString);
            assertFalse(a.reader().pid() == world.guard.pid());
        }
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<List<ProcessSpec>> specs = ProcArbitraries.processSpecs().list().ofMinSize(1).ofMaxSize(4);
        return specs.flatMap(s -> {
            int n = s.size();
            Arbitrary<List<Integer>> threads = Arbitraries.integers().between(0, 2).list().ofSize(n);
            Arbitrary<Hold> hold = Combinators.combine(Arbitraries.integers().between(0, n - 1),
                    Arbitraries.integers().between(0, n - 1),
                    Arbitraries.of(AliasKind.PROCESS, AliasKind.TASK, AliasKind.THREAD, AliasKind.SELF,
                            AliasKind.OTHER_PROC_MOUNT),
                    Arbitraries.of(ProcFile.class),
                    Arbitraries.oneOf(Arbitraries.integers().between(3, 12), Arbitraries.integers().between(13, 1_048_575)))
                    .as(Hold::new);
            return Combinators.combine(threads, hold.list().ofMaxSize(6)).as((t, h) -> new Case(s, t, h));
        });
    }

    @Provide
    Arbitrary<List<ProcessSpec>> specs() {
        return ProcArbitraries.processSpecs().list().ofMinSize(2).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<Boolean>> reopen() {
        return Arbitraries.of(true, false).list().ofMinSize(1).ofMaxSize(4);
    }

    // ---------------------------------------------------------------- helpers

    private static List<SimProcess> spawn(Case c) {
        List<SimProcess> ps = new ArrayList<>();
        for (int i = 0; i < c.specs().size(); i++) {
            SimProcess p = world.fs.spawn(c.specs().get(i));
            for (int t = 0; t < c.threads().get(i); t++) {
                world.fs.addThread(p.pid());
            }
            ps.add(world.fs.process(p.pid()).orElseThrow());
        }
        return ps;
    }

    /** The path of a hold: thread aliases use the target's last thread (its leader when it has no other). */
    private static String path(Hold h, SimProcess target) {
        int tid = target.tids().get(target.tids().size() - 1);
        switch (h.alias()) {
            case SELF:
                return KernelPaths.of(AliasKind.SELF, h.file(), KernelPaths.PROC, 0, 0);
            case OTHER_PROC_MOUNT:
                // the simulated instance is not mounted anywhere real: its pids cannot be mapped, and are kept
                return KernelPaths.of(AliasKind.OTHER_PROC_MOUNT, h.file(), OTHER_MOUNT, target.pid(), 0);
            case THREAD:
                return tid == target.pid() ? KernelPaths.of(AliasKind.PROCESS, h.file(), KernelPaths.PROC, target.pid(), 0)
                        : KernelPaths.of(AliasKind.THREAD, h.file(), KernelPaths.PROC, target.pid(), tid);
            default:
                return KernelPaths.of(h.alias(), h.file(), KernelPaths.PROC, target.pid(), tid);
        }
    }

    private static void exitAll(List<SimProcess> ps) {
        for (SimProcess p : ps) {
            world.fs.exit(p.pid());
        }
    }

    private static <T> T single(List<T> list) {
        assertEquals(1, list.size(), list::toString);
        return list.get(0);
    }
}
