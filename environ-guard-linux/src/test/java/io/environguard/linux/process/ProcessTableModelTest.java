package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.Ancestor;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.proc.ProcReads;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Model-based test of the process table and the logic that feeds it ({@link ProcEventApplier}), over a simulated
 * {@code /proc} driven by a jqwik {@link ActionChain}: processes fork (some into a pid just freed: pid reuse),
 * exec (with or without an image in the exec log), rename themselves and exit; the connector's messages queue up
 * and are delivered late, in bursts, or lost in an overflow that is followed by a resynchronisation from
 * {@code /proc}; time passes and tombstones expire.
 *
 * <p>The model knows every generation that ever lived (pid, start time, its fork parent, every image it ran).
 * Invariants, after every step: the counts and bounds hold (at most one live generation per pid, the newest;
 * tombstones within their bound and their time); every ancestor named in a lineage is the exact generation that
 * bore that name (a reused pid never lends its new process's name or executable to an old one's descendants),
 * and starts no later than its child. Whenever every queued message has been delivered: the table's running
 * processes are exactly the simulation's, each with the right start time, name and executable (or, when it
 * exec'd and exited before the table could read it and the exec log had nothing, an image marked unknown), and
 * each process whose fork the table saw names its fork parent by pid and start time.
 *
 * <p>Sizes: 150 chains of up to 50 steps (a few seconds on a quiet machine).
 */
class ProcessTableModelTest {

    private static final long TICK = 10_000_000L;
    private static final Duration TTL = Duration.ofSeconds(5);
    private static final int MAX_TOMBSTONES = 12;
    private static final List<String> EXES = List.of("/usr/bin/cat", "/bin/sh", "/usr/bin/python3.11", "/usr/bin/ps",
            "/opt/x) (y/weird name");

    private static final Queue<World> CREATED = new ConcurrentLinkedQueue<>();

    @AfterTry
    void closeWorlds() {
        World w;
        while ((w = CREATED.poll()) != null) {
            w.close();
        }
    }

    @Property(tries = 150)
    void theTableFollowsTheProcessesThroughLateAndLostEvents(@ForAll("chains") ActionChain<World> chain) {
        chain.withInvariant("counts and bounds", World::countsAndBounds)
                .withInvariant("lineage never mixes generations", World::lineageIsExact)
                .withInvariant("in step once every event is delivered", World::inStepWhenDelivered)
                .run();
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        return ActionChain.<World>startWith(World::create)
                .withAction(5, new Fork())
                .withAction(2, new ReuseFork())
                .withAction(4, new Exec())
                .withAction(2, new Rename())
                .withAction(4, new Exit())
                .withAction(5, new Deliver())
                .withAction(1, new Overflow())
                .withAction(2, new Advance())
                .withMaxTransformations(50);
    }

    // ================================================================ the model

    record Gen(int pid, long start) {
    }

    /** What the model knows of one generation. */
    static final class Proc {
        final Gen gen;
        final Gen forkParent;
        /** Every (comm, exe) it has run, in order. */
        final List<List<String>> images = new ArrayList<>();
        boolean alive = true;
        /** Whether the table saw its fork (no overflow dropped it); only then is its fork parent known to the table. */
        boolean forkSeen;
        /**
         * Whether the table can know its current image: false after an exec that had no exec-log image and whose
         * process was gone when the exec was delivered.
         */
        boolean imageKnowable = true;
        /**
         * What the table should show as its name and executable ({@code null}: unknown), following the table's
         * own rules: an exec without an exec-log image is read from /proc when delivered, and /proc shows the
         * latest image by then; a fork copies the parent's record as it is when the fork is delivered.
         */
        String expectedComm;
        String expectedExe;
        /** Every (comm, exe) the table may legitimately have shown for it. */
        final Set<List<String>> shown = new HashSet<>();

        Proc(Gen gen, Gen forkParent, String comm, String exe) {
            this.gen = gen;
            this.forkParent = forkParent;
            images.add(List.of(comm, exe == null ? "" : exe));
            expect(comm, exe);
        }

