package io.environguard.ci;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.ProcessInfo;
import io.environguard.api.SinkStats;
import io.environguard.linux.hardening.Hardening;
import io.environguard.linux.proc.ProcessInspector;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.EventSourceProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a process tree under watch and judges its reads: starts a guard in this JVM (the host source with root, the
 * targeted source on this JVM and the processes above it without), then, once the tree's root is known, holds every
 * read of another process's environ or mem by the tree against it ({@link RunJudge}).
 *
 * <pre>{@code
 * try (TreeGuard guard = TreeGuard.builder().config(GuardConfig.load()).start()) {   // watching now
 *     Process command = new ProcessBuilder("mvn", "verify").inheritIO().start();
 *     guard.rootIs(command.pid());                      // the tree: the command and everything it starts
 *     int status = command.waitFor();
 *     RunVerdict verdict = guard.finish();              // waits for the last events, then judges
 *     if (verdict.failed()) { ... verdict.findings() ... }
 * }
 * }</pre>
 *
 * <p>What is guarded above the tree: this JVM (the guard) and every process above it up to init (the shell, the CI
 * runner). The policy protects them ({@code environguard.policy.protect.pids} is extended), so allow rules never hide
 * a read of them. Without privilege the targeted source marks this JVM and those of them this user may read
 * ({@code environguard.source.targeted.pids}, unless set). The judge's sink gets a deep queue
 * ({@code environguard.dispatch.queue.capacity} {@value #JUDGE_QUEUE_CAPACITY}, unless set), and alerts it still misses
 * fail the run.
 */
public final class TreeGuard implements AutoCloseable {

    /** The judge's sink name. */
    public static final String JUDGE_SINK = "run-judge";
    /** Queue capacity per sink, unless configured: the judge must see every alert. */
    static final int JUDGE_QUEUE_CAPACITY = 65_536;
    /** How long the counters must stand still before the last events are taken as in. */
    static final Duration QUIET = Duration.ofMillis(200);
    private static final long POLL_MILLIS = 25;
    private static final Logger LOG = LoggerFactory.getLogger(TreeGuard.class);

    private final EnvironGuard guard;
    private final RunJudge judge;
    private final ProcLineage lineage;
    private final GuardedProcess self;
    private final List<GuardedProcess> above;
    private final List<GuardedProcess> unguarded;
    private final GuardMode mode;
    private final String sourceName;
    /**
     * The source's coverage, read when first asked for and again just before the guard stops (its counts are then the
     * run's). Not at start: its text is long and costs the start time the command would wait for.
     */
    private Coverage sourceCoverage;
    private final Duration settle;
    private final String rootLabel;
    private final String hardening;
    private CommandTree tree;
    private RunVerdict verdict;

    private TreeGuard(EnvironGuard guard, RunJudge judge, ProcLineage lineage, GuardedProcess self,
                      List<GuardedProcess> above, List<GuardedProcess> unguarded, Duration settle, String rootLabel,
                      boolean hardenSelf) {
        this.guard = guard;
        this.judge = judge;
        this.lineage = lineage;
        this.self = self;
        this.above = above;
        this.unguarded = unguarded;
        this.settle = settle;
        this.rootLabel = rootLabel;
        this.sourceName = guard.sourceName();
        this.mode = GuardMode.of(sourceName);
        this.hardening = mode == GuardMode.ANCESTORS && hardenSelf ? harden() : null;
    }

    /**
     * Without privilege every read of a guarded process fails the run, a plain {@code ps} of the user's included
     * (procps opens every environ it may): made non-dumpable, this JVM cannot be read by processes of its user at all
     * (they get EACCES, which makes no event), so that its own secrets are safe and a {@code ps} does not fail the run
     * on its account. The processes above it keep their dumpability: only they can change it.
     */
    private static String harden() {
        try {
            if (!Hardening.isDumpable()) {
                return "the guard is not dumpable: processes of its user cannot open its environ or mem";
            }
            Hardening.makeNonDumpable();
            return "the guard made itself non-dumpable: processes of its user cannot open its environ or mem (EACCES)";
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** @return a new builder: configuration from {@link GuardConfig#load()}, {@code /proc}, a settle time of 2 s */
    public static Builder builder() {
        return new Builder();
    }

    /** @return how this run watches, from the source the guard chose */
    public GuardMode mode() {
        return mode;
    }

    /** @return the running source's name ({@code fanotify}, {@code targeted}...) */
    public String sourceName() {
        return sourceName;
    }

    /**
     * Which mode ran and what it watches, then what it cannot see: the source's coverage with the mode's own words
     * before it.
     *
     * @return the coverage, under the source's name
     */
    public Coverage coverage() {
        return new Coverage(sourceName, watching(), cannotSee());
    }

    /** @return what is watched: the mode, the source's coverage, and whether the guard made itself unreadable */
    public synchronized List<String> watching() {
        List<String> out = new ArrayList<>();
        switch (mode) {
            case HOST:
                out.add("mode host: every open of any process's environ or mem on the host, with its reader; reads by "
                        + rootLabel + " are told apart by lineage");
                break;
            case ANCESTORS:
                out.add("mode ancestors: opens of the environ and mem of the guard and of the processes above it that"
                        + " this user may read: " + Reports.names(guarded()));
                break;
            default:
                out.add("mode other: what the " + sourceName + " source sees, judged by lineage");
                break;
        }
        out.addAll(sourceCoverage().watching());
        if (hardening != null) {
            out.add(hardening);
        }
        return out;
    }

    private synchronized Coverage sourceCoverage() {
        if (sourceCoverage == null) {
            sourceCoverage = guard.coverage();
        }
        return sourceCoverage;
    }

    /** @return this JVM, the guard */
    public GuardedProcess self() {
        return self;
    }

    /** @return the processes above this JVM, parent first, up to (without) init; empty when its parent is init */
    public List<GuardedProcess> above() {
        return above;
    }

    /** @return what this mode and source cannot see, in words a person can check */
    public synchronized List<String> cannotSee() {
        List<String> out = new ArrayList<>();
        switch (mode) {
            case HOST:
                out.add("reads made after " + rootLabel + " ended, by processes it left running (nothing is judged after it ends)");
                out.add("a reader whose lineage could not be traced (it exited before its parents were known) is held"
                        + " against the run only when it read the guard or a process above it");
                break;
            case ANCESTORS:
                out.add("reads of any process other than the guard and the processes above it listed as guarded: the"
                        + " processes of " + rootLabel + " and every other process on the host are not watched");
                out.add("who read: without CAP_SYS_ADMIN the kernel hides the reader, so every read of a guarded process"
                        + " fails the run, a plain ps of the same user included, and the possible readers named are a"
                        + " best-effort hint");
                if (!unguarded.isEmpty()) {
                    out.add("processes above the guard that this user may not read (another user's, or not dumpable),"
                            + " not guarded: " + Reports.names(unguarded));
                }
                break;
            default:
                out.add("what the " + sourceName + " source cannot see (below); a reader whose lineage could not be"
                        + " traced is held against the run only when it read the guard or a process above it");
                break;
        }
        out.addAll(sourceCoverage().blindSpots());
        return out;
    }

    /**
     * @return the guarded processes: this JVM first, then those above it (in {@link GuardMode#ANCESTORS} mode, only
     *         those marked)
     */
    public List<GuardedProcess> guarded() {
        List<GuardedProcess> out = new ArrayList<>();
        out.add(self);
        for (GuardedProcess g : above) {
            if (mode != GuardMode.ANCESTORS || !unguarded.contains(g)) {
                out.add(g);
            }
        }
        return out;
    }

    /**
     * The tree is a child of this JVM, process {@code pid} (a command just started), and everything it starts. Its
     * start time is read now; if it already exited, it is proven by its parent, this JVM.
     *
     * @param pid the command's process, a child of this JVM
     * @return the tree
     * @throws IllegalStateException when the root was set before
     */
    public CommandTree rootIs(long pid) {
        List<GuardedProcess> chain = new ArrayList<>();
        chain.add(self);
        chain.addAll(above);
        return setTree(new CommandTree(lineage.idOf(pid), chain, self));
    }

    /**
     * The tree is this JVM and everything it starts (a build tool that runs the guard in-process).
     *
     * @return the tree
     * @throws IllegalStateException when the root was set before
     */
    public CommandTree rootIsThisProcess() {
        return setTree(new CommandTree(self.id(), above, self));
    }

    private synchronized CommandTree setTree(CommandTree t) {
        if (tree != null) {
            throw new IllegalStateException("the tree's root is set once");
        }
        tree = t;
        judge.setTree(t);
        return t;
    }

    /**
     * Waits until the last events are in (the counters stood still for {@code QUIET}, at most the settle time), stops
     * the guard, and judges. Idempotent.
     *
     * @return the verdict; the same one on every call
     * @throws InterruptedException when the thread is interrupted while it waits
     */
    public synchronized RunVerdict finish() throws InterruptedException {
        if (verdict != null) {
            return verdict;
        }
        if (mode != GuardMode.HOST || !awaitBarrier()) {
            awaitQuiet();
        }
        LOG.debug("phase: the tree's last events are in");
        // A reader resolved while the source's process table was behind (a burst on a loaded machine) may have been
        // judged without its lineage; the table has caught up since: trace such readers again before it closes.
        int retraced = judge.retrace(guard::ancestorsOf);
        if (retraced > 0) {
            LOG.debug("{} reader(s) whose lineage could not be traced at their read were traced into the tree", retraced);
        }
        // The counts in the source's coverage (the process table's size among them) are the run's, not the start's.
        synchronized (this) {
            sourceCoverage = guard.coverage();
        }
        LOG.debug("phase: coverage read");
        guard.close();
        GuardStats stats = guard.stats();
        if (LOG.isDebugEnabled()) {
            // what the run cost the guard in events: kernel records read (every /proc open outside the ignore marks)
            // against the environ and mem opens among them
            LOG.debug("phase: guard closed: {} kernel events read, {} environ or mem opens, {} alerts", stats.kernelEventsRead(),
                    stats.accesses(), stats.alerts());
        }
        long sinkMissed = 0;
        for (SinkStats s : stats.sinks()) {
            if (s.sink().equals(JUDGE_SINK)) {
                sinkMissed = s.dropped() + s.failed() + s.undelivered();
            }
        }
        RunJudge.Tally tally = judge.tally();
        verdict = new RunVerdict(mode, sourceName, watching(), cannotSee(), tree, tally,
                sinkMissed + tally.droppedBeforeStart());
        return verdict;
    }

    /**
     * In host mode, a barrier behind the tree's last events: this JVM opens (and reads nothing of) the environ of a
     * process of its own that has an empty environment. The kernel queues that open behind every open made before it,
     * the source resolves in order and the judge's queue delivers in order, so when the judge sees its alert, every
     * read the tree made before it ended has been judged. It costs a process start and one event, where waiting for the
     * host to fall quiet could take the whole settle time on a busy host. False when the alert did not come in time (an
     * allow rule that covers this JVM's executable, a lost event): the caller falls back to waiting for quiet.
     */
    private boolean awaitBarrier() throws InterruptedException {
        long deadline = System.nanoTime() + settle.toNanos();
        Process marker;
        try {
            ProcessBuilder pb = new ProcessBuilder("sleep", "60").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            marker = pb.start();
        } catch (IOException e) {
            return false;
        }
        try {
            judge.expectBarrier(self.id().pid(), (int) marker.pid());
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(
                    Path.of("/proc", Long.toString(marker.pid()), "environ"))) {
                // opened, never read: the open is the event
            } catch (IOException e) {
                return false;
            }
            long left = deadline - System.nanoTime();
            return left > 0 && judge.awaitBarrier(Duration.ofNanos(left));
        } finally {
            marker.destroy();
            marker.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private void awaitQuiet() throws InterruptedException {
        long deadline = System.nanoTime() + settle.toNanos();
        long quietSince = System.nanoTime();
        long[] last = counters();
        while (System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
            long[] now = counters();
            if (!java.util.Arrays.equals(now, last)) {
                last = now;
                quietSince = System.nanoTime();
            } else if (now[3] >= now[1] && System.nanoTime() - quietSince >= QUIET.toNanos()) {
                return; // nothing new for a while, and the judge has taken every alert
            }
        }
    }

    /** accesses, alerts, lost events, alerts the judge has taken (delivered, dropped or failed). */
    private long[] counters() {
        GuardStats s = guard.stats();
        long judged = 0;
        for (SinkStats k : s.sinks()) {
            if (k.sink().equals(JUDGE_SINK)) {
                judged = k.delivered() + k.dropped() + k.failed();
            }
        }
        return new long[] {s.accesses(), s.alerts(), s.lostEvents(), judged};
    }

    /** Stops the guard without judging (after a failure); {@link #finish} closes it too. */
    @Override
    public void close() {
        synchronized (this) {
            if (sourceCoverage == null) {
                try {
                    sourceCoverage = guard.coverage(); // what the source watched stays describable after it stops
                } catch (IllegalStateException e) {
                    // the guard is closed already: nothing to describe it with
                }
            }
        }
        guard.close();
    }

    /** Configures and starts a {@link TreeGuard}. */
    public static final class Builder {
        private GuardConfig config;
        private final List<EventSourceProvider> sources = new ArrayList<>();
        private Path procRoot = Path.of("/proc");
        private Consumer<Finding> onFinding = f -> { };
        private Duration settle = Duration.ofSeconds(2);
        private String rootLabel = "the command";
        private boolean hardenSelf = true;
        private ClassLoader classLoader;

        private Builder() {
        }

        /**
         * Where sources and sinks are looked for ({@link java.util.ServiceLoader}); default the thread's context class
         * loader. A plugin in a host with class realms (a Maven extension) passes its own.
         *
         * @param classLoader the loader to search
         * @return this builder
         */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = Objects.requireNonNull(classLoader);
            return this;
        }

        /**
         * @param rootLabel how reports call the tree (default {@code the command}; {@code this build})
         * @return this builder
         */
        public Builder rootLabel(String rootLabel) {
            this.rootLabel = Objects.requireNonNull(rootLabel);
            return this;
        }

        /**
         * Whether, watching without privilege ({@link GuardMode#ANCESTORS}), this JVM makes itself non-dumpable so that
         * processes of its user cannot read it at all (default true). Costs: no core dumps, no {@code jcmd}/attach by
         * the same user, until the JVM ends.
         *
         * @param hardenSelf whether to make this JVM non-dumpable in that mode
         * @return this builder
         */
        public Builder hardenSelf(boolean hardenSelf) {
            this.hardenSelf = hardenSelf;
            return this;
        }

        /**
         * @param config the guard's configuration (sources, policy, sinks); {@code null} for {@link GuardConfig#load()}
         * @return this builder
         */
        public Builder config(GuardConfig config) {
            this.config = config;
            return this;
        }

        /**
         * @param provider a source provider besides those found by ServiceLoader (tests add a scripted one)
         * @return this builder
         */
        public Builder addSourceProvider(EventSourceProvider provider) {
            sources.add(Objects.requireNonNull(provider));
            return this;
        }

        /**
         * @param procRoot where lineage is read from (default {@code /proc})
         * @return this builder
         */
        public Builder procRoot(Path procRoot) {
            this.procRoot = Objects.requireNonNull(procRoot);
            return this;
        }

        /**
         * @param onFinding told of each finding as it is made (on the judge's thread; must not block)
         * @return this builder
         */
        public Builder onFinding(Consumer<Finding> onFinding) {
            this.onFinding = Objects.requireNonNull(onFinding);
            return this;
        }

        /**
         * @param settle the most {@link #finish} waits for the last events after the tree ended (default 2 s); zero or
         *               more
         * @return this builder
         * @throws IllegalArgumentException when {@code settle} is negative
         */
        public Builder settle(Duration settle) {
            if (settle.isNegative()) {
                throw new IllegalArgumentException("the settle time is not negative");
            }
            this.settle = settle;
            return this;
        }

        /**
         * Starts the guard; returns once its source is watching.
         *
         * @return the running guard, to close
         * @throws GuardStartException as {@link EnvironGuard#start()} does
         */
        public TreeGuard start() throws GuardStartException {
            GuardConfig base = config == null ? GuardConfig.load() : config;
            ProcLineage lineage = new ProcLineage(procRoot);
            long selfPid = ProcessHandle.current().pid();
            ProcessInfo me = new ProcessInspector(procRoot).inspect((int) selfPid);
            GuardedProcess self = new GuardedProcess(new ProcessId((int) selfPid, me.startTime()), me.uid(), me.comm(),
                    me.exe());
            List<GuardedProcess> above = lineage.above(selfPid);
            LOG.debug("phase: the guard and the processes above it read from {}", procRoot);

            List<GuardedProcess> unguarded = new ArrayList<>();
            List<String> targeted = new ArrayList<>();
            targeted.add("self");
            for (GuardedProcess g : above) {
                if (lineage.mayRead(g.id().pid())) {
                    targeted.add(Integer.toString(g.id().pid()));
                } else {
                    unguarded.add(g);
                }
            }
            Set<String> protect = new LinkedHashSet<>(base.getList(PolicyConfig.PROTECT_PIDS));
            above.forEach(g -> protect.add(Integer.toString(g.id().pid())));

            GuardConfig.Builder b = GuardConfig.builder().setAll(base.asMap());
            if (!base.contains(TARGETED_PIDS)) {
                b.set(TARGETED_PIDS, String.join(",", targeted));
            }
            if (!protect.isEmpty()) {
                b.set(PolicyConfig.PROTECT_PIDS, String.join(",", protect));
            }
            if (!base.contains(EnvironGuard.QUEUE_CAPACITY)) {
                b.set(EnvironGuard.QUEUE_CAPACITY, Integer.toString(JUDGE_QUEUE_CAPACITY));
            }
            GuardConfig effective = b.build();
            PolicyConfig policy;
            try {
                policy = PolicyConfig.from(effective);
            } catch (IllegalArgumentException e) {
                throw new GuardStartException("invalid configuration: " + e.getMessage(), e);
            }
            RunJudge judge = new RunJudge(policy, lineage, onFinding);
            EnvironGuard.Builder gb = EnvironGuard.builder().config(effective).addSink(JUDGE_SINK, judge);
            if (classLoader != null) {
                gb.classLoader(classLoader);
            }
            sources.forEach(gb::addSourceProvider);
            LOG.debug("phase: policy built");
            EnvironGuard guard = gb.build().start();
            LOG.debug("phase: guard started");
            try {
                return new TreeGuard(guard, judge, lineage, self, above, List.copyOf(unguarded), settle, rootLabel,
                        hardenSelf);
            } catch (RuntimeException e) {
                guard.close();
                throw e;
            }
        }
    }

    /** The targeted source's key for the processes it guards. */
    static final String TARGETED_PIDS = "environguard.source.targeted.pids";
}
