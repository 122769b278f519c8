package io.environguard.internal;

import static io.environguard.policy.PolicyConfig.ALLOW_ANCESTOR_EXE;
import static io.environguard.policy.PolicyConfig.ALLOW_CONTAINER;
import static io.environguard.policy.PolicyConfig.ALLOW_EXE;
import static io.environguard.policy.PolicyConfig.ALLOW_PARENT_EXE;
import static io.environguard.policy.PolicyConfig.ALLOW_RULES;
import static io.environguard.policy.PolicyConfig.ALLOW_UID;
import static io.environguard.policy.PolicyConfig.DEDUPE_WINDOW;
import static io.environguard.policy.PolicyConfig.KNOWN_READERS;
import static io.environguard.policy.PolicyConfig.KNOWN_READERS_DEFAULTS;
import static io.environguard.policy.PolicyConfig.KNOWN_READERS_SEVERITY;
import static io.environguard.policy.PolicyConfig.PROTECT_EXE;
import static io.environguard.policy.PolicyConfig.PROTECT_PIDS;
import static io.environguard.policy.PolicyConfig.PROTECT_SELF;
import static io.environguard.policy.PolicyConfig.STATE_MAX_ENTRIES;
import static io.environguard.policy.PolicyConfig.SWEEP_FAMILIES;
import static io.environguard.policy.PolicyConfig.SWEEP_MAX_LISTED;
import static io.environguard.policy.PolicyConfig.SWEEP_THRESHOLD;
import static io.environguard.policy.PolicyConfig.SWEEP_WINDOW;

import io.environguard.api.ConfigKey;
import io.environguard.policy.PolicyConfig;
import java.util.List;

/**
 * The policy's keys, declared with their defaults and meanings for unknown-key warnings and
 * {@code describeConfiguration()}. A test checks that they are exactly {@link PolicyConfig#KEYS}, so a key added
 * to the policy cannot go undeclared.
 */
public final class PolicyKeys {

    /** Every key {@link PolicyConfig#from} reads. */
    public static final List<ConfigKey> KEYS = List.of(
            ConfigKey.of(ALLOW_EXE, "", "comma-separated resolved executables whose reads are allowed"),
            ConfigKey.of(ALLOW_UID, "", "comma-separated real uids whose reads are allowed"),
            ConfigKey.of(ALLOW_PARENT_EXE, "", "executables whose children's reads are allowed"),
            ConfigKey.of(ALLOW_ANCESTOR_EXE, "", "executables whose descendants' reads are allowed (up to 8 levels)"),
            ConfigKey.of(ALLOW_CONTAINER, "", "container ids (12+ characters also match as a prefix) whose reads are allowed"),
            ConfigKey.of(ALLOW_RULES, "", "scoped allow rules: exe=...&target.exe=...; ..."),
            ConfigKey.of(KNOWN_READERS, "", "extra known-reader executables"),
            ConfigKey.of(KNOWN_READERS_DEFAULTS, "true", "include the default known readers (ps, top, htop, systemd tools)"),
            ConfigKey.of(KNOWN_READERS_SEVERITY, PolicyConfig.DEFAULT_KNOWN_READER_SEVERITY.name().toLowerCase(java.util.Locale.ROOT),
                    "severity of known readers' reads"),
            ConfigKey.of(SWEEP_THRESHOLD, String.valueOf(PolicyConfig.DEFAULT_SWEEP_THRESHOLD),
                    "distinct targets (2-1024) one reader, or one family, must reach within the window to make a sweep"),
            ConfigKey.of(SWEEP_WINDOW, "10s", "the sweep's sliding window, and the quiet time that ends a sweep"),
            ConfigKey.of(SWEEP_FAMILIES, "true", "short-lived siblings under one parent sweep together"),
            ConfigKey.of(SWEEP_MAX_LISTED, String.valueOf(PolicyConfig.DEFAULT_SWEEP_MAX_LISTED),
                    "targets and readers one sweep episode lists in its alerts (1-65536); more are counted"),
            ConfigKey.of(DEDUPE_WINDOW, "60s", "repeats of a (reader, target, file) within this window are not alerts; 0s: off"),
            ConfigKey.of(PROTECT_SELF, "true", "the guarding JVM is a protected target"),
            ConfigKey.of(PROTECT_PIDS, "", "pids of protected targets"),
            ConfigKey.of(PROTECT_EXE, "", "executables of protected targets"),
            ConfigKey.of(STATE_MAX_ENTRIES, String.valueOf(PolicyConfig.DEFAULT_STATE_MAX_ENTRIES),
                    "entries each of the dedupe and sweep tables may hold"));

    private PolicyKeys() {
    }
}