        void expect(String comm, String exe) {
            expectedComm = comm;
            expectedExe = exe;
            shown.add(List.of(comm == null ? "" : comm, exe == null ? "" : exe));
        }

        String comm() {
            return images.get(images.size() - 1).get(0);
        }

        String exe() {
            return images.get(images.size() - 1).get(1);
        }

        @Override
        public String toString() {
            return gen.pid + "@" + gen.start + (alive ? "" : "(exited)") + " " + comm() + " " + exe();
        }
    }

    /** Exec-log images the test scripts. */
    static final class ScriptedImages implements ExecImages {
        final Map<Integer, Image> byPid = new HashMap<>();

        @Override
        public Image take(int pid, long notAfterNanos) {
            Image i = byPid.get(pid);
            if (i == null || i.timeNanos() > notAfterNanos) {
                return null;
            }
            byPid.remove(pid);
            return i;
        }

        @Override
        public void refresh() {
        }
    }

    /** A queued connector message and what the model must learn when it is delivered. */
    record Queued(ProcEvent event, Gen gen) {
    }

    static final class World {
        final SimulatedProcFs fs;
        long now = 100 * TICK;
        final ProcessTable table;
        final ProcEventApplier applier;
        final ScriptedImages images = new ScriptedImages();
        final ArrayDeque<Queued> queue = new ArrayDeque<>();
        final Map<Gen, Proc> gens = new HashMap<>();
        final TreeMap<Integer, Proc> live = new TreeMap<>();
        /** Pids whose generation exited and are free again: candidates for reuse. */
        final Set<Integer> freed = new HashSet<>();
        int nextFresh = 1000;

