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
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the polling source over simulated trees. Spawning a simulated process costs about half a
 * millisecond, so one tree serves the whole class: a pool of processes lives in it, of which the
 * single-threaded ones take a generated image (name, executable, command line: {@code execve}) at every try,
 * and the others keep threads with the names that break parsers. Each try scans with a fresh source.
 */
class ProcfsPropertyTest {

    private static final String OTHER_MOUNT = "/run/ctr/proc";
    /** Pool processes that exec a generated image each try. */
    private static final int PLAIN = 2;
    private static final List<String> THREADED_COMMS = List.of("Web Content (pid 7)", "x\n) R 5 6");

    private static SimWorld world;
    /** Indices 0..PLAIN-1: single-threaded; the rest: two extra threads each. */
    private static List<SimProcess> pool;

    @BeforeContainer
    static void createTree() {
        world = SimWorld.create();
        world.fs.addProcMount(OTHER_MOUNT);
        pool = new ArrayList<>();
        for (int i = 0; i < PLAIN; i++) {
            pool.add(world.spawn("plain" + i));
        }
        for (String comm : THREADED_COMMS) {
            SimProcess p = world.fs.spawn(ProcessSpec.builder().comm(comm).build());
            world.fs.addThread(p.pid(), comm.getBytes(StandardCharsets.UTF_8));
            world.fs.addThread(p.pid(), "worker".getBytes(StandardCharsets.UTF_8));
            pool.add(world.fs.process(p.pid()).orElseThrow());
        }
    }

    @AfterContainer
    static void deleteTree() {
        world.close();
    }

    /** Each try starts with the pool holding only its standard descriptors, and nothing else alive but the guard. */
    @BeforeTry
    void onlyThePool() {
        Set<Integer> keep = new HashSet<>();
        pool.forEach(p -> keep.add(p.pid()));
        keep.add(world.guard.pid());
        for (SimProcess p : world.fs.processes()) {
            if (!keep.contains(p.pid())) {
                world.fs.exit(p.pid());
            }
        }
        for (SimProcess p : pool) {
            for (FdSpec fd : world.fs.fds(p.pid())) {
                if (fd.fd() > 2) {
                    world.fs.closeFd(p.pid(), fd.fd());
                }
            }
        }
    }

    /** One descriptor to open: reader and target are indices into the pool. */
    record Hold(int reader, int target, AliasKind alias, ProcFile file, int fd) {
    }

    /**
     * Every descriptor held open on an environ or mem file is found, exactly once, whatever the alias, the
     * names of the processes or the descriptor's number; and through the policy, no self-read alerts while
     * every other process's read alerts once per reader, target and file.
     */
    @Property
    void everyHeldOpenFileIsFoundOnce(@ForAll("image") ProcessSpec image, @ForAll("holds") List<Hold> holds)
            throws IOException {
        // one of the single-threaded processes takes a new name, executable and command line each try
        world.fs.exec(pool.get(Math.floorMod(image.hashCode(), PLAIN)).pid(), image);
        Map<List<Integer>, Hold> expected = new HashMap<>(); // (reader, fd) -> the last open wins, as dup2 does
        for (Hold h : holds) {
            SimProcess reader = pool.get(h.reader());
            world.fs.openFd(reader.pid(), new FdSpec(h.fd(), path(h, pool.get(h.target()))));
            expected.put(List.of(reader.pid(), h.fd()), h);
        }
        Recorder rec = new Recorder();
        world.source().scanOnce(rec);

        List<EnvironAccess> held = rec.held();
        Map<String, Integer> wanted = new HashMap<>();
        expected.forEach((k, h) -> wanted.merge(k.get(0) + " " + path(h, pool.get(h.target())), 1, Integer::sum));
        Map<String, Integer> seen = new HashMap<>();
        held.forEach(a -> seen.merge(a.reader().pid() + " " + a.path(), 1, Integer::sum));
        assertEquals(wanted, seen, () -> "held " + held);
        for (Hold h : expected.values()) {
            SimProcess reader = pool.get(h.reader());
            SimProcess target = pool.get(h.target());
            String path = path(h, target);
            EnvironAccess a = held.stream().filter(x -> x.reader().pid() == reader.pid() && path.equals(x.path()))
                    .findFirst().orElseThrow();
            assertEquals(reader.startTime(), a.reader().startTime());
            assertEquals(h.file(), a.file());
            assertEquals(h.alias() == AliasKind.SELF ? reader.pid() : target.pid(), a.target().pid(), a::toString);
            assertEquals(h.alias(), a.alias(), a::toString);
            if (h.alias() != AliasKind.OTHER_PROC_MOUNT) {
                assertEquals(h.alias() == AliasKind.SELF ? reader.startTime() : target.startTime(), a.target().startTime());
            }
        }

        Policy policy = new Policy(PolicyConfig.builder().sweepThreshold(PolicyConfig.MAX_SWEEP_THRESHOLD).build(),
                world.guard.pid());
        Set<List<Object>> alerted = new HashSet<>();
        for (EnvironAccess a : rec.accesses()) {
            Optional<Alert> alert = policy.evaluate(a);
            if (a.isSelfRead()) {
                assertTrue(alert.isEmpty(), () -> "a self-read alerted: " + a);
            } else {
                List<Object> pair = List.of(a.reader().pid(), a.reader().exe() == null ? "" : a.reader().exe(),
                        a.target().pid(), a.target().startTime(), a.file());
                assertEquals(alerted.add(pair), alert.isPresent(), () -> "one alert per pair: " + a);
            }
        }
    }

