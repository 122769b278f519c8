package io.environguard.ci;

import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.AlertSink;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Holds each alert against a guarded tree, or not: a sink that receives every alert of the guard and keeps the
 * findings. An alert is a finding when
 * <ul>
 *   <li>a process of the tree (the reader, or one of a sweep's readers or its actor) made it, and it is not the
 *       ordinary read of a known reader (a plain {@code ps}: {@link PolicyConfig#coversKnownReader});
 *       {@link FindingKind#ANCESTOR_READ} when the target is a guarded process above the tree (the guard, the shell,
 *       the runner: the worst case, which allow rules cannot hide, since the guard makes those targets protected),
 *       else {@link FindingKind#TREE_READ};</li>
 *   <li>or a guarded process above the tree was read by a reader that cannot be placed (hidden by the kernel, or
 *       its lineage cut short and gone): {@link FindingKind#UNATTRIBUTED_READ}, with the possible readers that belong to
 *       the tree.</li>
 * </ul>
 * Not findings, and counted for the report: reads by processes outside the tree (started by someone else), reads
 * whose reader cannot be placed and whose target is not guarded, ordinary reads by known readers of the tree, the end
 * of a sweep ({@link Rules#ENVIRON_SWEEP_ENDED}: its reads were findings already) and lost events.
 *
 * <p>Alerts that arrive before the tree is known (the command is started after the guard watches) wait, up to
 * {@value #MAX_PENDING}; the rest are counted as dropped.
 *
 * <pre>{@code
 * RunJudge judge = new RunJudge(PolicyConfig.from(config), new ProcLineage(Path.of("/proc")), f -> log(f));
 * EnvironGuard guard = EnvironGuard.builder().config(config).addSink("judge", judge).build().start();
 * judge.setTree(tree);                          // once the command runs
 * ...
 * RunJudge.Tally tally = judge.tally();        // after the guard is closed
 * }</pre>
 */
public final class RunJudge implements AlertSink {

    /** Alerts kept while the tree is not yet known. */
    static final int MAX_PENDING = 10_000;
    /** Alerts kept as examples of each kind of non-finding. */
    static final int MAX_SAMPLES = 10;

    private final PolicyConfig policy;
    private final LineageLookup lookup;
    private final Consumer<Finding> onFinding;

    private CommandTree tree;
    private final List<Alert> pending = new ArrayList<>();
    private long pendingDropped;
    private final List<Finding> findings = new ArrayList<>();
    private final List<Alert> outside = new ArrayList<>();
    private long outsideCount;
    private final List<Alert> unplaced = new ArrayList<>();
    private long unplacedCount;
    private long knownReaderCount;
    private final Map<String, Long> lost = new TreeMap<>();
    private int barrierReader;
    private int barrierTarget;
    private boolean barrierSeen;

    /**
     * What the judge saw.
     *
     * @param findings           the findings, in the order the alerts arrived
     * @param outsideCount       alerts whose readers are all outside the tree
     * @param outsideSamples     the first of them
     * @param unplacedCount      alerts whose reader could not be placed, of targets that are not guarded
     * @param unplacedSamples    the first of them
     * @param knownReaderCount   ordinary reads by known readers of the tree ({@code ps aux}), not held against it
     * @param lost               events the source lost, by cause: reads in that time may have been missed
     * @param droppedBeforeStart alerts that arrived before the tree was known and did not fit the wait list
     */
    public record Tally(List<Finding> findings, long outsideCount, List<Alert> outsideSamples, long unplacedCount,
                        List<Alert> unplacedSamples, long knownReaderCount, Map<String, Long> lost,
                        long droppedBeforeStart) {
        /**
         * Keeps unmodifiable copies of the lists and the map.
         *
         * @param findings           the findings, in the order the alerts arrived
         * @param outsideCount       alerts whose readers are all outside the tree
         * @param outsideSamples     the first of them
         * @param unplacedCount      alerts whose reader could not be placed, of targets that are not guarded
         * @param unplacedSamples    the first of them
         * @param knownReaderCount   ordinary reads by known readers of the tree
         * @param lost               events the source lost, by cause
         * @param droppedBeforeStart alerts that arrived before the tree was known and did not fit the wait list
         */
        public Tally {
            findings = List.copyOf(findings);
            outsideSamples = List.copyOf(outsideSamples);
            unplacedSamples = List.copyOf(unplacedSamples);
            lost = Map.copyOf(lost);
        }

        /** @return events the source lost, over every cause */
        public long lostTotal() {
            return lost.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * @param policy    the policy's configuration: its known readers decide which reads of a known reader are ordinary
     * @param lookup    extends lineages that stop short ({@link ProcLineage} for the live host)
     * @param onFinding told of each finding as it is made, on the sink's thread (a live line on stderr); must not block
     */
    public RunJudge(PolicyConfig policy, LineageLookup lookup, Consumer<Finding> onFinding) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.onFinding = Objects.requireNonNull(onFinding, "onFinding");
    }

    /**
     * The tree to judge against; alerts that waited for it are judged now. Set once.
     *
     * @param tree the tree
     * @throws IllegalStateException when a tree was set before
     */
    public void setTree(CommandTree tree) {
        Objects.requireNonNull(tree, "tree");
        List<Finding> made = new ArrayList<>();
        synchronized (this) {
            if (this.tree != null) {
                throw new IllegalStateException("the tree is set once");
            }
            this.tree = tree;
            for (Alert a : pending) {
                Finding f = judge(a);
                if (f != null) {
                    made.add(f);
                }
            }
            pending.clear();
        }
        made.forEach(this::tell);
    }

    @Override
    public void publish(Alert alert) {
        Finding f;
        synchronized (this) {
            if (tree == null) {
                if (pending.size() < MAX_PENDING) {
                    pending.add(alert);
                } else {
                    pendingDropped++;
                }
                return;
            }
            f = judge(alert);
        }
        if (f != null) {
            tell(f);
        }
    }

    /**
     * The next alert of {@code readerPid} reading {@code targetPid} is a barrier ({@link TreeGuard#finish}), not a
     * read to judge: when it arrives, every alert raised before it has been judged.
     *
     * @param readerPid the process that will open the marker's environ (this JVM)
     * @param targetPid the marker process
     */
    public synchronized void expectBarrier(int readerPid, int targetPid) {
        barrierReader = readerPid;
        barrierTarget = targetPid;
        barrierSeen = false;
    }

    /**
     * Waits for the barrier's alert.
     *
     * @param timeout the longest wait
     * @return whether the barrier's alert came; {@code false} when {@code timeout} passed first
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public synchronized boolean awaitBarrier(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!barrierSeen) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /**
     * @return a copy of what was judged so far; alerts still waiting for the tree are not in it, but counted in
     *         {@link Tally#droppedBeforeStart()} while the tree is unknown
     */
    public synchronized Tally tally() {
        return new Tally(findings, outsideCount, outside, unplacedCount, unplaced, knownReaderCount, lost,
                pendingDropped + (tree == null ? pending.size() : 0));
    }

    /**
     * Traces again the readers whose lineage could not be traced when their alert was judged (findings of kind
     * {@link FindingKind#UNATTRIBUTED_READ} with a named reader): {@code lineage} gives each one's ancestors as known
     * now. A reader that they place in the tree turns its finding into the one it would have been with that lineage
     * ({@link FindingKind#ANCESTOR_READ} naming it, or none for an ordinary read of a known reader); the others stay as
     * they are (they fail the run all the same). For the end of a run, once the source's process table has caught up
     * with a burst it was still applying when the read was resolved.
     *
     * <pre>{@code
     * judge.retrace(guard::ancestorsOf);   // before the guard closes: the table is still there
     * }</pre>
     *
     * @param lineage a process's ancestors, parent first, or an empty list when unknown
     * @return how many findings were traced into the tree
     */
    public int retrace(Function<ProcessInfo, List<Ancestor>> lineage) {
        Objects.requireNonNull(lineage, "lineage");
        int traced = 0;
        synchronized (this) {
            if (tree == null) {
                return 0;
            }
            for (int i = 0; i < findings.size(); i++) {
                Finding f = findings.get(i);
                if (f.kind() != FindingKind.UNATTRIBUTED_READ || !f.reader().isKnown()) {
                    continue;
                }
                List<Ancestor> line = lineage.apply(f.reader());
                if (line == null || line.isEmpty()) {
                    continue;
                }
                ProcessInfo reader = f.reader().toBuilder().ppid(line.get(0).pid()).ancestors(line).build();
                if (tree.membershipOf(reader, lookup) != Membership.MEMBER) {
                    continue;
                }
                traced++;
                if (Rules.KNOWN_READER.equals(f.alert().rule())) {
                    findings.remove(i--);
                    knownReaderCount++;
                } else {
                    findings.set(i, new Finding(f.alert(), f.target() != null ? FindingKind.ANCESTOR_READ
                            : FindingKind.TREE_READ, reader, f.target(), List.of()));
                }
            }
        }
        return traced;
    }

    /** Judges one alert under the lock; returns the finding it made, if any. */
    private Finding judge(Alert alert) {
        if (!alert.hasAccess()) {
            alert.lost().forEach((cause, n) -> lost.merge(cause, n, Long::sum));
            if (alert.lost().isEmpty() && alert.count() > 0) {
                lost.merge("unknown", alert.count(), Long::sum);
            }
            return null;
        }
        if (Rules.ENVIRON_SWEEP_ENDED.equals(alert.rule())) {
            return null;
        }
        EnvironAccess access = alert.access();
        if (barrierReader > 0 && access.reader().pid() == barrierReader && access.target().pid() == barrierTarget) {
            barrierSeen = true;
            notifyAll();
            return null;
        }
        GuardedProcess guardedTarget = tree.guardedProcess(access.target());
        boolean ordinaryKnownReader = access.file() == ProcFile.ENVIRON && policy.coversKnownReader(access.reader());

        ProcessInfo member = null;
        boolean anyUnknown = false;
        for (ProcessInfo candidate : blamedCandidates(alert)) {
            Membership m = tree.membershipOf(candidate, lookup);
            if (m == Membership.MEMBER) {
                member = candidate;
                break;
            }
            anyUnknown |= m == Membership.UNKNOWN;
        }
        if (member != null) {
            if (Rules.KNOWN_READER.equals(alert.rule()) || (guardedTarget != null && ordinaryKnownReader)) {
                knownReaderCount++;
                return null;
            }
            return add(new Finding(alert, guardedTarget != null ? FindingKind.ANCESTOR_READ : FindingKind.TREE_READ,
                    member, guardedTarget, List.of()));
        }
        if (anyUnknown && guardedTarget != null && !ordinaryKnownReader) {
            List<ProcessInfo> possible = new ArrayList<>();
            for (ProcessInfo p : access.possibleReaders()) {
                if (tree.membershipOf(p, lookup) == Membership.MEMBER) {
                    possible.add(p);
                }
            }
            return add(new Finding(alert, FindingKind.UNATTRIBUTED_READ, access.reader(), guardedTarget, possible));
        }
        if (anyUnknown) {
            unplacedCount++;
            if (unplaced.size() < MAX_SAMPLES) {
                unplaced.add(alert);
            }
        } else {
            outsideCount++;
            if (outside.size() < MAX_SAMPLES) {
                outside.add(alert);
            }
        }
        return null;
    }

    /** The reader, the sweep's actor (the parent of sibling readers) and the sweep's readers. */
    private static List<ProcessInfo> blamedCandidates(Alert alert) {
        List<ProcessInfo> out = new ArrayList<>(2 + alert.readers().size());
        out.add(alert.access().reader());
        if (alert.actor() != null) {
            out.add(alert.actor());
        }
        out.addAll(alert.readers());
        return out;
    }

    private Finding add(Finding f) {
        findings.add(f);
        return f;
    }

    private void tell(Finding f) {
        try {
            onFinding.accept(f);
        } catch (RuntimeException e) {
            // the live line is a courtesy; the finding is kept whatever happens to it
        }
    }
}
