package io.environguard.policy;

import io.environguard.api.GuardConfig;
import io.environguard.api.ProcessInfo;
import io.environguard.api.PsCommandLine;
import io.environguard.api.Severity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The settings of a {@link Policy}: allow rules, known readers, sweep and dedupe windows, protected
 * targets, and the bound on the policy's memory. Immutable; build one in code with {@link #builder()},
 * or read it from configuration keys with {@link #from(GuardConfig)}.
 *
 * <pre>{@code
 * PolicyConfig config = PolicyConfig.builder()
 *         .allowExe("/usr/bin/my-agent")
 *         .allowRule(AllowRule.builder().uid(1000).targetExe("/usr/bin/my-app").build())
 *         .sweepThreshold(5)
 *         .protectExe("/usr/bin/vault")
 *         .build();
 * }</pre>
 *
 * <p>Every key read by {@link #from} is in {@link #KEYS}; the defaults are the constants below.
 */
public final class PolicyConfig {

    /** Every key of this class starts with this. */
    public static final String PREFIX = "environguard.policy.";

    /** Comma-separated resolved executable paths whose reads are allowed. */
    public static final String ALLOW_EXE = PREFIX + "allow.exe";
    /** Comma-separated real uids whose reads are allowed. */
    public static final String ALLOW_UID = PREFIX + "allow.uid";
    /** Comma-separated parent executables whose children's reads are allowed (exact with lineage, see {@link Policy}). */
    public static final String ALLOW_PARENT_EXE = PREFIX + "allow.parent.exe";
    /** Comma-separated executables whose descendants' reads are allowed: "anything started by this daemon". */
    public static final String ALLOW_ANCESTOR_EXE = PREFIX + "allow.ancestor.exe";
    /** Comma-separated container ids (or prefixes of 12+ characters) whose processes' reads are allowed. */
    public static final String ALLOW_CONTAINER = PREFIX + "allow.container";
    /** Scoped allow rules in the text form of {@link AllowRule#parseAll}. */
    public static final String ALLOW_RULES = PREFIX + "allow.rules";
    /** Comma-separated executables added to the known-readers list. */
    public static final String KNOWN_READERS = PREFIX + "known.readers";
    /** Whether {@link #DEFAULT_KNOWN_READERS} is part of the known-readers list (default true). */
    public static final String KNOWN_READERS_DEFAULTS = PREFIX + "known.readers.defaults";
    /** Severity of a known reader's read (default low). */
    public static final String KNOWN_READERS_SEVERITY = PREFIX + "known.readers.severity";
    /** Distinct targets one reader must reach within the sweep window to raise a sweep (default 10). */
    public static final String SWEEP_THRESHOLD = PREFIX + "sweep.threshold";
    /** The sweep's sliding window, and the quiet time that ends a sweep episode (default 10s). */
    public static final String SWEEP_WINDOW = PREFIX + "sweep.window";
    /** Whether short-lived siblings under one parent sweep together, as a family (default true). */
    public static final String SWEEP_FAMILIES = PREFIX + "sweep.families";
    /** Targets and readers one sweep episode lists in its closing alert before it only counts (default 1024). */
    public static final String SWEEP_MAX_LISTED = PREFIX + "sweep.max.listed";
    /** Repeats of one (reader, target, file) within this window after its alert are not alerts (default 60s; 0 turns dedupe off). */
    public static final String DEDUPE_WINDOW = PREFIX + "dedupe.window";
    /** Whether the guarding JVM itself is a protected target (default true). */
    public static final String PROTECT_SELF = PREFIX + "protect.self";
    /** Comma-separated pids of protected targets. */
    public static final String PROTECT_PIDS = PREFIX + "protect.pids";
    /** Comma-separated executables of protected targets. */
    public static final String PROTECT_EXE = PREFIX + "protect.exe";
    /** Entries each of the policy's two tables may hold (default 65,536). */
    public static final String STATE_MAX_ENTRIES = PREFIX + "state.max.entries";

    /** Every configuration key this class reads, for unknown-key warnings. */
    public static final Set<String> KEYS = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(
            ALLOW_EXE, ALLOW_UID, ALLOW_PARENT_EXE, ALLOW_ANCESTOR_EXE, ALLOW_CONTAINER, ALLOW_RULES,
            KNOWN_READERS, KNOWN_READERS_DEFAULTS, KNOWN_READERS_SEVERITY,
            SWEEP_THRESHOLD, SWEEP_WINDOW, SWEEP_FAMILIES, SWEEP_MAX_LISTED, DEDUPE_WINDOW,
            PROTECT_SELF, PROTECT_PIDS, PROTECT_EXE, STATE_MAX_ENTRIES)));

    /**
     * Programs that read other processes' {@code environ} as part of their ordinary job, with both the
     * {@code /usr} and the pre-merged-{@code /usr} path:
     * <ul>
     *   <li>procps {@code ps} ({@code ps e} shows each process's environment) and {@code top} (its
     *       {@code ENVIRON} field), {@code htop} (its {@code e} key shows a process's environment);</li>
     *   <li>systemd: the user manager ({@code systemd --user}), {@code systemctl} and
     *       {@code systemd-detect-virt} read {@code /proc/1/environ} (the {@code container} variable) to
     *       detect a container when {@code /run/systemd/container} is absent.</li>
     * </ul>
     * Matched by the resolved executable, so a script's interpreter (say {@code /usr/bin/python3} for
     * {@code cloud-id}) cannot be listed here without listing every script it runs.
     */
    public static final List<String> DEFAULT_KNOWN_READERS = List.of(
            "/usr/bin/ps", "/bin/ps",
            "/usr/bin/top", "/bin/top",
            "/usr/bin/htop", "/bin/htop",
            "/usr/lib/systemd/systemd", "/lib/systemd/systemd",
            "/usr/bin/systemctl", "/bin/systemctl",
            "/usr/bin/systemd-detect-virt", "/bin/systemd-detect-virt");

    /** {@link #SWEEP_THRESHOLD} when unset: 10 distinct targets. */
    public static final int DEFAULT_SWEEP_THRESHOLD = 10;
    /** {@link #SWEEP_WINDOW} when unset: 10 seconds. */
    public static final Duration DEFAULT_SWEEP_WINDOW = Duration.ofSeconds(10);
    /** {@link #DEDUPE_WINDOW} when unset: 60 seconds. */
    public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofSeconds(60);
    /** {@link #KNOWN_READERS_SEVERITY} when unset: low. */
    public static final Severity DEFAULT_KNOWN_READER_SEVERITY = Severity.LOW;
    /** {@link #STATE_MAX_ENTRIES} when unset: 65,536 entries per table. */
    public static final int DEFAULT_STATE_MAX_ENTRIES = 65_536;
    /** The largest sweep threshold accepted: each tracked reader remembers up to this many targets. */
    public static final int MAX_SWEEP_THRESHOLD = 1024;
    /** Targets and readers a sweep episode lists by default: as many as the largest threshold. */
    public static final int DEFAULT_SWEEP_MAX_LISTED = 1024;
    /** The largest {@link #SWEEP_MAX_LISTED} accepted. */
    public static final int MAX_SWEEP_MAX_LISTED = 65_536;

    private static final PolicyConfig DEFAULTS = builder().build();

    private final List<AllowRule> allowRules;
    private final Set<String> knownReaders;
    private final boolean knownReaderDefaults;
    private final Severity knownReaderSeverity;
    private final int sweepThreshold;
    private final Duration sweepWindow;
    private final boolean sweepFamilies;
    private final int sweepMaxListed;
    private final Duration dedupeWindow;
    private final boolean protectSelf;
    private final Set<Integer> protectedPids;
    private final Set<String> protectedExes;
    private final int maxStateEntries;

    private PolicyConfig(Builder b) {
        this.allowRules = List.copyOf(b.allowRules);
        this.knownReaderDefaults = b.knownReaderDefaults;
        Set<String> readers = new LinkedHashSet<>();
        if (b.knownReaderDefaults) {
            readers.addAll(DEFAULT_KNOWN_READERS);
        }
        readers.addAll(b.extraKnownReaders);
        this.knownReaders = Collections.unmodifiableSet(readers);
        this.knownReaderSeverity = b.knownReaderSeverity;
        this.sweepThreshold = b.sweepThreshold;
        this.sweepWindow = b.sweepWindow;
        this.sweepFamilies = b.sweepFamilies;
        this.sweepMaxListed = b.sweepMaxListed;
        this.dedupeWindow = b.dedupeWindow;
        this.protectSelf = b.protectSelf;
        this.protectedPids = Collections.unmodifiableSet(new LinkedHashSet<>(b.protectedPids));
        this.protectedExes = Collections.unmodifiableSet(new LinkedHashSet<>(b.protectedExes));
        this.maxStateEntries = b.maxStateEntries;
    }

    /**
     * @return the defaults: no allow rules, the default known readers at low severity, sweeps of 10 in 10s, 60s
     *         dedupe, the JVM protected
     */
    public static PolicyConfig defaults() {
        return DEFAULTS;
    }

    /** @return a new builder holding the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the {@link #KEYS} of {@code config}; unset keys keep their defaults. Lists are comma-separated.
     *
     * @param config the guard's configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key (never its value) when a value is invalid
     */
    public static PolicyConfig from(GuardConfig config) {
        Builder b = builder();
        apply(ALLOW_EXE, () -> config.getList(ALLOW_EXE).forEach(b::allowExe));
        apply(ALLOW_UID, () -> parseInts(config.getList(ALLOW_UID), 0, "non-negative uids")
                .forEach(b::allowUid));
        apply(ALLOW_PARENT_EXE, () -> config.getList(ALLOW_PARENT_EXE).forEach(b::allowParentExe));
        apply(ALLOW_ANCESTOR_EXE, () -> config.getList(ALLOW_ANCESTOR_EXE).forEach(b::allowAncestorExe));
        apply(ALLOW_CONTAINER, () -> config.getList(ALLOW_CONTAINER).forEach(b::allowContainer));
        apply(ALLOW_RULES, () -> config.get(ALLOW_RULES).ifPresent(b::allowRules));
        apply(KNOWN_READERS, () -> config.getList(KNOWN_READERS).forEach(b::knownReader));
        b.knownReaderDefaults(config.getBoolean(KNOWN_READERS_DEFAULTS, true));
        apply(KNOWN_READERS_SEVERITY, () -> config.get(KNOWN_READERS_SEVERITY)
                .ifPresent(s -> b.knownReaderSeverity(Severity.parse(s))));
        apply(SWEEP_THRESHOLD, () -> b.sweepThreshold(config.getInt(SWEEP_THRESHOLD, DEFAULT_SWEEP_THRESHOLD)));
        apply(SWEEP_WINDOW, () -> b.sweepWindow(config.getDuration(SWEEP_WINDOW, DEFAULT_SWEEP_WINDOW)));
        b.sweepFamilies(config.getBoolean(SWEEP_FAMILIES, true));
        apply(SWEEP_MAX_LISTED, () -> b.sweepMaxListed(config.getInt(SWEEP_MAX_LISTED, DEFAULT_SWEEP_MAX_LISTED)));
        apply(DEDUPE_WINDOW, () -> b.dedupeWindow(config.getDuration(DEDUPE_WINDOW, DEFAULT_DEDUPE_WINDOW)));
        b.protectSelf(config.getBoolean(PROTECT_SELF, true));
        apply(PROTECT_PIDS, () -> parseInts(config.getList(PROTECT_PIDS), 1, "positive pids")
                .forEach(b::protectPid));
        apply(PROTECT_EXE, () -> config.getList(PROTECT_EXE).forEach(b::protectExe));
        apply(STATE_MAX_ENTRIES, () -> b.maxStateEntries(config.getInt(STATE_MAX_ENTRIES, DEFAULT_STATE_MAX_ENTRIES)));
        return b.build();
    }

    /** Runs one key's setter; an error is re-thrown with the key in front, unless it already names it. */
    private static void apply(String key, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("configuration key ")) {
                throw e;
            }
            throw new IllegalArgumentException("configuration key " + key + ": " + e.getMessage(), e);
        }
    }

    private static List<Integer> parseInts(List<String> items, int min, String what) {
        List<Integer> out = new ArrayList<>(items.size());
        for (String item : items) {
            int n;
            try {
                n = Integer.parseInt(item);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a comma-separated list of " + what);
            }
            if (n < min) {
                throw new IllegalArgumentException("expected a comma-separated list of " + what);
            }
            out.add(n);
        }
        return out;
    }

    /**
     * @return every allow rule, unmodifiable, in the order given: the scoped ones and one per
     *         {@code allow.exe/uid/parent.exe/ancestor.exe/container} entry; empty for none
     */
    public List<AllowRule> allowRules() {
        return allowRules;
    }

    /**
     * @return the effective known-readers list, unmodifiable: the defaults (unless turned off) plus the extra
     *         entries
     */
    public Set<String> knownReaders() {
        return knownReaders;
    }

    /**
     * Whether the known-readers exemption covers {@code reader}: its resolved executable is on
     * {@link #knownReaders()}, and it is not a {@code ps} whose command line asks it to print environments
     * ({@code ps e}, {@code ps -o pid,environ}: {@link PsCommandLine}). procps {@code ps} opens every process's
     * {@code environ} for any listing, so a plain {@code ps aux} is ordinary; one that prints the environments is
     * reading them, and is judged as any other reader. A {@code ps} whose command line could not be read counts
     * as a plain one. Allocation-free.
     *
     * <pre>{@code
     * ProcessInfo ps = ProcessInfo.builder(42).exe("/usr/bin/ps").cmdline(List.of("ps", "eww")).build();
     * PolicyConfig.defaults().coversKnownReader(ps);   // false: ps eww prints environments
     * }</pre>
     *
     * @param reader the reader of an access
     * @return whether its read counts as a known reader's
     */
    public boolean coversKnownReader(ProcessInfo reader) {
        String exe = reader.exe();
        if (exe == null || !knownReaders.contains(exe)) {
            return false;
        }
        return !(exe.endsWith("/ps") && PsCommandLine.asksForEnvironments(reader.cmdline()));
    }

    /** @return whether {@link #DEFAULT_KNOWN_READERS} is part of {@link #knownReaders()} */
    public boolean knownReaderDefaults() {
        return knownReaderDefaults;
    }

    /** @return the severity of a known reader's read */
    public Severity knownReaderSeverity() {
        return knownReaderSeverity;
    }

    /** @return distinct targets one reader (or family) must reach within {@link #sweepWindow()} to raise a sweep */
    public int sweepThreshold() {
        return sweepThreshold;
    }

    /** @return the sweep's sliding window, and the quiet time that ends a sweep episode */
    public Duration sweepWindow() {
        return sweepWindow;
    }

    /** @return whether siblings under one parent sweep together (a shell loop forking one reader per target) */
    public boolean sweepFamilies() {
        return sweepFamilies;
    }

    /**
     * How many targets, and how many readers, one sweep episode lists in its alerts; beyond it they are only
     * counted. Never below {@link #sweepThreshold()}: a sweep alert always lists the targets that made it.
     *
     * @return the number listed, of targets and of readers each
     */
    public int sweepMaxListed() {
        return Math.max(sweepMaxListed, sweepThreshold);
    }

    /**
     * @return how long after its alert repeats of one (reader, target, file) are not alerts; {@link Duration#ZERO}
     *         when dedupe is off
     */
    public Duration dedupeWindow() {
        return dedupeWindow;
    }

    /** @return whether the guarding JVM itself is a protected target */
    public boolean protectSelf() {
        return protectSelf;
    }

    /** @return pids of protected targets, unmodifiable; empty for none */
    public Set<Integer> protectedPids() {
        return protectedPids;
    }

    /** @return resolved executables of protected targets, unmodifiable; empty for none */
    public Set<String> protectedExes() {
        return protectedExes;
    }

    /** @return entries each of the policy's two tables (dedupe, sweeps) may hold */
    public int maxStateEntries() {
        return maxStateEntries;
    }

    /** Sizes and switches only: paths, ids and uids are left out. */
    @Override
    public String toString() {
        return "PolicyConfig[allowRules=" + allowRules.size() + ", knownReaders=" + knownReaders.size()
                + ", knownReaderSeverity=" + knownReaderSeverity.id() + ", sweepThreshold=" + sweepThreshold
                + ", sweepWindow=" + sweepWindow + ", sweepFamilies=" + sweepFamilies
                + ", sweepMaxListed=" + sweepMaxListed() + ", dedupeWindow=" + dedupeWindow + ", protectSelf=" + protectSelf
                + ", protectedPids=" + protectedPids.size() + ", protectedExes=" + protectedExes.size()
                + ", maxStateEntries=" + maxStateEntries + "]";
    }

    /** Collects settings; {@link #build} validates them. Calls add to lists; later calls win for single values. */
    public static final class Builder {
        private final List<AllowRule> allowRules = new ArrayList<>();
        private final Set<String> extraKnownReaders = new LinkedHashSet<>();
        private boolean knownReaderDefaults = true;
        private Severity knownReaderSeverity = DEFAULT_KNOWN_READER_SEVERITY;
        private int sweepThreshold = DEFAULT_SWEEP_THRESHOLD;
        private Duration sweepWindow = DEFAULT_SWEEP_WINDOW;
        private boolean sweepFamilies = true;
        private int sweepMaxListed = DEFAULT_SWEEP_MAX_LISTED;
        private Duration dedupeWindow = DEFAULT_DEDUPE_WINDOW;
        private boolean protectSelf = true;
        private final Set<Integer> protectedPids = new LinkedHashSet<>();
        private final Set<String> protectedExes = new LinkedHashSet<>();
        private int maxStateEntries = DEFAULT_STATE_MAX_ENTRIES;

        private Builder() {
        }

        /**
         * Allows every read by these resolved executables.
         *
         * @param paths absolute paths
         * @return this builder
         * @throws IllegalArgumentException when a path is empty or not absolute
         */
        public Builder allowExe(String... paths) {
            for (String p : paths) {
                allowRules.add(AllowRule.exe(p));
            }
            return this;
        }

        /**
         * Allows every read by processes of these real uids.
         *
         * @param uids real user ids, 0 or more
         * @return this builder
         * @throws IllegalArgumentException when a uid is negative
         */
        public Builder allowUid(int... uids) {
            for (int u : uids) {
                if (u < 0) {
                    throw new IllegalArgumentException("allowed uids must be non-negative");
                }
                allowRules.add(AllowRule.uid(u));
            }
            return this;
        }

        /**
         * Allows every read by children of these executables (exact with lineage, best effort without; see
         * {@link Policy}).
         *
         * @param paths absolute paths of parents' resolved executables
         * @return this builder
         * @throws IllegalArgumentException when a path is empty or not absolute
         */
        public Builder allowParentExe(String... paths) {
            for (String p : paths) {
                allowRules.add(AllowRule.parentExe(p));
            }
            return this;
        }

        /**
         * Allows every read by descendants of these executables (any ancestor, up to
         * {@value io.environguard.api.ProcessInfo#MAX_ANCESTORS} levels; see {@link AllowRule#ancestorExe}).
         *
         * @param paths absolute paths of ancestors' resolved executables
         * @return this builder
         * @throws IllegalArgumentException when a path is empty or not absolute
         */
        public Builder allowAncestorExe(String... paths) {
            for (String p : paths) {
                allowRules.add(AllowRule.ancestorExe(p));
            }
            return this;
        }

        /**
         * Allows every read by processes in these containers.
         *
         * @param ids container ids, or prefixes of {@value AllowRule#MIN_CONTAINER_PREFIX}+ characters
         * @return this builder
         * @throws IllegalArgumentException when an id is empty
         */
        public Builder allowContainer(String... ids) {
            for (String id : ids) {
                allowRules.add(AllowRule.container(id));
            }
            return this;
        }

        /**
         * Adds one allow rule, scoped or not.
         *
         * @param rule the rule
         * @return this builder
         */
        public Builder allowRule(AllowRule rule) {
            allowRules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /**
         * Adds the rules of {@code text}, in the form {@link AllowRule#parseAll} reads.
         *
         * @param text rules in the text form; empty for none
         * @return this builder
         * @throws IllegalArgumentException if the text is not a valid list of rules
         */
        public Builder allowRules(String text) {
            allowRules.addAll(AllowRule.parseAll(text));
            return this;
        }

        /**
         * Adds executables to the known-readers list.
         *
         * @param paths absolute paths of resolved executables
         * @return this builder
         * @throws IllegalArgumentException when a path is not absolute
         */
        public Builder knownReader(String... paths) {
            for (String p : paths) {
                String v = Objects.requireNonNull(p, "path").trim();
                if (!v.startsWith("/")) {
                    throw new IllegalArgumentException("known readers must be absolute paths (the resolved executable)");
                }
                extraKnownReaders.add(v);
            }
            return this;
        }

        /**
         * @param include whether {@link #DEFAULT_KNOWN_READERS} is included (default true)
         * @return this builder
         */
        public Builder knownReaderDefaults(boolean include) {
            this.knownReaderDefaults = include;
            return this;
        }

        /**
         * @param severity the severity of a known reader's read (default low)
         * @return this builder
         */
        public Builder knownReaderSeverity(Severity severity) {
            this.knownReaderSeverity = Objects.requireNonNull(severity, "severity");
            return this;
        }

        /**
         * @param threshold distinct targets within the window that make a sweep: 2 to {@value #MAX_SWEEP_THRESHOLD},
         *                  checked by {@link #build}
         * @return this builder
         */
        public Builder sweepThreshold(int threshold) {
            this.sweepThreshold = threshold;
            return this;
        }

        /**
         * @param window the sweep's sliding window and the quiet time that ends an episode: above zero, at most a day,
         *               checked by {@link #build}
         * @return this builder
         */
        public Builder sweepWindow(Duration window) {
            this.sweepWindow = Objects.requireNonNull(window, "window");
            return this;
        }

        /**
         * @param families whether siblings under one parent sweep together (default true)
         * @return this builder
         */
        public Builder sweepFamilies(boolean families) {
            this.sweepFamilies = families;
            return this;
        }

        /**
         * @param max targets and readers a sweep lists before it only counts them: 1 to {@value #MAX_SWEEP_MAX_LISTED},
         *            checked by {@link #build}
         * @return this builder
         */
        public Builder sweepMaxListed(int max) {
            this.sweepMaxListed = max;
            return this;
        }

        /**
         * @param window how long repeats are not alerts again: zero (dedupe off) to a day, checked by {@link #build}
         * @return this builder
         */
        public Builder dedupeWindow(Duration window) {
            this.dedupeWindow = Objects.requireNonNull(window, "window");
            return this;
        }

        /**
         * @param protect whether the guarding JVM itself is a protected target (default true)
         * @return this builder
         */
        public Builder protectSelf(boolean protect) {
            this.protectSelf = protect;
            return this;
        }

        /**
         * Adds protected targets by pid: allow rules never hide a read of theirs (see {@link Policy}).
         *
         * @param pids positive pids
         * @return this builder
         * @throws IllegalArgumentException when a pid is not positive
         */
        public Builder protectPid(int... pids) {
            for (int p : pids) {
                if (p <= 0) {
                    throw new IllegalArgumentException("protected pids must be positive");
                }
                protectedPids.add(p);
            }
            return this;
        }

        /**
         * Adds protected targets by resolved executable: allow rules never hide a read of theirs (see {@link Policy}).
         *
         * @param paths absolute paths
         * @return this builder
         * @throws IllegalArgumentException when a path is not absolute
         */
        public Builder protectExe(String... paths) {
            for (String p : paths) {
                String v = Objects.requireNonNull(p, "path").trim();
                if (!v.startsWith("/")) {
                    throw new IllegalArgumentException("protected executables must be absolute paths (the resolved executable)");
                }
                protectedExes.add(v);
            }
            return this;
        }

        /**
         * @param max entries each of the dedupe and sweep tables may hold, at least 1, checked by {@link #build}
         * @return this builder
         */
        public Builder maxStateEntries(int max) {
            this.maxStateEntries = max;
            return this;
        }

        /**
         * @return the settings
         * @throws IllegalArgumentException naming the configuration key of a value out of range
         */
        public PolicyConfig build() {
            if (sweepThreshold < 2 || sweepThreshold > MAX_SWEEP_THRESHOLD) {
                throw new IllegalArgumentException("configuration key " + SWEEP_THRESHOLD
                        + ": expected an integer from 2 to " + MAX_SWEEP_THRESHOLD);
            }
            if (sweepWindow.isNegative() || sweepWindow.isZero() || sweepWindow.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("configuration key " + SWEEP_WINDOW
                        + ": expected a duration above zero and at most one day");
            }
            if (dedupeWindow.isNegative() || dedupeWindow.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("configuration key " + DEDUPE_WINDOW
                        + ": expected a duration from zero (off) to one day");
            }
            if (sweepMaxListed < 1 || sweepMaxListed > MAX_SWEEP_MAX_LISTED) {
                throw new IllegalArgumentException("configuration key " + SWEEP_MAX_LISTED
                        + ": expected an integer from 1 to " + MAX_SWEEP_MAX_LISTED);
            }
            if (maxStateEntries < 1) {
                throw new IllegalArgumentException("configuration key " + STATE_MAX_ENTRIES
                        + ": expected a positive integer");
            }
            return new PolicyConfig(this);
        }
    }

    /** The protected pids as a sorted array, for the policy's allocation-free lookup. */
    int[] protectedPidArray() {
        int[] out = protectedPids.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(out);
        return out;
    }
}
