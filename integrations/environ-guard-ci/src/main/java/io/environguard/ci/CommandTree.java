package io.environguard.ci;

import io.environguard.api.Ancestor;
import io.environguard.api.ProcessInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A guarded process tree: its root (the command a CI guard runs, or the Maven JVM), identified by pid and start
 * time, and the processes above it (the guard, the shell, the runner). Says whether a process belongs to the tree
 * and whether a target is one of the guarded processes above it.
 *
 * <p><b>Membership.</b> A process is a member when it is the root or its lineage (itself, then
 * {@link ProcessInfo#ancestors()}, parent first) contains the root. An entry is the root when its pid is the root's
 * and either both start times are known and equal, or (one start time unknown) the next entry up is the root's
 * parent, proven by pid and start time: the root's parent starts no other process with the root's pid while the root
 * lives. A pid alone never proves anything, so a process that reuses the pid of an exited member, or of an ancestor,
 * is not taken for it. A lineage that meets a process above the root before the root is an outsider's (a sibling
 * branch: a process the test or the runner started). A lineage known up to init without the root is an outsider's.
 * A lineage cut short (the source keeps none, or {@value ProcessInfo#MAX_ANCESTORS} levels were not enough) is
 * extended through the {@link LineageLookup} while the processes live, and through the members met before (their
 * pid and start time are remembered); otherwise the process is {@link Membership#UNKNOWN}.
 *
 * <pre>{@code
 * CommandTree tree = new CommandTree(new ProcessId(child.pid(), childStart), List.of(guard, shell, runner), guard);
 * tree.membershipOf(access.reader(), LineageLookup.NONE);   // MEMBER, OUTSIDER or UNKNOWN
 * tree.isGuarded(access.target());                            // the guard, the shell or the runner
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class CommandTree {

    /** How far a live walk goes up before it gives up. */
    static final int MAX_WALK = 64;
    /** Members remembered to extend lineages that stop short. */
    static final int MAX_REMEMBERED = 4096;

    private final ProcessId root;
    private final List<GuardedProcess> above;
    private final ProcessId guard;
    private final GuardedProcess guardProcess;
    private final ProcessId rootParent;
    private final Map<ProcessId, Boolean> members = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ProcessId, Boolean> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };

    /**
     * @param root  the root: the command's process, or this JVM; its start time may be unknown (a command that
     *              exited at once), and it is then proven by its parent
     * @param above the processes above the root, parent first (may be empty)
     * @param guard the process that runs the guard: the root's parent (a CI guard) or the root itself (Maven)
     */
    public CommandTree(ProcessId root, List<GuardedProcess> above, GuardedProcess guard) {
        this.root = Objects.requireNonNull(root, "root");
        this.above = List.copyOf(above);
        this.guardProcess = Objects.requireNonNull(guard, "guard");
        this.guard = guard.id();
        this.rootParent = this.above.isEmpty() ? null : this.above.get(0).id();
    }

    /** @return the root: the command's process, or this JVM */
    public ProcessId root() {
        return root;
    }

    /** @return the processes above the root, parent first, unmodifiable; empty when none was given */
    public List<GuardedProcess> above() {
        return above;
    }

    /** @return the process that runs the guard */
    public GuardedProcess guard() {
        return guardProcess;
    }

    /**
     * Whether {@code target} is the guard or a process above the root: same pid, and no proof that it is another
     * process (a start time the source could not read does not clear it: the worst case is not given up on a
     * missing detail).
     *
     * @param target an access's target; may be {@code null}
     * @return whether it is guarded; {@code false} for {@code null} or an unknown process
     */
    public boolean isGuarded(ProcessInfo target) {
        return guardedProcess(target) != null;
    }

    /**
     * @param target an access's target; may be {@code null}
     * @return the guarded process {@code target} is (the guard, or one above the root), or {@code null} (see
     *         {@link #isGuarded})
     */
    public GuardedProcess guardedProcess(ProcessInfo target) {
        if (target == null || !target.isKnown()) {
            return null;
        }
        ProcessId t = ProcessId.of(target);
        if (!guard.isNot(t)) {
            return guardProcess;
        }
        for (GuardedProcess g : above) {
            if (!g.id().isNot(t)) {
                return g;
            }
        }
        return null;
    }

    /**
     * Where {@code process} stands, from its lineage, the members met before and, failing those, {@code lookup}.
     * Members found are remembered, to place later processes whose lineage stops short.
     *
     * @param process an access's reader; may be {@code null}
     * @param lookup  finds live parents where the lineage stops short; {@link LineageLookup#NONE} for none. One that
     *                throws counts as knowing nothing
     * @return {@link Membership#MEMBER} or {@link Membership#OUTSIDER} when proven; {@link Membership#UNKNOWN} when
     *         nothing proves either way (always for {@code null} or an unknown process)
     */
    public Membership membershipOf(ProcessInfo process, LineageLookup lookup) {
        if (process == null || !process.isKnown()) {
            return Membership.UNKNOWN;
        }
        List<ProcessId> chain = new ArrayList<>(1 + process.ancestors().size());
        chain.add(ProcessId.of(process));
        for (Ancestor a : process.ancestors()) {
            chain.add(ProcessId.of(a));
        }
        Membership found = scan(chain);
        if (found != null) {
            return found;
        }
        List<Ancestor> ancestors = process.ancestors();
        if (!ancestors.isEmpty() && (ancestors.size() < ProcessInfo.MAX_ANCESTORS || ancestors.get(ancestors.size() - 1).pid() <= 1)) {
            // Known up to init, and the root is not in it, unless an entry with the root's pid could not be told apart.
            return mayBeRoot(chain) ? Membership.UNKNOWN : Membership.OUTSIDER;
        }
        // Cut short: go up from the last entry while the processes live.
        ProcessId last = chain.get(chain.size() - 1);
        for (int step = 0; step < MAX_WALK; step++) {
            if (last.pid() <= 1) {
                return mayBeRoot(chain) ? Membership.UNKNOWN : Membership.OUTSIDER;
            }
            ProcessId parent;
            try {
                parent = lookup.parentOf(last);
            } catch (RuntimeException e) {
                parent = null; // a failing lookup knows nothing
            }
            if (parent == null) {
                return Membership.UNKNOWN;
            }
            chain.add(parent);
            found = scan(chain);
            if (found != null) {
                return found;
            }
            last = parent;
        }
        return Membership.UNKNOWN;
    }

    /**
     * MEMBER or OUTSIDER when the chain (the process first, then up) proves it, else {@code null}. The root is
     * recognised at index i with the help of entry i+1 (its parent), so the last entry is judged only once the chain
     * grows past it; a member remembered before counts wherever it appears. An entry that may be the root (its pid,
     * a start time missing on one side, its parent not proven) stops the scan: what is above it cannot make the
     * process an outsider.
     */
    private Membership scan(List<ProcessId> chain) {
        for (int i = 0; i < chain.size(); i++) {
            ProcessId e = chain.get(i);
            ProcessId next = i + 1 < chain.size() ? chain.get(i + 1) : null;
            if (isRoot(e, next) || isRememberedMember(e)) {
                remember(chain.subList(0, i));
                return Membership.MEMBER;
            }
            if (mayBeRoot(e)) {
                return null;
            }
            if (isAbove(e)) {
                return Membership.OUTSIDER;
            }
        }
        return null;
    }

    /** Whether some entry has the root's pid without proof either way. */
    private boolean mayBeRoot(List<ProcessId> chain) {
        for (ProcessId e : chain) {
            if (mayBeRoot(e)) {
                return true;
            }
        }
        return false;
    }

    /** The root's pid, and a start time missing on one side: not proven to be another process. */
    private boolean mayBeRoot(ProcessId e) {
        return e.pid() == root.pid() && !(e.hasStartTime() && root.hasStartTime());
    }

    private boolean isRoot(ProcessId e, ProcessId next) {
        if (e.pid() != root.pid()) {
            return false;
        }
        if (e.hasStartTime() && root.hasStartTime()) {
            return root.is(e);
        }
        return next != null && rootParent != null && rootParent.is(next);
    }

    /** Proven to be the guard (when it is above the root) or a process above the root. */
    private boolean isAbove(ProcessId e) {
        if (!guard.is(root) && guard.is(e)) {
            return true;
        }
        for (GuardedProcess g : above) {
            if (g.id().is(e)) {
                return true;
            }
        }
        return false;
    }

    private synchronized boolean isRememberedMember(ProcessId e) {
        if (!e.hasStartTime()) {
            return false;
        }
        for (long d = -ProcessId.START_TOLERANCE; d <= ProcessId.START_TOLERANCE; d++) {
            if (members.containsKey(new ProcessId(e.pid(), e.startTime() + d))) {
                return true;
            }
        }
        return false;
    }

    private synchronized void remember(List<ProcessId> below) {
        for (ProcessId p : below) {
            if (p.hasStartTime()) {
                members.put(p, Boolean.TRUE);
            }
        }
    }

    @Override
    public String toString() {
        return "CommandTree[root=" + root + ", guard=" + guard + ", above=" + above.size() + "]";
    }
}