        private World() {
            try {
                fs = SimulatedProcFs.create();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            CREATED.add(this);
            table = new ProcessTable(ProcessTableSettings.defaults().withTombstones(TTL, MAX_TOMBSTONES), () -> now);
            applier = new ProcEventApplier(table, ProcessProbe.portable(fs.root(), ProcReads.FILES),
                    BootClock.fixed(0, 100), ProcessTableSettings.DEFAULT_COMMAND_LINE_BYTES, () -> now);
            applier.execImages(images);
        }

        static World create() {
            World w = new World();
            SimProcess init = w.fs.spawn(ProcessSpec.builder().pid(1).ppid(0).comm("init").exe("/sbin/init")
                    .cmdline("/sbin/init").uid(0).gid(0).startTime(5).build());
            w.track(init, null);
            for (String comm : List.of("sshd", "bash")) {
                w.now += TICK;
                SimProcess p = w.fs.spawn(ProcessSpec.builder().ppid(1).comm(comm).exe("/usr/bin/" + comm)
                        .cmdline(comm).startTime(w.now / TICK).build());
                w.track(p, new Gen(1, 5));
            }
            w.applier.scan();
            return w;
        }

        Proc track(SimProcess p, Gen parent) {
            Proc proc = new Proc(new Gen(p.pid(), p.startTime()), parent, p.spec().commString(), p.spec().exe());
            gens.put(proc.gen, proc);
            live.put(p.pid(), proc);
            freed.remove(p.pid());
            return proc;
        }

        void close() {
            table.close();
            try {
                fs.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        List<Integer> livePids() {
            return new ArrayList<>(live.keySet());
        }

        /** Forks a child of {@code parentPid} (under {@code pid}, or a pid the simulation picks when 0). */
        void fork(int parentPid, int pid) {
            Proc parent = live.get(parentPid);
            if (parent == null || (pid > 0 && !freed.contains(pid))) {
                return; // a step replayed while shrinking, in a world where it no longer applies
            }
            now += TICK / 3;
            // A fresh pid unless a reuse is asked for: only ReuseFork reuses, and only after the time it takes.
            fs.setNextPid(pid > 0 ? pid : nextFresh++);
            SimProcess s = fs.spawn(ProcessSpec.builder().ppid(parentPid).comm(parent.comm()).exe(parent.exe())
                    .cmdline("child").startTime(now / TICK).build());
            Proc child = track(s, parent.gen);
            queue.add(new Queued(new ProcEvent.Fork(parentPid, parentPid, s.pid(), s.pid(), now), child.gen));
        }

        void deliver(int count) {
            for (int i = 0; i < count && !queue.isEmpty(); i++) {
                Queued q = queue.poll();
                Proc p = q.gen == null ? null : gens.get(q.gen);
                if (q.event instanceof ProcEvent.Fork fork && p != null) {
                    ProcessRecord parent = table.forAccess(fork.parentTgid(), 0, p.gen.start);
                    boolean held = table.find(p.gen.pid, p.gen.start) != null;
                    if (parent != null) {
                        p.forkSeen = true;
                        if (!held) { // a child read from /proc already keeps what it read; else it copies its parent
                            p.expect(parent.comm(), parent.exe());
                            p.imageKnowable = parent.imageKnown();
                        }
                    } else if (p.alive && !held) {
                        p.expect(p.comm(), p.exe()); // the table reads the child itself
                    }
                } else if (q.event instanceof ProcEvent.Exec exec && p != null) {
                    ExecImages.Image image = images.byPid.get(exec.tgid());
                    if (image != null && image.timeNanos() <= exec.timestampNanos()) {
                        // Without the binary's mapping, the exe is read from /proc: the latest image if it runs.
                        p.expect(image.comm(), image.exe() != null ? image.exe() : p.alive ? p.exe() : null);
                        p.imageKnowable = true;
                    } else if (p.alive) {
                        p.expect(p.comm(), p.exe()); // read from /proc: the latest image
                        p.imageKnowable = true;
                    } else {
                        p.expect(null, null);
                        p.imageKnowable = false;
                    }
                } else if (q.event instanceof ProcEvent.Comm comm && p != null
                        && table.find(p.gen.pid, p.gen.start) != null) {
                    p.expect(comm.comm(), p.expectedExe);
                }
                applier.apply(q.event);
            }
        }

        // ---------------------------------------------------------------- invariants

        void countsAndBounds() {
            long liveRecords = 0;
            long tombRecords = 0;
            Set<Integer> pids = new HashSet<>();
            for (Gen g : gens.keySet()) {
                pids.add(g.pid);
            }
            for (int pid : pids) {
                List<ProcessRecord> gs = table.generations(pid);
                for (int i = 0; i < gs.size(); i++) {
                    ProcessRecord r = gs.get(i);
                    if (r.isLive()) {
                        liveRecords++;
                        assertEquals(0, i, () -> "a live generation behind a newer one: " + gs);
                    } else {
                        tombRecords++;
                    }
                    if (i > 0) {
                        assertTrue(gs.get(i - 1).startTime() > r.startTime(), () -> "generations out of order: " + gs);
                    }
                }
            }
            assertEquals(liveRecords, table.liveCount(), "live count");
            assertEquals(tombRecords, table.tombstoneCount(), "tombstone count");
            assertTrue(table.tombstoneCount() <= MAX_TOMBSTONES, () -> "tombstones " + table.tombstoneCount());
        }

        void lineageIsExact() {
            for (Proc p : gens.values()) {
                ProcessRecord r = table.find(p.gen.pid, p.gen.start);
                if (r == null) {
                    continue;
                }
                ProcessInfo info = table.toProcessInfo(r, ProcessInfo.UNKNOWN);
                if (p.forkSeen && p.forkParent != null && !info.ancestors().isEmpty()) {
                    Ancestor first = info.ancestors().get(0);
                    assertEquals(p.forkParent.pid, first.pid(), () -> "parent of " + p + ": " + info.ancestors());
                    assertTrue(Math.abs(first.startTime() - p.forkParent.start) <= 1,
                            () -> "parent generation of " + p + ": " + info.ancestors() + "; record " + r
                                    + "; the table's generations of " + first.pid() + ": "
                                    + table.generations(first.pid()));
                }
                long childStart = r.startTime();
                for (Ancestor a : info.ancestors()) {
                    assertTrue(a.startTime() < 0 || a.startTime() <= childStart + 1,
                            () -> "an ancestor younger than its child: " + info.ancestors() + " of " + p);
                    if (a.comm() != null || a.exe() != null) {
                        Proc ancestor = gens.get(new Gen(a.pid(), a.startTime()));
                        assertNotNull(ancestor, () -> "an ancestor that never lived: " + a + " of " + p);
                        List<String> shown = List.of(a.comm() == null ? "" : a.comm(), a.exe() == null ? "" : a.exe());
                        assertTrue(ancestor.shown.contains(shown) || ancestor.images.contains(shown),
                                () -> "ancestor " + a + " shows what generation " + ancestor + " never ran: "
                                        + ancestor.images + " / " + ancestor.shown);
                    }
                    childStart = a.startTime();
                }
                assertTrue(info.ancestors().size() <= ProcessInfo.MAX_ANCESTORS);
            }
        }

        void inStepWhenDelivered() {
            if (!queue.isEmpty()) {
                return;
            }
            for (Proc p : live.values()) {
                ProcessRecord r = table.live(p.gen.pid);
                assertNotNull(r, () -> "running " + p + " is not in the table: " + table.generations(p.gen.pid));
                assertTrue(r.startedAt(p.gen.start), () -> "wrong generation for " + p + ": " + r);
                assertEquals(p.imageKnowable, r.imageKnown(), () -> "image of " + p + " known? " + r);
                assertEquals(p.expectedComm, r.comm(), () -> "comm of " + p + ": " + r);
                assertEquals(p.expectedExe, r.exe(), () -> "exe of " + p + ": " + r);
                if (p.forkSeen && p.forkParent != null) {
                    assertEquals(p.forkParent.pid, r.ppid(), () -> "fork parent of " + p + ": " + r);
                    assertTrue(r.parentStart() >= 0 && Math.abs(r.parentStart() - p.forkParent.start) <= 1,
                            () -> "fork parent's start of " + p + ": " + r);
                }
            }
            for (int pid : table.livePids()) {
                Proc p = live.get(pid);
                ProcessRecord r = table.live(pid);
                if (r == null) {
                    continue;
                }
                assertTrue(p != null && r.startedAt(p.gen.start), () -> "the table holds " + r
                        + " as running; the simulation has " + p);
            }
        }

        @Override
        public String toString() {
            return "World" + live.values() + " queued " + queue.size();
        }
    }

    // ================================================================ actions

    static final class Fork implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.live.isEmpty(); // jqwik cannot pick from an empty set
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.livePids()).map(parent -> Transformer.mutate("fork of " + parent,
                    world -> world.fork(parent, 0)));
        }
    }

