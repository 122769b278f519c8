package io.environguard.policy;

import io.environguard.api.AccessKind;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Severity;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * jqwik arbitraries for the policy's properties: a small pool of processes (so that pids collide, readers
 * repeat, targets recur and start times tell reused pids apart), timed accesses among them, and configs.
 */
final class Scenarios {

    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    /** In every generated command line: it must never reach a reason. */
    static final String MARKER = "MARKER-ARG-7f3c";

    /** Executables: some on the default known-readers list, some not; processes may also have none (null). */
    static final List<String> EXES = List.of("/usr/bin/cat", "/usr/bin/python3.12", "/tmp/.x/miner",
            "/opt/app/bin/java", "/usr/bin/ps", "/usr/bin/top", "/usr/lib/systemd/systemd");
    static final List<Integer> UIDS = List.of(0, 1000, 1001, -1);
    static final List<String> CONTAINERS = List.of("3f2a9c1b7d4e5f60718293a4b5c6d7e8", "beef");
    /** Including a newline and parentheses: reasons must stay one clean line. */
    static final List<String> COMMS = List.of("cat", "ps", "java", "evil\nline", "Web Content (pid 4)", "");
    static final List<Integer> PPIDS = List.of(-1, 1, 7, 9);
    /** What the test parent lookup knows: ppid 1 is systemd, 7 a shell, 9 the agent; others unknown. */
    static final Map<Integer, String> PARENTS = Map.of(1, "/usr/lib/systemd/systemd", 7, "/usr/bin/bash",
            9, "/opt/agent/bin/agent");
    static final IntFunction<String> PARENT_LOOKUP = PARENTS::get;

    static final Ancestor INIT = new Ancestor(1, 1, "systemd", "/usr/lib/systemd/systemd");
    static final Ancestor KTHREADD = new Ancestor(2, 0, "kthreadd", null);
    /** pid 7 was a bash, and later (its pid reused) an sh: two different parents that share a pid. */
    static final Ancestor BASH_7 = new Ancestor(7, 70, "bash", "/usr/bin/bash");
    static final Ancestor SH_7 = new Ancestor(7, 71, "sh", "/usr/bin/sh");
    static final Ancestor AGENT_9 = new Ancestor(9, 90, "agent", "/opt/agent/bin/agent");
    static final Ancestor XARGS_11 = new Ancestor(11, 110, "xargs", "/usr/bin/xargs");
    /**
     * Lineages, parent first: none (the source keeps none: the family is the ppid), services and orphans under
     * init, kernel threads, shells (one pid, two processes), an agent, xargs under a shell, a re-parented reader
     * whose lineage still names the shell that started it (its ppid says otherwise).
     */
    static final List<List<Ancestor>> LINEAGES = List.of(List.of(), List.of(INIT), List.of(KTHREADD),
            List.of(BASH_7, INIT), List.of(SH_7, INIT), List.of(AGENT_9, INIT), List.of(XARGS_11, BASH_7, INIT),
            List.of(BASH_7, AGENT_9, INIT));

    private Scenarios() {
    }

    /** One generated history: the processes involved and the accesses, in time order. */
    record Scenario(List<ProcessInfo> pool, List<EnvironAccess> accesses) {
        @Override
        public String toString() {
            StringBuilder out = new StringBuilder("Scenario[\n");
            for (EnvironAccess a : accesses) {
                out.append("  +").append(Duration.between(START, a.time()).toMillis()).append("ms ")
                        .append(id(a.reader())).append(" -> ").append(id(a.target())).append(' ')
                        .append(a.file().id()).append(' ').append(a.kind().id()).append('\n');
            }
            return out.append(']').toString();
        }
    }

    static String id(ProcessInfo p) {
        return p.isKnown() ? p.pid() + "@" + p.startTime() + "(" + p.exe() + ",uid " + p.uid() + ")" : "unknown";
    }

    /** One step: indices into the pool (taken modulo its size), the gap since the previous access, and how. */
    record Step(int reader, int target, boolean self, boolean unknownReader, int gapMillis, AccessKind kind,
                ProcFile file, AliasKind alias) {
    }

