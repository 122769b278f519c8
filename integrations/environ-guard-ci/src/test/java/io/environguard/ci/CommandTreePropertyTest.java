package io.environguard.ci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.environguard.api.Ancestor;
import io.environguard.api.ProcessInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Membership in a guarded tree over generated lineages: a root under a chain of processes above it (the guard, a
 * shell, a runner, init), branches of members of any depth (deeper than the {@value ProcessInfo#MAX_ANCESTORS}
 * ancestors a record carries), outsiders hanging off any process above the root or off init, and pid reuse: an
 * outsider's lineage holding a process that reused the pid of the root, of a process above it, or of a member, with
 * another start time (or none known). Each process's record carries its ancestors as a process table would: parent
 * first, at most {@value ProcessInfo#MAX_ANCESTORS}, some start times missing. Start times are ten ticks apart: a pid
 * is reused only long after its first process started, far beyond {@link ProcessId#START_TOLERANCE}.
 */
class CommandTreePropertyTest {

    /** A modelled process: {@code parent} is null only for init. */
    record Proc(int pid, long start, Proc parent, String comm) {
        ProcessId id() {
            return new ProcessId(pid, start);
        }
    }

    /** How an outsider's lineage reuses a pid. */
    enum Reuse { NONE, ROOT, ABOVE, MEMBER }

    record OutsiderSpec(int attachAt, int depth, Reuse reuse, int reuseAt, boolean reuseStartKnown) {
    }

    /** A generated world: the tree, its members and outsiders, and which recorded start times are missing. */
    record World(CommandTree tree, List<Proc> members, List<Proc> outsiders, Map<ProcessId, Proc> alive,
                 long missingStartsSeed, boolean rootStartKnown) {

        /** The record a source would deliver for {@code p}: ancestors parent first, capped, a few starts missing. */
        ProcessInfo info(Proc p) {
            List<Ancestor> ancestors = new ArrayList<>();
            for (Proc a = p.parent(); a != null && ancestors.size() < ProcessInfo.MAX_ANCESTORS; a = a.parent()) {
                boolean missing = a.pid() != 1 && ((a.pid() * 31L + missingStartsSeed) % 7 == 0);
                // a start derived from a kernel event's timestamp may be one tick off the one /proc prints
                long skew = (a.pid() + missingStartsSeed) % 3 - 1;
                ancestors.add(new Ancestor(a.pid(), missing ? -1 : a.start() + skew, a.comm(), "/usr/bin/" + a.comm()));
            }
            return ProcessInfo.builder(p.pid()).startTime(p.start()).comm(p.comm()).ancestors(ancestors).build();
        }

        /** The live host, as far as the model goes: every modelled process is alive (start times within a tick). */
        LineageLookup lookup() {
            return child -> {
                Proc c = null;
                for (long d = -ProcessId.START_TOLERANCE; c == null && d <= ProcessId.START_TOLERANCE; d++) {
                    c = alive.get(new ProcessId(child.pid(), child.startTime() + d));
                }
                return c == null || c.parent() == null ? null : c.parent().id();
            };
        }

        /** How far below the root a member is (0 for the root). */
        int depthBelowRoot(Proc p) {
            int d = 0;
            for (Proc a = p; a != null; a = a.parent(), d++) {
                if (a.pid() == tree.root().pid() && (a.start() == tree.root().startTime() || !rootStartKnown)) {
                    return d;
                }
            }
            throw new IllegalStateException("not a member");
        }
    }

    @Provide
    Arbitrary<World> worlds() {
        Arbitrary<Integer> aboveDepth = Arbitraries.integers().between(1, 6);
        Arbitrary<List<Integer>> branches = Arbitraries.integers().between(0, 14).list().ofMinSize(1).ofMaxSize(4);
        Arbitrary<OutsiderSpec> outsider = Combinators.combine(Arbitraries.integers().between(-1, 6),
                        Arbitraries.integers().between(0, 12), Arbitraries.of(Reuse.class), Arbitraries.integers().between(0, 12),
                        Arbitraries.of(true, false))
                .as(OutsiderSpec::new);
        return Combinators.combine(aboveDepth, branches, outsider.list().ofMaxSize(5), Arbitraries.of(true, false),
                Arbitraries.longs().between(0, 1000)).as(CommandTreePropertyTest::build);
    }

    private static World build(int aboveDepth, List<Integer> branchDepths, List<OutsiderSpec> outsiderSpecs,
                               boolean rootStartKnown, long seed) {
        int[] nextPid = {1000};
        long[] nextStart = {5000};
        Map<ProcessId, Proc> alive = new HashMap<>();
        Proc init = new Proc(1, 1, null, "init");
        alive.put(init.id(), init);
        // above.get(0) is the guard (the root's parent); the last one's parent is init
        List<Proc> aboveTopDown = new ArrayList<>();
        Proc parent = init;
        for (int i = 0; i < aboveDepth; i++) {
            parent = spawn(parent, i == aboveDepth - 1 ? "java" : "sh", nextPid, nextStart, alive);
            aboveTopDown.add(parent);
        }
        Proc root = spawn(parent, "mvn", nextPid, nextStart, alive);
        List<Proc> members = new ArrayList<>();
        members.add(root);
        for (int depth : branchDepths) {
            Proc p = root;
            for (int d = 0; d < depth; d++) {
                p = spawn(p, "m" + d, nextPid, nextStart, alive);
                members.add(p);
            }
        }
        List<Proc> above = new ArrayList<>(aboveTopDown);
        java.util.Collections.reverse(above);
        List<Proc> outsiders = new ArrayList<>();
        for (OutsiderSpec spec : outsiderSpecs) {
            Proc p = spec.attachAt() < 0 || spec.attachAt() >= above.size() ? init : above.get(spec.attachAt());
            List<Proc> chain = new ArrayList<>();
            for (int d = 0; d <= spec.depth(); d++) {
                Proc reused = null;
                Proc victim = switch (spec.reuse()) {
                    case NONE -> null;
                    case ROOT -> root;
                    case ABOVE -> above.get(spec.reuseAt() % above.size());
                    default -> members.get(spec.reuseAt() % members.size());
                };
                // The guard starts no other process with the root's pid while the root lives (CommandTree's premise)
                boolean impossible = victim != null && victim.pid() == root.pid() && p == above.get(0);
                if (victim != null && !impossible && d == Math.min(spec.reuseAt(), spec.depth())) {
                    // a later process with the victim's pid: another start time, or none recorded
                    reused = new Proc(victim.pid(), nextStart[0] += 10, p, "reuser");
                }
                p = reused != null ? reused : spawn(p, "o" + d, nextPid, nextStart, alive);
                if (reused != null) {
                    alive.put(reused.id(), reused);
                }
                chain.add(p);
            }
            outsiders.addAll(chain);
        }
        ProcessId rootId = new ProcessId(root.pid(), rootStartKnown ? root.start() : -1);
        List<GuardedProcess> guarded = new ArrayList<>();
        for (Proc a : above) {
            guarded.add(new GuardedProcess(a.id(), 0, a.comm(), "/usr/bin/" + a.comm()));
        }
        CommandTree tree = new CommandTree(rootId, guarded, guarded.get(0));
        return new World(tree, members, outsiders, alive, seed, rootStartKnown);
    }

    private static Proc spawn(Proc parent, String comm, int[] nextPid, long[] nextStart, Map<ProcessId, Proc> alive) {
        Proc p = new Proc(nextPid[0]++, nextStart[0] += 10, parent, comm);
        alive.put(p.id(), p);
        return p;
    }

    @Property
    void anOutsiderIsNeverAMemberWhateverPidItsLineageReuses(@ForAll("worlds") World world) {
        // the members first, so that the tree remembers them: a reused member pid must not pass for the member
        world.members().forEach(p -> world.tree().membershipOf(world.info(p), world.lookup()));
        for (LineageLookup lookup : List.of(LineageLookup.NONE, world.lookup())) {
            for (Proc o : world.outsiders()) {
                Membership m = world.tree().membershipOf(world.info(o), lookup);
                assertNotEquals(Membership.MEMBER, m, () -> "outsider " + o + " of " + world.tree());
            }
        }
        boolean reuses = world.outsiders().stream().anyMatch(o -> o.comm().equals("reuser"));
        Statistics.label("an outsider's lineage reuses a pid").collect(reuses);
        Statistics.label("an outsider's lineage reuses a pid").coverage(c -> c.check(true).percentage(p -> p > 30));
    }

    @Property
    void withTheLiveHostAnOutsiderIsProvenOutside(@ForAll("worlds") World world) {
        int strict = 0;
        for (Proc o : world.outsiders()) {
            Membership m = world.tree().membershipOf(world.info(o), world.lookup());
            if (provablyOutside(world, o)) {
                strict++;
                assertEquals(Membership.OUTSIDER, m, () -> "outsider " + o);
            } else {
                assertNotEquals(Membership.MEMBER, m);
            }
        }
        Statistics.label("outsiders proven").collect(strict > 0);
    }

    @Property
    void aMemberIsAMemberWhenItsLineageReachesTheRoot(@ForAll("worlds") World world) {
        // judged in an order that never helps: deepest first, so no shallower member was remembered before
        List<Proc> members = new ArrayList<>(world.members());
        members.sort((a, b) -> Integer.compare(world.depthBelowRoot(b), world.depthBelowRoot(a)));
        for (Proc p : members) {
            int depth = world.depthBelowRoot(p);
            Membership m = world.tree().membershipOf(world.info(p), LineageLookup.NONE);
            // the record holds the root when it is within MAX_ANCESTORS levels; an unknown root start time needs
            // the root's parent in the record too
            int reach = world.rootStartKnown() ? ProcessInfo.MAX_ANCESTORS : ProcessInfo.MAX_ANCESTORS - 1;
            if (depth <= reach && rootEntryProvable(world, p)) {
                assertEquals(Membership.MEMBER, m, () -> "member at depth " + depth + ": " + world.info(p));
            } else {
                assertNotEquals(Membership.OUTSIDER, m, () -> "member at depth " + depth + " taken for an outsider");
            }
            Statistics.label("depth beyond the record").collect(depth > reach);
        }
        Statistics.label("depth beyond the record").coverage(c -> c.check(true).percentage(p -> p > 5));
    }

    @Property
    void withTheLiveHostEveryMemberIsAMember(@ForAll("worlds") World world) {
        for (Proc p : world.members()) {
            Membership m = world.tree().membershipOf(world.info(p), world.lookup());
            boolean rootInRecord = world.depthBelowRoot(p) <= ProcessInfo.MAX_ANCESTORS;
            if (rootInRecord ? rootEntryProvable(world, p) : walkable(world.info(p))) {
                assertEquals(Membership.MEMBER, m, () -> "member " + world.info(p));
            } else {
                assertNotEquals(Membership.OUTSIDER, m);
            }
        }
    }

    @Property
    void aMemberSeenOnceExtendsTheLineageOfDeeperOnes(@ForAll("worlds") World world) {
        // shallow first: each member within reach is remembered, so deeper records that hold one are members too
        List<Proc> members = new ArrayList<>(world.members());
        members.sort((a, b) -> Integer.compare(world.depthBelowRoot(a), world.depthBelowRoot(b)));
        for (Proc p : members) {
            Membership m = world.tree().membershipOf(world.info(p), LineageLookup.NONE);
            assertNotEquals(Membership.OUTSIDER, m);
        }
    }

    /** Whether the record of member {@code p} lets the root entry be proven (by start time, or by its parent). */
    private static boolean rootEntryProvable(World world, Proc p) {
        if (p.pid() == world.tree().root().pid()) {
            return world.rootStartKnown() || world.info(p).ancestors().get(0).startTime() >= 0;
        }
        ProcessInfo info = world.info(p);
        List<Ancestor> a = info.ancestors();
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).pid() == world.tree().root().pid()) {
                if (world.rootStartKnown() && a.get(i).startTime() >= 0) {
                    return true;
                }
                return i + 1 < a.size() && a.get(i + 1).startTime() >= 0;
            }
        }
        return true; // the root is beyond the record: the property's other branch applies
    }

    /** A truncated record whose last entry has a start time: a live walk can go on from it. */
    private static boolean walkable(ProcessInfo info) {
        List<Ancestor> a = info.ancestors();
        return a.size() == ProcessInfo.MAX_ANCESTORS && a.get(a.size() - 1).startTime() >= 0;
    }

    /**
     * Whether the record and a live walk prove {@code o} outside: no process of its whole lineage has the root's pid
     * (a reused root pid may stay unproven), and the record reaches init or can be walked on.
     */
    private static boolean provablyOutside(World world, Proc o) {
        for (Proc a = o; a != null; a = a.parent()) {
            if (a.pid() == world.tree().root().pid()) {
                return false;
            }
        }
        ProcessInfo info = world.info(o);
        List<Ancestor> a = info.ancestors();
        boolean complete = !a.isEmpty() && (a.size() < ProcessInfo.MAX_ANCESTORS || a.get(a.size() - 1).pid() == 1);
        return complete || walkable(info);
    }

    @Example
    void aReaderThatReusedTheRootsPidIsNotTheRoot() {
        GuardedProcess guard = new GuardedProcess(new ProcessId(100, 10), 0, "java", "/usr/bin/java");
        CommandTree tree = new CommandTree(new ProcessId(200, 20), List.of(guard), guard);
        ProcessInfo impostor = ProcessInfo.builder(200).startTime(99).ancestors(List.of(new Ancestor(1, 1, "init", null))).build();
        assertEquals(Membership.OUTSIDER, tree.membershipOf(impostor, LineageLookup.NONE));
        ProcessInfo child = ProcessInfo.builder(300).startTime(30)
                .ancestors(List.of(new Ancestor(200, 20, "sh", null), new Ancestor(100, 10, "java", null), new Ancestor(1, 1, "init", null)))
                .build();
        assertEquals(Membership.MEMBER, tree.membershipOf(child, LineageLookup.NONE));
        ProcessInfo childOfImpostor = ProcessInfo.builder(301).startTime(31)
                .ancestors(List.of(new Ancestor(200, 99, "sh", null), new Ancestor(1, 1, "init", null))).build();
        assertEquals(Membership.OUTSIDER, tree.membershipOf(childOfImpostor, LineageLookup.NONE));
        ProcessInfo sibling = ProcessInfo.builder(302).startTime(32)
                .ancestors(List.of(new Ancestor(100, 10, "java", null), new Ancestor(1, 1, "init", null))).build();
        assertEquals(Membership.OUTSIDER, tree.membershipOf(sibling, LineageLookup.NONE));
        assertEquals(Membership.UNKNOWN, tree.membershipOf(ProcessInfo.unknown(), LineageLookup.NONE));
        assertEquals(Membership.UNKNOWN, tree.membershipOf(ProcessInfo.builder(303).startTime(33).build(), LineageLookup.NONE));
    }
}