    /** A fork into a pid whose process exited: the table must keep the two generations apart. */
    static final class ReuseFork implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.freed.isEmpty() && !w.live.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.livePids()).flatMap(parent -> Arbitraries.of(new ArrayList<>(w.freed))
                    .map(pid -> Transformer.mutate("fork of " + parent + " reusing pid " + pid, world -> {
                        // Generations of one pid are told apart when they start at least two ticks (20 ms)
                        // apart (a derived start may be a tick off); the kernel reuses a pid only after pid_max
                        // other ids, far more than a machine can create in 20 ms.
                        world.now += 3 * TICK;
                        world.fork(parent, pid);
                    })));
        }
    }

    static final class Exec implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.live.isEmpty(); // jqwik cannot pick from an empty set
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            // Logged: in the exec log with its binary; unmapped: in the exec log by name only (the kernel lost the
            // binary's mapping record); else not in the log at all.
            return Arbitraries.of(w.livePids()).flatMap(pid -> Arbitraries.of(EXES).flatMap(exe ->
                    Arbitraries.of("logged", "unmapped", "unlogged").map(how -> Transformer.mutate("exec of " + exe
                            + " by " + pid + " (" + how + ")", world -> {
                        if (!world.live.containsKey(pid)) {
                            return; // replayed while shrinking
                        }
                        world.now += TICK / 7;
                        SimProcess s = world.fs.exec(pid, exe, exe);
                        Proc p = world.live.get(pid);
                        p.images.add(List.of(s.spec().commString(), exe));
                        if (!how.equals("unlogged")) {
                            world.images.byPid.put(pid, new ExecImages.Image(pid, s.spec().commString(),
                                    how.equals("logged") ? exe : null, -1, -1, world.now));
                        } else {
                            world.images.byPid.remove(pid);
                        }
                        world.queue.add(new Queued(new ProcEvent.Exec(pid, pid, world.now), p.gen));
                    }))));
        }
    }

    static final class Rename implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.live.isEmpty(); // jqwik cannot pick from an empty set
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            Arbitrary<String> names = Arbitraries.of("worker", "a) S 1 (", "x y", "ünïcödé", "kworker/0:1");
            return Arbitraries.of(w.livePids()).flatMap(pid -> names.map(name -> Transformer.mutate(
                    "rename of " + pid + " to " + name, world -> {
                        if (!world.live.containsKey(pid)) {
                            return; // replayed while shrinking
                        }
                        world.now += TICK / 11;
                        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
                        SimProcess s = world.fs.rename(pid, bytes);
                        Proc p = world.live.get(pid);
                        p.images.add(List.of(s.spec().commString(), p.exe()));
                        world.queue.add(new Queued(new ProcEvent.Comm(pid, pid, s.spec().commString(), world.now), p.gen));
                    })));
        }
    }

    static final class Exit implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return w.live.size() > 1;
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            List<Integer> pids = w.livePids();
            pids.remove(Integer.valueOf(1));
            return Arbitraries.of(pids).map(pid -> Transformer.mutate("exit of " + pid, world -> {
                if (!world.live.containsKey(pid)) {
                    return; // replayed while shrinking
                }
                world.now += TICK / 5;
                world.fs.exit(pid);
                Proc p = world.live.remove(pid);
                p.alive = false;
                world.freed.add(pid);
                world.queue.add(new Queued(new ProcEvent.Exit(pid, pid, 0, world.now), p.gen));
            }));
        }
    }

    static final class Deliver implements Action.Dependent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.integers().between(1, 20).map(n -> Transformer.mutate("deliver " + n,
                    world -> world.deliver(n)));
        }
    }

    /** The socket overflowed: every queued message is lost; the feed reads /proc again. */
    static final class Overflow implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("overflow and resync", world -> {
                for (Queued q : world.queue) {
                    Proc p = q.gen == null ? null : world.gens.get(q.gen);
                    if (p != null && q.event instanceof ProcEvent.Exec && !p.alive) {
                        p.imageKnowable = false;
                    }
                }
                world.queue.clear();
                world.images.byPid.clear();
                world.applier.scan();
                // The scan read every running process: their images are what /proc shows now.
                for (Proc p : world.live.values()) {
                    p.imageKnowable = true;
                    p.expect(p.comm(), p.exe());
                }
            }));
        }
    }

    static final class Advance implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.longs().between(TICK, 4_000 * 1_000_000L).map(d -> Transformer.mutate(
                    "advance " + d / 1_000_000 + " ms", world -> {
                        world.now += d;
                        world.table.expire();
                        for (int pid : new HashSet<>(world.gens.keySet().stream().map(Gen::pid).toList())) {
                            for (ProcessRecord r : world.table.generations(pid)) {
                                assertTrue(r.isLive() || world.now - r.exitNanos() < TTL.toNanos(),
                                        () -> "a tombstone past its time after expiry: " + r);
                            }
                        }
                    }));
        }
    }
}
