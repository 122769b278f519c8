package io.environguard.policy;

import io.environguard.api.AccessKind;
import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.Mitre;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Judges each {@link EnvironAccess}: an {@link Alert}, or nothing, and says what it did with it
 * ({@link #lastOutcome()}). The rules, first match wins:
 * <ol>
 *   <li><b>Self-read</b> ({@link EnvironAccess#isSelfRead()}, any alias, any file): never an alert.</li>
 *   <li><b>Protected target</b>: the target's pid or executable is configured as protected, or it is the
 *       guarding JVM ({@code selfPid}, unless {@link PolicyConfig#protectSelf()} is off).
 *       {@link Rules#PROTECTED_TARGET}, critical; high when the reader is a known reader. Allow rules never
 *       hide these reads, and they are never folded into a sweep.</li>
 *   <li><b>Allowed</b>: an {@link AllowRule} matches the reader (and the target, if the rule names one): no alert.</li>
 *   <li><b>Known reader</b>: an {@code environ} read by an executable on the known-readers list, unless it is a
 *       {@code ps} asked to print environments ({@link PolicyConfig#coversKnownReader}):
 *       {@link Rules#KNOWN_READER} at the configured severity (low). Never counted towards a sweep.</li>
 *   <li><b>mem</b>: an open of another process's {@code /proc/P/mem}: {@link Rules#MEM_READ}, high. Not
 *       counted towards a sweep. A known reader gets no discount here: none of them opens {@code mem}, and
 *       one that does (say {@code ps} with an injected library) is exactly what this rule is for.</li>
 *   <li><b>Sweep</b>: one reader (pid + start time, when known), or short-lived siblings under one parent (a
 *       family: a shell loop forking one {@code cat} per target, {@code xargs}, {@code find -exec}), reaching
 *       {@code threshold} distinct targets within the sliding {@code window}: one {@link Rules#ENVIRON_SWEEP}
 *       alert, critical, listing the targets and readers; a family's alert blames the parent
 *       ({@link Alert#actor()}). The first targets had their own alerts. Later reads of the episode are folded
 *       into it (no alert) until it has been quiet for a window; then one {@link Rules#ENVIRON_SWEEP_ENDED}
 *       alert, at the sweep's severity, lists every target and reader from the sweep on and counts every
 *       access of the episode, so that no read is folded away unseen (see {@link SweepTracker} for the
 *       details: families need two readers, no family forms under init or kthreadd, and a reader that sweeps
 *       on its own never makes its family sweep as well).</li>
 *   <li><b>Everything else</b>: {@link Rules#ENVIRON_READ}, high.</li>
 * </ol>
 * An access seen only on a command line ({@link AccessKind#COMMAND_LINE}) follows the same rules one
 * severity step lower, with a reason saying so. Repeats of one (reader, target, file) pair within the
 * dedupe window after its alert are not alerts; a new target always is (unless folded into a sweep). Each
 * alert carries the rule id, severity, reasons a person can read (never a command line or an environment
 * value), and the MITRE classification: {@link Mitre#SYSTEM_INFORMATION_DISCOVERY} for {@code environ},
 * {@link Mitre#PROC_FILESYSTEM_CREDENTIAL_DUMPING} for {@code mem}.
 *
 * <pre>{@code
 * Policy policy = new Policy(PolicyConfig.builder().allowExe("/usr/bin/my-agent").build(),
 *         ProcessHandle.current().pid());
 * policy.evaluate(access).ifPresent(alert -> System.out.println(alert.rule() + " " + alert.reasons()));
 * AccessOutcome what = policy.lastOutcome();              // ALERTED, SELF_READ, ALLOWED, DEDUPED or FOLDED
 * policy.expire(Instant.now()).forEach(System.out::println); // sweeps that ended: call this now and then
 * }</pre>
 *
 * <p><b>Parent and ancestor rules.</b> {@code parent.exe} and {@code ancestor.exe} conditions read the
 * reader's lineage ({@link ProcessInfo#ancestors()}) when the source gives one: exact, the parent as it was even
 * after it exited, its pid was reused or the reader was re-parented. For a reader without lineage the policy
 * falls back to {@code parentExeLookup} on the reader's current {@code ppid}: best effort, since it runs after
 * the access.
 *
 * <p><b>Memory.</b> The dedupe table and each of the two sweep tables (readers, families) hold at most
 * {@link PolicyConfig#maxStateEntries()} entries; each sweep episode remembers at most
 * {@link PolicyConfig#sweepThreshold()} targets in its window and, once swept, lists at most
 * {@link PolicyConfig#sweepMaxListed()} targets and readers (accesses beyond are counted and the alerts say
 * so). Expired entries are dropped as new ones arrive; at the cap the oldest entry is dropped. Forgetting can
 * only cause extra alerts (a repeat reported again, a sweep reported twice), never hide a new target.
 *
 * <p><b>Time.</b> The clock is {@link EnvironAccess#time()}, so replaying accesses gives the same alerts;
 * {@link #expire(Instant)} moves it on between accesses. Times slightly out of order (two sources) are
 * tolerated: an earlier time counts as inside any window. Times after the year 2115 are clamped.
 *
 * <p><b>Cost.</b> A self-read costs a comparison; a repeat or a folded read a few hash look-ups and no
 * allocation. Only alerts build strings. Not thread-safe: the guard serialises calls.
 */
public final class Policy {

    /**
     * The parent lookup of a policy built without one: for readers without lineage the parent is never known, so
     * parent and ancestor rules match only readers whose source gave their lineage.
     */
    public static final IntFunction<String> NO_PARENT_LOOKUP = ppid -> null;

    private static final int NOT_PROTECTED = 0;
    private static final int PROTECTED_SELF = 1;
    private static final int PROTECTED_PID = 2;
    private static final int PROTECTED_EXE = 3;
    /** About Long.MAX_VALUE / 2 in nanoseconds, so that the difference of two clamped times never overflows. */
    private static final long MAX_EPOCH_SECONDS = 4_600_000_000L;
    private static final Severity[] SEVERITIES = Severity.values();
    private static final String PS_PRINTS_ENVIRONMENTS = "The reader is ps, which is on the known-readers list, but its"
            + " command line asks it to print environments (the BSD option e or the format environ), so it is judged as"
            + " any other reader";

    private final PolicyConfig config;
    private final long selfPid;
    private final IntFunction<String> parentExeLookup;
    private final int[] protectedPids;
    private final Set<String> protectedExes;
    private final Severity knownReaderSeverity;
    private final boolean hasAllowRules;
    private final Map<String, AllowRule[]> allowByExe;
    private final AllowRule[] otherAllowRules;
    private final long sweepWindowNanos;
    private final DedupeTable dedupe;
    private final SweepTracker sweeps;

    /** The parent executable of the access being judged (reader without lineage), looked up at most once per access. */
    private String lookedUpParentExe;
    private boolean parentExeLooked;
    private AccessOutcome lastOutcome;

    /**
     * A policy without a parent look-up: parent and ancestor rules match only readers that carry their lineage.
     *
     * @param config  the settings
     * @param selfPid the guarding JVM's pid, protected unless {@link PolicyConfig#protectSelf()} is off
     */
    public Policy(PolicyConfig config, long selfPid) {
        this(config, selfPid, NO_PARENT_LOOKUP);
    }

    /**
     * A policy that looks a reader's parent up when the reader carries no lineage.
     *
     * @param config          the settings
     * @param selfPid         the guarding JVM's pid, protected unless {@link PolicyConfig#protectSelf()} is off
     * @param parentExeLookup given a parent pid, its resolved executable or {@code null} if unknown; the
     *                        fallback for readers without lineage ({@link ProcessInfo#ancestors()} empty), called
     *                        only when a rule with {@code parent.exe} or {@code ancestor.exe} otherwise matches,
     *                        at most once per access. Best effort by nature: it runs after the access, so a
     *                        parent that exited may be unknown, and its pid may even have been reused. An
     *                        exception counts as unknown. For such readers, do not allow a parent such as init
     *                        or a subreaper: orphans are re-parented to it.
     */
    public Policy(PolicyConfig config, long selfPid, IntFunction<String> parentExeLookup) {
        this.config = Objects.requireNonNull(config, "config");
        this.selfPid = selfPid;
        this.parentExeLookup = Objects.requireNonNull(parentExeLookup, "parentExeLookup");
        this.protectedPids = config.protectedPidArray();
        this.protectedExes = new HashSet<>(config.protectedExes());
        this.knownReaderSeverity = config.knownReaderSeverity();
        this.hasAllowRules = !config.allowRules().isEmpty();
        Map<String, List<AllowRule>> byExe = new HashMap<>();
        List<AllowRule> others = new ArrayList<>();
        for (AllowRule rule : config.allowRules()) {
            if (rule.exe() != null) {
                byExe.computeIfAbsent(rule.exe(), k -> new ArrayList<>()).add(rule);
            } else {
                others.add(rule);
            }
        }
        this.allowByExe = new HashMap<>();
        byExe.forEach((exe, rules) -> allowByExe.put(exe, rules.toArray(new AllowRule[0])));
        this.otherAllowRules = others.toArray(new AllowRule[0]);
        this.sweepWindowNanos = config.sweepWindow().toNanos();
        this.dedupe = new DedupeTable(config.dedupeWindow().toNanos(), config.maxStateEntries());
        this.sweeps = new SweepTracker(config.sweepThreshold(), sweepWindowNanos, config.maxStateEntries(),
                config.sweepMaxListed(), config.sweepFamilies());
    }

    /**
     * A policy from the {@code environguard.policy.*} keys of {@code config}, protecting this JVM, without
     * a parent lookup.
     *
     * @param config the guard's configuration
     * @return the policy
     * @throws IllegalArgumentException naming the key when a value is invalid
     */
    public static Policy fromConfig(GuardConfig config) {
        return new Policy(PolicyConfig.from(config), ProcessHandle.current().pid());
    }

    /** @return the settings this policy judges by */
    public PolicyConfig config() {
        return config;
    }

    /**
     * Judges one access. Not thread-safe: the guard serialises calls. Uses {@code access.time()} as the
     * clock, so tests are deterministic. {@link #lastOutcome()} then says what was done with the access.
     *
     * @param access the access, with its time
     * @return the alert, or empty when the access is not worth one (self-read, allowed, a repeat, folded)
     */
    public Optional<Alert> evaluate(EnvironAccess access) {
        if (access.isSelfRead()) {
            lastOutcome = AccessOutcome.SELF_READ;
            return Optional.empty();
        }
        ProcessInfo reader = access.reader();
        ProcessInfo target = access.target();
        long now = nanos(access.time());
        parentExeLooked = false;
        lookedUpParentExe = null;

        int protection = protection(target);
        if (protection != NOT_PROTECTED) {
            return alertUnlessRepeat(access, now, protection, null);
        }
        if (hasAllowRules && isAllowed(reader, target)) {
            lastOutcome = AccessOutcome.ALLOWED;
            return Optional.empty();
        }
        boolean mem = access.file() == ProcFile.MEM;
        if (!mem && isKnownReader(reader)) {
            return alertUnlessRepeat(access, now, NOT_PROTECTED, Rules.KNOWN_READER);
        }
        if (mem) {
            return alertUnlessRepeat(access, now, NOT_PROTECTED, Rules.MEM_READ);
        }
        if (reader.isKnown()) {
            switch (sweeps.track(access, now, access.kind() != AccessKind.COMMAND_LINE)) {
                case FOLDED:
                    lastOutcome = AccessOutcome.FOLDED;
                    return Optional.empty();
                case SWEPT:
                    lastOutcome = AccessOutcome.ALERTED;
                    return Optional.of(sweep(access, sweeps.lastEpisode()));
                default:
                    break;
            }
        }
        return alertUnlessRepeat(access, now, NOT_PROTECTED, Rules.ENVIRON_READ);
    }

    /**
     * What the last {@link #evaluate} did with its access: {@link AccessOutcome#ALERTED} when it returned an alert
     * (its own, or the sweep it brought about), otherwise why not; {@code null} before the first call.
     * Allocation-free; not thread-safe (read it under the same lock as the call).
     *
     * @return the last access's outcome, or {@code null} before the first call
     */
    public AccessOutcome lastOutcome() {
        return lastOutcome;
    }

    /**
     * Ends the sweep episodes that have been quiet for a sweep window at {@code now}, and returns one
     * {@link Rules#ENVIRON_SWEEP_ENDED} alert for each episode that had a sweep and ended since the last call
     * (quiet for a window, or dropped at the state cap). The guard calls it about once a second with its clock;
     * code that drives a policy itself should call it now and then too, or closing alerts wait (at most 4096 of
     * them; beyond that the oldest are dropped and the next closing alert says how many). Not thread-safe.
     *
     * @param now the time to measure quiet against, and the closing alerts' time
     * @return the closing alerts, oldest first; an empty immutable list (no allocation) when none ended
     */
    public List<Alert> expire(Instant now) {
        sweeps.expire(nanos(now));
        return closingAlerts(now);
    }

    /**
     * Ends every sweep episode that had a sweep, quiet or not, and returns their closing alerts (the guard calls it
     * when it closes, before the sinks close). Episodes that have not swept are kept. Not thread-safe.
     *
     * @param now the closing alerts' time
     * @return the closing alerts, oldest first; empty when no episode had a sweep
     */
    public List<Alert> flush(Instant now) {
        sweeps.endAllSwept();
        return closingAlerts(now);
    }

    private Optional<Alert> alertUnlessRepeat(EnvironAccess access, long now, int protection, String rule) {
        if (dedupe.suppress(access, now)) {
            lastOutcome = AccessOutcome.DEDUPED;
            return Optional.empty();
        }
        lastOutcome = AccessOutcome.ALERTED;
        if (protection != NOT_PROTECTED) {
            return Optional.of(protectedTarget(access, protection));
        }
        switch (rule) {
            case Rules.KNOWN_READER: return Optional.of(knownReader(access));
            case Rules.MEM_READ: return Optional.of(memRead(access));
            default: return Optional.of(environRead(access));
        }
    }

    // ---- rule checks: allocation-free ----

    private int protection(ProcessInfo target) {
        if (!target.isKnown()) {
            return NOT_PROTECTED;
        }
        if (config.protectSelf() && target.pid() == selfPid) {
            return PROTECTED_SELF;
        }
        if (protectedPids.length > 0 && Arrays.binarySearch(protectedPids, target.pid()) >= 0) {
            return PROTECTED_PID;
        }
        if (target.exe() != null && !protectedExes.isEmpty() && protectedExes.contains(target.exe())) {
            return PROTECTED_EXE;
        }
        return NOT_PROTECTED;
    }

    private boolean isKnownReader(ProcessInfo reader) {
        return config.coversKnownReader(reader);
    }

    private boolean isAllowed(ProcessInfo reader, ProcessInfo target) {
        if (reader.exe() != null) {
            AllowRule[] forExe = allowByExe.get(reader.exe());
            if (forExe != null && anyMatches(forExe, reader, target)) {
                return true;
            }
        }
        return anyMatches(otherAllowRules, reader, target);
    }

    private boolean anyMatches(AllowRule[] rules, ProcessInfo reader, ProcessInfo target) {
        for (AllowRule rule : rules) {
            if (rule.matchesIgnoringLineage(reader, target) && (!rule.needsLineage() || lineageMatches(rule, reader))) {
                return true;
            }
        }
        return false;
    }

    private boolean lineageMatches(AllowRule rule, ProcessInfo reader) {
        return (rule.parentExe() == null || rule.parentExe().equals(parentExe(reader)))
                && (rule.ancestorExe() == null || hasAncestor(reader, rule.ancestorExe()));
    }

    /** The parent's executable: from the lineage (exact; never the look-up), else looked up by the current ppid. */
    private String parentExe(ProcessInfo reader) {
        Ancestor parent = reader.parent();
        return parent != null ? parent.exe() : lookedUpParentExe(reader);
    }

    /** Whether any ancestor in the lineage runs {@code exe}; without lineage, whether the looked-up parent does. */
    private boolean hasAncestor(ProcessInfo reader, String exe) {
        List<Ancestor> chain = reader.ancestors();
        if (chain.isEmpty()) {
            return exe.equals(lookedUpParentExe(reader));
        }
        for (int i = 0; i < chain.size(); i++) {   // indexed: no iterator to allocate
            if (exe.equals(chain.get(i).exe())) {
                return true;
            }
        }
        return false;
    }

    private String lookedUpParentExe(ProcessInfo reader) {
        if (!parentExeLooked) {
            parentExeLooked = true;
            if (reader.ppid() > 0) {
                try {
                    lookedUpParentExe = parentExeLookup.apply(reader.ppid());
                } catch (RuntimeException e) {
                    lookedUpParentExe = null; // documented: a failing lookup means "unknown", and unknown never allows
                }
            }
        }
        return lookedUpParentExe;
    }

    // ---- alerts: only here do strings get built ----

    private Alert protectedTarget(EnvironAccess access, int protection) {
        boolean known = isKnownReader(access.reader());
        // Why first: the alert line already says who read whose, and sinks show the first reason.
        List<String> reasons = new ArrayList<>(6);
        String target = Reasons.brief(access.target());
        switch (protection) {
            case PROTECTED_SELF:
                reasons.add(target + " is protected: it is the JVM running this guard");
                break;
            case PROTECTED_PID:
                reasons.add(target + " is protected: its pid is listed in " + PolicyConfig.PROTECT_PIDS);
                break;
            default:
                reasons.add(target + " is protected: its executable is listed in " + PolicyConfig.PROTECT_EXE);
                break;
        }
        reasons.add(Reasons.access(access));
        if (known) {
            reasons.add("The reader is on the known-readers list, so the severity is high rather than critical");
        }
        if (hasAllowRules && isAllowed(access.reader(), access.target())) {
            reasons.add("An allow rule matches this reader, but allow rules never cover a protected target");
        }
        return single(access, Rules.PROTECTED_TARGET, known ? Severity.HIGH : Severity.CRITICAL, reasons);
    }

    private Alert knownReader(EnvironAccess access) {
        return single(access, Rules.KNOWN_READER, knownReaderSeverity,
                Reasons.clean(access.reader().exe()) + " is on the known-readers list: reading other "
                        + "processes' environment is part of its ordinary job", Reasons.access(access));
    }

    private Alert memRead(EnvironAccess access) {
        return single(access, Rules.MEM_READ, Severity.HIGH,
                "Reading /proc/PID/mem returns the same secrets as environ, and the rest of the process's memory",
                Reasons.access(access));
    }

    private Alert environRead(EnvironAccess access) {
        String first = "Another process's environment holds its secrets (passwords, keys, tokens), and no allow rule or "
                + "known-readers entry covers this reader";
        if (printsEnvironments(access.reader())) {
            List<String> reasons = new ArrayList<>(5);
            reasons.add(first);
            reasons.add(Reasons.access(access));
            reasons.add(PS_PRINTS_ENVIRONMENTS);
            return single(access, Rules.ENVIRON_READ, Severity.HIGH, reasons);
        }
        return single(access, Rules.ENVIRON_READ, Severity.HIGH, first, Reasons.access(access));
    }

    /** A known reader's executable, refused the exemption because its command line asks ps to print environments. */
    private boolean printsEnvironments(ProcessInfo reader) {
        return reader.exe() != null && config.knownReaders().contains(reader.exe()) && !config.coversKnownReader(reader);
    }

    /** The common case of two reasons, without a list to grow and copy (Alert keeps an immutable list as is). */
    private static Alert single(EnvironAccess access, String rule, Severity severity, String first, String second) {
        ProcessInfo reader = access.reader();
        if (reader.isKnown() && reader.complete() && access.kind() != AccessKind.COMMAND_LINE) {
            return Alert.of(access, rule, severity, mitre(access.file()), List.of(first, second));
        }
        List<String> reasons = new ArrayList<>(5);
        reasons.add(first);
        reasons.add(second);
        return single(access, rule, severity, reasons);
    }

    /** Adds the reader facts and the command-line caveat, lowers the severity for command lines. */
    private static Alert single(EnvironAccess access, String rule, Severity severity, List<String> reasons) {
        Reasons.aboutReader(access, reasons);
        Severity s = severity;
        if (access.kind() == AccessKind.COMMAND_LINE) {
            reasons.add(Reasons.commandLineCaveat());
            s = lower(severity);
        }
        return Alert.of(access, rule, s, mitre(access.file()), reasons);
    }

    private Alert sweep(EnvironAccess access, SweepTracker.Episode episode) {
        SweepTracker.Listing listing = episode.listing();
        List<ProcessInfo> targets = listing.targets();
        List<ProcessInfo> readers = listing.readers();
        String window = Reasons.duration(sweepWindowNanos);
        List<String> reasons = new ArrayList<>(6);
        if (episode.isFamily()) {
            reasons.add(Reasons.describe(episode.actor()) + " started " + readers.size()
                    + " readers that touched the environ files of " + targets.size() + " distinct processes within "
                    + window + ": " + Reasons.list(targets, false));
            reasons.add("Readers: " + Reasons.list(readers, true));
            reasons.add("Further reads by this family are folded into this alert until it has been quiet for " + window
                    + "; then an " + Rules.ENVIRON_SWEEP_ENDED + " alert lists every target");
        } else {
            reasons.add(Reasons.describe(access.reader()) + " touched the environ files of "
                    + targets.size() + " distinct processes within " + window + ": " + Reasons.list(targets, false));
            reasons.add("Further reads by this reader are folded into this alert until it has been quiet for " + window
                    + "; then an " + Rules.ENVIRON_SWEEP_ENDED + " alert lists every target");
        }
        Reasons.aboutReader(access, reasons);
        if (episode.onlyCommandLine()) {
            reasons.add(Reasons.commandLineCaveat());
        }
        return new Alert(access.time(), Rules.ENVIRON_SWEEP, sweepSeverity(episode), reasons,
                Mitre.SYSTEM_INFORMATION_DISCOVERY, access, targets, episode.count(), Map.of(), episode.actor(), readers);
    }

    private List<Alert> closingAlerts(Instant now) {
        List<SweepTracker.Episode> ended = sweeps.drainEnded();
        if (ended.isEmpty()) {
            return List.of();
        }
        long dropped = sweeps.takeEndedDropped();
        List<Alert> out = new ArrayList<>(ended.size());
        for (SweepTracker.Episode e : ended) {
            out.add(closing(e, now, dropped));
            dropped = 0;
        }
        return out;
    }

    /** The {@link Rules#ENVIRON_SWEEP_ENDED} alert of an episode: everything it listed and counted. */
    private Alert closing(SweepTracker.Episode episode, Instant now, long droppedBefore) {
        SweepTracker.Listing listing = episode.listing();
        EnvironAccess access = episode.lastAccess();
        List<ProcessInfo> targets = listing.targets();
        List<ProcessInfo> readers = listing.readers();
        long quietAt = episode.lastSeen() + sweepWindowNanos;
        boolean cut = nanos(now) < quietAt;   // flushed (the guard is closing) before it was quiet for a window
        Instant time = cut ? now : instant(quietAt);
        String window = Reasons.duration(sweepWindowNanos);
        String who = episode.isFamily()
                ? "The sweep by the family of " + Reasons.describe(episode.actor())
                : "The sweep by " + Reasons.describe(access.reader());
        List<String> reasons = new ArrayList<>(6);
        reasons.add(who + (cut ? " was ended by a flush before it had been quiet for " + window
                : " ended (quiet for " + window + ")") + " after " + episode.count() + " accesses to the environ files of "
                + targets.size() + " distinct processes: " + Reasons.list(targets, false));
        if (episode.isFamily()) {
            reasons.add("Readers: " + Reasons.list(readers, true));
        }
        if (listing.unlistedTargetAccesses() > 0) {
            reasons.add(listing.unlistedTargetAccesses() + " more accesses to targets not listed: a sweep lists at most "
                    + listing.max() + " targets (" + PolicyConfig.SWEEP_MAX_LISTED + ")");
        }
        if (listing.unlistedReaderAccesses() > 0) {
            reasons.add(listing.unlistedReaderAccesses() + " more accesses by readers not listed: a sweep lists at most "
                    + listing.max() + " readers (" + PolicyConfig.SWEEP_MAX_LISTED + ")");
        }
        if (droppedBefore > 0) {
            reasons.add(droppedBefore + " earlier " + Rules.ENVIRON_SWEEP_ENDED + " alerts were dropped: more than "
                    + SweepTracker.ENDED_KEPT + " sweeps ended between two calls of Policy.expire");
        }
        if (episode.onlyCommandLine()) {
            reasons.add(Reasons.commandLineCaveat());
        }
        return new Alert(time, Rules.ENVIRON_SWEEP_ENDED, sweepSeverity(episode), reasons,
                Mitre.SYSTEM_INFORMATION_DISCOVERY, access, targets, episode.count(), Map.of(), episode.actor(), readers);
    }

    private static Severity sweepSeverity(SweepTracker.Episode episode) {
        return episode.onlyCommandLine() ? lower(Severity.CRITICAL) : Severity.CRITICAL;
    }

    private static Mitre mitre(ProcFile file) {
        return file == ProcFile.MEM ? Mitre.PROC_FILESYSTEM_CREDENTIAL_DUMPING : Mitre.SYSTEM_INFORMATION_DISCOVERY;
    }

    private static Severity lower(Severity s) {
        return s == Severity.INFO ? s : SEVERITIES[s.ordinal() - 1];
    }

    /** Epoch nanoseconds, clamped so that differences cannot overflow. */
    static long nanos(Instant t) {
        long s = Math.max(-MAX_EPOCH_SECONDS, Math.min(MAX_EPOCH_SECONDS, t.getEpochSecond()));
        return s * 1_000_000_000L + t.getNano();
    }

    private static Instant instant(long epochNanos) {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L));
    }

    // ---- for tests: the sizes of the bounded state ----

    int dedupeEntries() {
        return dedupe.size();
    }

    int trackedReaders() {
        return sweeps.readerCount();
    }

    int trackedFamilies() {
        return sweeps.familyCount();
    }

    int maxTrackedTargetsPerReader() {
        return sweeps.maxWindowTargets();
    }

    int maxListedPerEpisode() {
        return sweeps.maxListedNow();
    }
}
