package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.ProcessInfo;
import io.environguard.linux.proc.ProcReads;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A process table filled by polling ({@link ProcScanFeed#poll()}) and looked up through {@link ProcessLookup}, over
 * a simulated {@code /proc} that a random script changes between polls: processes with odd names (spaces,
 * {@code )}, newlines, non-UTF-8 bytes) are spawned under running ones, exec other programs, exit, and have their
 * pids reused.
 *
 * <p>What must hold: after a poll, the table's running processes are exactly the simulation's, each with its start
 * time; a running process is described as it is now (its name and executable even after an exec since the last
 * poll, its parent first in its lineage); a reader that exits right after its access is described from the table's
 * record of it when the table had seen it run, by pid alone with a note otherwise, and never as a process that
 * started after the access.
 */
class PolledTableLookupPropertyTest {

    private static final List<String> EXES = List.of("/usr/bin/cat", "/bin/sh", "/opt/x) (y/weird name",
            "/usr/bin/python3.11");

    /** One step of a script; {@code pick} and {@code comm} parameterise it. */
    record Step(int kind, int pick, byte[] comm, int exe) {
    }

    @Provide
    Arbitrary<List<Step>> scripts() {
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(0, 1_000), ProcArbitraries.oddComms(),
                Arbitraries.integers().between(0, EXES.size() - 1)).as(Step::new);
        return step.list().ofMinSize(5).ofMaxSize(40);
    }

    @Property(tries = 120)
    void aPolledTableDescribesRunningAndVanishedReadersAsTheyWere(@ForAll("scripts") List<Step> script)
            throws IOException {
        inWorld(w -> {
            for (Step s : script) {
                w.apply(s);
            }
            w.poll();
        });
    }

    /** Runs {@code body} in a new simulated world, closed afterwards. */
    private static void inWorld(java.util.function.Consumer<World> body) throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            World w = new World(fs);
            try {
                body.accept(w);
            } finally {
                w.close();
            }
        }
    }

    @Example
    void aPidReusedBetweenTwoPollsIsANewProcessAndTheOldOneATombstone() throws IOException {
        inWorld(w -> {
            SimulatedProcFs fs = w.fs;
            SimProcess old = fs.spawn(ProcessSpec.builder().ppid(1).comm("sleep").exe("/usr/bin/sleep").build());
            w.poll();
            SimProcess reused = fs.reusePid(old.pid(), ProcessSpec.builder().ppid(1).comm("cat")
                    .exe("/usr/bin/cat").build());
            w.poll();
            ProcessRecord now = w.table.live(old.pid());
            assertEquals(reused.startTime(), now.startTime());
            assertEquals("cat", now.comm());
            ProcessRecord before = w.table.find(old.pid(), old.startTime());
            assertNotNull(before, "the old generation stays as a tombstone");
            assertFalse(before.isLive());
            assertEquals("sleep", before.comm());
        });
    }

    @Example
    void aReaderNeverSeenRunningIsNamedByPidOnlyWithANote() throws IOException {
        inWorld(w -> {
            SimulatedProcFs fs = w.fs;
            SimProcess cat = fs.spawn(ProcessSpec.builder().ppid(1).comm("cat").exe("/usr/bin/cat").build());
            long at = System.nanoTime();
            fs.exit(cat.pid());
            w.poll();
            List<String> notes = new ArrayList<>();
            ProcessInfo info = w.lookup.describe("reader", cat.pid(), -1, ProcessInfo.UNKNOWN, at, notes);
            assertEquals(cat.pid(), info.pid());
            assertNull(info.comm());
            assertFalse(info.complete());
            assertTrue(notes.stream().anyMatch(n -> n.contains("not in the process table")), notes.toString());
        });
    }

    /** The simulation, the table under test, and what the table has had a chance to see. */
    static final class World {
        final SimulatedProcFs fs;
        final ProcessTable table;
        final ProcScanFeed feed;
        final ProcessLookup lookup;
        final ProcessInspector inspector;
        /** Per pid, per start time: the name and executable the table last had a chance to read. */
        final Map<Integer, Map<Long, String[]>> seen = new HashMap<>();
        final Random random = new Random(7);
        /** Per (pid, start time): the process that spawned it. */
        final Map<List<Long>, Integer> forkParent = new HashMap<>();

        World(SimulatedProcFs fs) {
            this.fs = fs;
            fs.spawn(ProcessSpec.builder().pid(1).ppid(0).comm("init").exe("/sbin/init").build());
            ProcessTableSettings settings = ProcessTableSettings.defaults().withCommandLineTimeout(
                    java.time.Duration.ofMillis(500));
            this.table = new ProcessTable(settings);
            this.feed = ProcScanFeed.start(table, settings, ProcessProbe.portable(fs.root(), ProcReads.FILES),
                    BootClock.fixed(0, 100));
            this.lookup = new ProcessLookup(feed, settings);
            this.inspector = new ProcessInspector(fs.root());
            remember();
        }

        void close() {
            feed.close();
        }

        List<SimProcess> running() {
            return fs.processes();
        }

        SimProcess pick(int n, boolean notInit) {
            List<SimProcess> all = new ArrayList<>(running());
            if (notInit) {
                all.removeIf(p -> p.pid() == 1);
            }
            return all.isEmpty() ? null : all.get(n % all.size());
        }

        void apply(Step s) {
            switch (s.kind()) {
                case 0 -> {
                    SimProcess parent = pick(s.pick(), false);
                    SimProcess child = fs.spawn(ProcessSpec.builder().ppid(parent.pid()).comm(s.comm())
                            .exe(EXES.get(s.exe())).build());
                    forkParent.put(List.of((long) child.pid(), child.startTime()), parent.pid());
                }
                case 1 -> {
                    SimProcess p = pick(s.pick(), true);
                    if (p != null) {
                        fs.exec(p.pid(), ProcessSpec.builder().ppid(p.ppid()).comm(s.comm()).exe(EXES.get(s.exe()))
                                .build());
                    }
                }
                case 2 -> {
                    SimProcess p = pick(s.pick(), true);
                    if (p != null) {
                        fs.exit(p.pid());
                    }
                }
                case 3 -> {
                    SimProcess p = pick(s.pick(), true);
                    if (p != null) {
                        fs.reusePid(p.pid(), ProcessSpec.builder().ppid(1).comm(s.comm()).exe(EXES.get(s.exe()))
                                .build());
                    }
                }
                case 4 -> poll();
                case 5 -> describeRunning(pick(s.pick(), false));
                default -> readThenExit(pick(s.pick(), true));
            }
        }

        /** What the table could read now of every running process. */
        void remember() {
            for (SimProcess p : running()) {
                remember(p.pid());
            }
        }

        void remember(int pid) {
            ProcessInfo now = inspector.inspect(pid);
            if (now.startTime() >= 0) {
                seen.computeIfAbsent(pid, k -> new HashMap<>()).put(now.startTime(),
                        new String[] {now.comm(), now.exe()});
            }
        }

        void poll() {
            feed.poll();
            Map<Integer, Long> expected = new HashMap<>();
            running().forEach(p -> expected.put(p.pid(), p.startTime()));
            Map<Integer, Long> held = new HashMap<>();
            for (int pid : table.livePids()) {
                held.put(pid, table.live(pid).startTime());
            }
            assertEquals(expected, held, "after a poll the table runs exactly the simulation's processes");
            for (SimProcess p : running()) {
                ProcessRecord r = table.live(p.pid());
                String[] before = seen.getOrDefault(p.pid(), Map.of()).get(p.startTime());
                if (before == null) {
                    // New since the last look: read in full by this poll (a poll reads nothing else in full).
                    assertEquals(inspector.inspect(p.pid()).comm(), r.comm(), "a new process's name");
                    remember(p.pid());
                }
            }
        }

        void describeRunning(SimProcess p) {
            List<String> notes = new ArrayList<>();
            ProcessInfo info = lookup.describe("reader", p.pid(), -1, ProcessInfo.UNKNOWN, System.nanoTime(), notes);
            ProcessInfo now = inspector.inspect(p.pid());
            assertEquals(p.startTime(), info.startTime(), "the running generation");
            assertEquals(now.comm(), info.comm(), "its name as it is now, after any exec since the last poll");
            assertEquals(now.exe(), info.exe());
            if (p.ppid() > 0) {
                assertFalse(info.ancestors().isEmpty(), "a process with a parent has a lineage");
                // The parent that started it, kept after it exited; or, if the table first met the process after
                // that, the one it was re-parented to.
                int first = info.ancestors().get(0).pid();
                assertTrue(first == p.ppid() || first == forkParent.getOrDefault(List.of((long) p.pid(), p.startTime()), -1),
                        "its parent first: " + first + ", now " + p.ppid());
            }
            remember(p.pid());
        }

        void readThenExit(SimProcess p) {
            if (p == null) {
                return;
            }
            long at = System.nanoTime();
            long start = p.startTime();
            String[] known = seen.getOrDefault(p.pid(), Map.of()).get(start);
            fs.exit(p.pid());
            if (random.nextBoolean()) {
                poll();
            }
            List<String> notes = new ArrayList<>();
            ProcessInfo info = lookup.describe("reader", p.pid(), -1, ProcessInfo.UNKNOWN, at, notes);
            assertEquals(p.pid(), info.pid());
            if (known != null) {
                assertEquals(start, info.startTime(), "the table saw it run: it names that very process");
                assertEquals(known[0], info.comm());
                assertEquals(known[1], info.exe());
                assertTrue(notes.stream().anyMatch(n -> n.contains("exited before it was resolved")), notes.toString());
            } else if (info.comm() == null) {
                assertTrue(notes.stream().anyMatch(n -> n.contains("not in the process table")), notes.toString());
            } else {
                // An earlier process of this pid whose exit the table had not learnt by the access: never a later one.
                assertTrue(info.startTime() < start, "never a process that started after the access");
            }
        }
    }
}