    /**
     * A pid reused between scans is another process: its descriptors are reported with its own start time,
     * never taken for the earlier process's (already reported) ones.
     */
    @Property
    void aReusedPidIsNeverTheSameProcess(@ForAll("incarnations") List<ProcessSpec> incarnations,
                                         @ForAll("reopen") List<Boolean> reopen) throws IOException {
        SimProcess target = pool.get(PLAIN);
        String path = KernelPaths.environ(target.pid());
        SimProcess reader = world.fs.spawn(incarnations.get(0));
        world.fs.openFd(reader.pid(), new FdSpec(3, path));
        ProcfsPollingSource source = world.source();
        Recorder rec = new Recorder();
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
    }

    /**
     * Processes that exit (and pids that are reused) while scans run never make one fail, and whatever is
     * reported names processes that existed. A stress run rather than a property: threads make tries slow.
     */
    @Example
    void vanishingProcessesNeverFailAScan() throws Exception {
        SplittableRandom random = new SplittableRandom(11);
        List<ProcessSpec> specs = ProcArbitraries.processSpecs().sampleStream().limit(40).toList();
        for (int round = 0; round < 10; round++) {
            List<SimProcess> ps = new ArrayList<>();
            Set<Integer> pids = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                SimProcess p = world.fs.spawn(specs.get(round * 4 + i));
                world.fs.addThread(p.pid());
                ps.add(p);
                pids.add(p.pid());
            }
            for (SimProcess reader : ps) {
                for (SimProcess target : ps) {
                    world.fs.openFd(reader.pid(), KernelPaths.environ(target.pid()));
                }
            }
            ProcfsPollingSource source = world.source();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long seed = random.nextLong();
            Thread churn = new Thread(() -> {
                SplittableRandom r = new SplittableRandom(seed);
                try {
                    for (int i = 0; i < 100 && !stop.get(); i++) {
                        SimProcess p = ps.get(r.nextInt(ps.size()));
                        if (r.nextBoolean()) {
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
            }
            assertNull(failure.get());
            for (EnvironAccess a : rec.accesses()) {
                assertTrue(pids.contains(a.reader().pid()), a::toString);
                assertFalse(a.reader().pid() == world.guard.pid());
            }
            onlyThePool();
        }
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<ProcessSpec> image() {
        // user processes only: execve cannot turn a process into a kernel thread
        return ProcArbitraries.processSpecs().filter(s -> !s.kernelThread());
    }

    @Provide
    Arbitrary<List<ProcessSpec>> incarnations() {
        return ProcArbitraries.processSpecs().list().ofMinSize(2).ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<Hold>> holds() {
        Arbitrary<Integer> index = Arbitraries.integers().between(0, PLAIN + THREADED_COMMS.size() - 1);
        return Combinators.combine(index, index,
                Arbitraries.of(AliasKind.PROCESS, AliasKind.TASK, AliasKind.THREAD, AliasKind.SELF, AliasKind.OTHER_PROC_MOUNT),
                Arbitraries.of(ProcFile.class),
                Arbitraries.oneOf(Arbitraries.integers().between(3, 12), Arbitraries.integers().between(13, 1_048_575)))
                .as(Hold::new)
                // a thread alias needs a thread that is not the leader: only the threaded part of the pool has one
                .filter(h -> h.alias() != AliasKind.THREAD || h.target() >= PLAIN)
                .list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<List<Boolean>> reopen() {
        return Arbitraries.of(true, false).list().ofMinSize(1).ofMaxSize(3);
    }

    // ---------------------------------------------------------------- helpers

    /** The path of a hold; thread aliases use the target's last thread (its leader when it has no other). */
    private static String path(Hold h, SimProcess target) {
        int tid = target.tids().get(target.tids().size() - 1);
        switch (h.alias()) {
            case SELF:
                return KernelPaths.of(AliasKind.SELF, h.file(), KernelPaths.PROC, 0, 0);
            case OTHER_PROC_MOUNT:
                // the simulated instance is not mounted anywhere real: its pids cannot be mapped, and are kept
                return KernelPaths.of(AliasKind.OTHER_PROC_MOUNT, h.file(), OTHER_MOUNT, target.pid(), 0);
            default:
                return KernelPaths.of(h.alias(), h.file(), KernelPaths.PROC, target.pid(), tid);
        }
    }

    private static <T> T single(List<T> list) {
        assertEquals(1, list.size(), list::toString);
        return list.get(0);
    }
}