    static Arbitrary<ProcessInfo> processes(int maxPid) {
        Arbitrary<Integer> pids = Arbitraries.integers().between(2, maxPid);
        Arbitrary<Long> starts = Arbitraries.of(1000L, 2000L, -1L);
        Arbitrary<String> exes = Arbitraries.of(EXES).injectNull(0.1);
        Arbitrary<Integer> uids = Arbitraries.of(UIDS);
        Arbitrary<String> containers = Arbitraries.of(CONTAINERS).injectNull(0.5);
        Arbitrary<String> comms = Arbitraries.of(COMMS).injectNull(0.15);
        Arbitrary<Integer> ppids = Arbitraries.of(PPIDS);
        Arbitrary<Boolean> complete = Arbitraries.of(true, true, true, false);
        Arbitrary<List<Ancestor>> lineages = Arbitraries.of(LINEAGES);
        Arbitrary<ProcessInfo.Builder> base = Combinators.combine(pids, starts, exes, uids, containers, comms, ppids, complete)
                .as((pid, start, exe, uid, container, comm, ppid, done) -> ProcessInfo.builder(pid)
                        .startTime(start).exe(exe).uid(uid).containerId(container).comm(comm).ppid(ppid)
                        .cmdline(List.of("prog", MARKER)).complete(done));
        return Combinators.combine(base, lineages).as((b, lineage) -> b.ancestors(lineage).build());
    }

    /** The family an access's reader sweeps with: its parent's pid@start, or its ppid@-1; none under pid 1 or 2. */
    static String familyId(ProcessInfo reader) {
        Ancestor parent = reader.parent();
        int pid = parent != null ? parent.pid() : reader.ppid();
        if (pid <= 2) {
            return null;
        }
        return pid + "@" + (parent != null ? parent.startTime() : -1);
    }

    /** Windows that {@link #gaps()} sometimes hits exactly, so that the edges of windows get tested. */
    static final List<Integer> ROUND_MILLIS = List.of(100, 250, 500, 1000, 2000);

    static Arbitrary<Integer> gaps() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.of(ROUND_MILLIS)),
                Tuple.of(6, Arbitraries.integers().between(0, 100)),
                Tuple.of(3, Arbitraries.integers().between(0, 1000)),
                Tuple.of(1, Arbitraries.integers().between(1000, 4000)));
    }

    static Arbitrary<Step> steps() {
        Arbitrary<Integer> index = Arbitraries.integers().between(0, 63);
        Arbitrary<Boolean> self = Arbitraries.integers().between(0, 9).map(i -> i == 0);
        Arbitrary<Boolean> unknown = Arbitraries.integers().between(0, 19).map(i -> i == 0);
        Arbitrary<AccessKind> kinds = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(AccessKind.OPEN)),
                Tuple.of(1, Arbitraries.of(AccessKind.class)));
        Arbitrary<ProcFile> files = Arbitraries.frequencyOf(
                Tuple.of(5, Arbitraries.just(ProcFile.ENVIRON)),
                Tuple.of(1, Arbitraries.just(ProcFile.MEM)));
        Arbitrary<AliasKind> aliases = Arbitraries.of(AliasKind.class);
        return Combinators.combine(index, index, self, unknown, gaps(), kinds, files, aliases).as(Step::new);
    }

    static Arbitrary<Scenario> scenarios(int maxPool, int maxSteps) {
        return scenarios(processes(16), maxPool, maxSteps);
    }

    static Arbitrary<Scenario> scenarios(Arbitrary<ProcessInfo> processes, int maxPool, int maxSteps) {
        return scenarios(processes, maxPool, maxSteps, maxPool);
    }

    /** As above, with readers drawn from the first {@code maxReaders} processes of the pool only. */
    static Arbitrary<Scenario> scenarios(Arbitrary<ProcessInfo> processes, int maxPool, int maxSteps, int maxReaders) {
        return scenarios(processes, 2, maxPool, 1, maxSteps, maxReaders);
    }

    static Arbitrary<Scenario> scenarios(Arbitrary<ProcessInfo> processes, int minPool, int maxPool, int minSteps,
                                         int maxSteps, int maxReaders) {
        Arbitrary<List<ProcessInfo>> pool = processes.list().ofMinSize(minPool).ofMaxSize(maxPool);
        Arbitrary<List<Step>> steps = steps().list().ofMinSize(minSteps).ofMaxSize(maxSteps);
        return Combinators.combine(pool, steps).as((p, s) -> build(p, s, maxReaders));
    }

    static Scenario build(List<ProcessInfo> pool, List<Step> steps, int maxReaders) {
        List<EnvironAccess> accesses = new ArrayList<>(steps.size());
        Instant time = START;
        for (Step s : steps) {
            time = time.plusMillis(s.gapMillis());
            ProcessInfo reader = s.unknownReader() ? ProcessInfo.unknown()
                    : pool.get(s.reader() % Math.min(maxReaders, pool.size()));
            ProcessInfo target = s.self() && reader.isKnown() ? reader : pool.get(s.target() % pool.size());
            String path = s.alias() == AliasKind.TASK
                    ? "/proc/" + target.pid() + "/task/" + target.pid() + "/" + s.file().id()
                    : "/proc/" + target.pid() + "/" + s.file().id();
            accesses.add(EnvironAccess.builder().time(time).source("scripted").kind(s.kind()).file(s.file())
                    .path(path).alias(s.alias()).reader(reader).target(target)
                    .possibleReaders(reader.isKnown() ? List.of() : List.of(pool.get(0))).build());
        }
        return new Scenario(List.copyOf(pool), List.copyOf(accesses));
    }

    /** Lineages that make families: a shell loop's, xargs's, an agent's; and none with a ppid of 7 or 9. */
    static final List<List<Ancestor>> FAMILY_LINEAGES = List.of(List.of(BASH_7, INIT), List.of(SH_7, INIT),
            List.of(XARGS_11, BASH_7, INIT), List.of(AGENT_9, INIT), List.of(), List.of(INIT));

    /**
     * Short-lived siblings: many readers (each a pid + start time of its own) under a few parents, reading a pool
     * of targets in quick succession, so that families reach the threshold; the pool's first part are the readers.
     */
    static Arbitrary<Scenario> familyScenarios(int maxSteps) {
        Arbitrary<ProcessInfo> child = Combinators.combine(Arbitraries.integers().between(100, 400),
                        Arbitraries.of(5000L, 6000L), Arbitraries.of(FAMILY_LINEAGES), Arbitraries.of(7, 9, 1),
                        Arbitraries.of("/usr/bin/cat", "/usr/bin/head", "/usr/bin/python3.12"))
                .as((pid, start, lineage, ppid, exe) -> ProcessInfo.builder(pid).startTime(start).exe(exe)
                        .comm(exe.substring(exe.lastIndexOf('/') + 1)).uid(0)
                        .ppid(lineage.isEmpty() ? ppid : lineage.get(0).pid()).ancestors(lineage)
                        .cmdline(List.of("prog", MARKER)).build());
        Arbitrary<List<ProcessInfo>> readers = child.list().ofMinSize(4).ofMaxSize(30);
        Arbitrary<List<ProcessInfo>> targets = processes(60).list().ofMinSize(6).ofMaxSize(24);
        Arbitrary<List<Step>> steps = steps().list().ofMinSize(20).ofMaxSize(maxSteps);
        return Combinators.combine(readers, targets, steps).as((r, t, s) -> {
            List<ProcessInfo> pool = new ArrayList<>(r);
            pool.addAll(t);
            // readers take turns, two steps each (a loop's children come and go), mostly in quick succession
            List<Step> turns = new ArrayList<>(s.size());
            for (int n = 0; n < s.size(); n++) {
                Step x = s.get(n);
                int gap = n % 8 == 7 ? x.gapMillis() : x.gapMillis() % 50;
                turns.add(new Step(n / 2, x.target(), x.self(), x.unknownReader(), gap, x.kind(), x.file(), x.alias()));
            }
            return build(pool, turns, r.size());
        });
    }

    // ---- configs ----

    static Arbitrary<AllowRule> allowRules() {
        Arbitrary<Integer> kind = Arbitraries.integers().between(0, 4);
        Arbitrary<String> exe = Arbitraries.of(EXES);
        Arbitrary<Integer> uid = Arbitraries.of(0, 1000, 1001);
        Arbitrary<String> container = Arbitraries.of("3f2a9c1b7d4e", "3f2a9c1b7d4e5f60718293a4b5c6d7e8", "beef", "bee");
        Arbitrary<String> parent = Arbitraries.of("/usr/lib/systemd/systemd", "/usr/bin/bash", "/opt/agent/bin/agent",
                "/usr/bin/sh", "/usr/bin/xargs");
        Arbitrary<String> targetExe = Arbitraries.of(EXES).injectNull(0.6);
        Arbitrary<String> targetContainer = Arbitraries.of("beef", "3f2a9c1b7d4e").injectNull(0.8);
        return Combinators.combine(kind, exe, uid, container, parent, targetExe, targetContainer)
                .as((k, e, u, c, p, te, tc) -> {
                    AllowRule.Builder b = AllowRule.builder().targetExe(te).targetContainerId(tc);
                    switch (k) {
                        case 0: b.exe(e); break;
                        case 1: b.uid(u); break;
                        case 2: b.containerId(c); break;
                        case 3: b.parentExe(p); break;
                        default: b.ancestorExe(p); break;
                    }
                    return b.build();
                });
    }

    /**
     * Configs over the generated universe.
     *
     * @param withAllowRules whether allow rules may be present (properties that model the policy without
     *                       re-implementing allow matching turn them off)
     * @param smallState     whether the state cap is sometimes tiny
     */
    static Arbitrary<PolicyConfig> configs(boolean withAllowRules, boolean smallState) {
        Arbitrary<List<AllowRule>> rules = withAllowRules
                ? allowRules().list().ofMaxSize(3) : Arbitraries.just(List.of());
        Arbitrary<Boolean> knownDefaults = Arbitraries.of(true, false);
        Arbitrary<List<String>> extraKnown = Arbitraries.of("/usr/bin/cat", "/opt/app/bin/java").list().ofMaxSize(1);
        Arbitrary<Severity> knownSeverity = Arbitraries.of(Severity.class);
        Arbitrary<Integer> threshold = Arbitraries.integers().between(2, 5);
        Arbitrary<Integer> sweepMillis = Arbitraries.oneOf(Arbitraries.of(ROUND_MILLIS),
                Arbitraries.integers().between(100, 2000));
        Arbitrary<Integer> dedupeMillis = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0)),
                Tuple.of(2, Arbitraries.of(ROUND_MILLIS)),
                Tuple.of(2, Arbitraries.integers().between(1, 5000)));
        Arbitrary<Boolean> protectSelf = Arbitraries.of(true, false);
        Arbitrary<List<Integer>> protectPids = Arbitraries.integers().between(2, 16).list().ofMaxSize(2);
        Arbitrary<List<String>> protectExes = Arbitraries.of("/opt/app/bin/java", "/usr/bin/cat").list().ofMaxSize(1);
        Arbitrary<Integer> maxState = smallState
                ? Arbitraries.of(1, 2, 3, 5, PolicyConfig.DEFAULT_STATE_MAX_ENTRIES)
                : Arbitraries.just(PolicyConfig.DEFAULT_STATE_MAX_ENTRIES);

        Arbitrary<Boolean> families = Arbitraries.of(true, true, true, false);
        Arbitrary<Integer> maxListed = smallState ? Arbitraries.of(1, 3, 6, PolicyConfig.DEFAULT_SWEEP_MAX_LISTED)
                : Arbitraries.just(PolicyConfig.DEFAULT_SWEEP_MAX_LISTED);
        Arbitrary<PolicyConfig.Builder> first = Combinators.combine(rules, knownDefaults, extraKnown, knownSeverity,
                        families, maxListed)
                .as((r, kd, ek, ks, fam, listed) -> {
                    PolicyConfig.Builder b = PolicyConfig.builder().knownReaderDefaults(kd).knownReaderSeverity(ks)
                            .sweepFamilies(fam).sweepMaxListed(listed);
                    r.forEach(b::allowRule);
                    ek.forEach(b::knownReader);
                    return b;
                });
        return Combinators.combine(first, threshold, sweepMillis, dedupeMillis, protectSelf, protectPids,
                        protectExes, maxState)
                .as((b, n, sw, dd, ps, pp, pe, max) -> {
                    b.sweepThreshold(n).sweepWindow(Duration.ofMillis(sw)).dedupeWindow(Duration.ofMillis(dd))
                            .protectSelf(ps).maxStateEntries(max);
                    pp.forEach(b::protectPid);
                    pe.forEach(b::protectExe);
                    return b.build();
                });
    }

    static Arbitrary<Integer> selfPids() {
        return Arbitraries.integers().between(2, 16);
    }

    // ---- the policy's simple classifications, restated for configs without allow rules ----

    static boolean isProtected(ProcessInfo target, PolicyConfig config, long selfPid) {
        return target.isKnown() && ((config.protectSelf() && target.pid() == selfPid)
                || config.protectedPids().contains(target.pid())
                || (target.exe() != null && config.protectedExes().contains(target.exe())));
    }

    static boolean isKnownReader(ProcessInfo reader, PolicyConfig config) {
        return reader.exe() != null && config.knownReaders().contains(reader.exe());
    }

    /** Whether the policy counts this access towards its reader's sweep (config without allow rules). */
    static boolean countsTowardsSweep(EnvironAccess a, PolicyConfig config, long selfPid) {
        return !a.isSelfRead() && a.reader().isKnown() && a.file() == ProcFile.ENVIRON
                && !isProtected(a.target(), config, selfPid) && !isKnownReader(a.reader(), config);
    }

    /** The identity dedupe uses: reader pid, start and exe; target pid and start; file. */
    static List<Object> pairKey(EnvironAccess a) {
        return Arrays.asList(a.reader().pid(), a.reader().startTime(), a.reader().exe(),
                a.target().pid(), a.target().startTime(), a.file());
    }
}
