package io.environguard.linux.process;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import java.time.Duration;
import java.util.List;

/**
 * The process table's configuration, under {@code environguard.process-table.} (shared by every source that
 * resolves through the table).
 *
 * <pre>{@code
 * ProcessTableSettings s = ProcessTableSettings.from(GuardConfig.of(Map.of(
 *         "environguard.process-table.tombstone-ttl", "1m")));
 * }</pre>
 *
 * @param tombstoneTtl       how long an exited process stays in the table for late events and lineage
 * @param maxTombstones      the most exited processes kept; beyond it the oldest are evicted (counted)
 * @param commandLineBytes   how many bytes of each (redacted) command line are kept
 * @param commandLineTimeout how long one read of a process's {@code cmdline} may take before it is abandoned
 *                           (the process can stall reads of its own memory)
 * @param commandLineThreads threads that read command lines
 * @param maxStuckThreads    how many abandoned reader threads may be replaced by new ones; beyond that,
 *                           command lines are no longer read (coverage says so)
 * @param catchUpTimeout     before a source resolves an access, the process events that happened before it are
 *                           applied (so that a process that forked and exec'd just before it read is known by its
 *                           new image): how long it may wait for its turn while the feed applies one; applying a
 *                           backlog stops after five times this
 * @param receiveBuffer      the proc connector socket's receive buffer in bytes; a burst beyond it loses events
 *                           ({@code ENOBUFS}), which is reported and followed by a resynchronisation
 * @param execLog            whether to record what each process exec'd from perf side-band records, so that a
 *                           process that exits at once is still named (needs CAP_PERFMON or CAP_SYS_ADMIN)
 * @param execLogPages       ring-buffer pages per CPU for the exec log (a power of two)
 * @param commandLineWait    how long a source may wait for a command-line read already under way when it resolves
 *                           an access (0: never); at most 2% of the time is spent so, whoever asks (see
 *                           {@link #COMMAND_LINE_WAIT_BUDGET_PER_SECOND})
 * @param pollInterval       where the kernel's process events cannot be had, how often the table is brought up to
 *                           date from {@code /proc} (new processes read, gone ones made tombstones)
 */
public record ProcessTableSettings(Duration tombstoneTtl, int maxTombstones, int commandLineBytes,
                                   Duration commandLineTimeout, int commandLineThreads, int maxStuckThreads,
                                   Duration catchUpTimeout, int receiveBuffer, boolean execLog, int execLogPages,
                                   Duration commandLineWait, Duration pollInterval) {

    /** Every key of the table starts with this. */
    public static final String PREFIX = "environguard.process-table.";
    /** A duration: how long an exited process stays in the table. */
    public static final String TOMBSTONE_TTL = PREFIX + "tombstone-ttl";
    /** The most exited processes kept. */
    public static final String MAX_TOMBSTONES = PREFIX + "max-tombstones";
    /** Bytes of each redacted command line kept. */
    public static final String COMMAND_LINE_BYTES = PREFIX + "cmdline-bytes";
    /** A duration: how long one read of a {@code cmdline} may take before it is abandoned. */
    public static final String COMMAND_LINE_TIMEOUT = PREFIX + "cmdline-timeout";
    /** Threads that read command lines. */
    public static final String COMMAND_LINE_THREADS = PREFIX + "cmdline-threads";
    /** Abandoned command-line reader threads replaced before reads stop. */
    public static final String MAX_STUCK_THREADS = PREFIX + "cmdline-max-stuck-threads";
    /** A duration: how long resolving an access may wait to apply the process events before it. */
    public static final String CATCH_UP_TIMEOUT = PREFIX + "catch-up-timeout";
    /** The proc connector socket's receive buffer, in bytes. */
    public static final String RECEIVE_BUFFER = PREFIX + "receive-buffer";
    /** Whether to record execs from perf side-band records ({@code true} or {@code false}). */
    public static final String EXEC_LOG = PREFIX + "exec-log";
    /** Ring-buffer pages per CPU for the exec log (a power of two). */
    public static final String EXEC_LOG_PAGES = PREFIX + "exec-log-pages";
    /** A duration: how long resolving an access may wait for a command-line read under way. */
    public static final String COMMAND_LINE_WAIT = PREFIX + "cmdline-wait";
    /** A duration: how often the table is brought up to date from {@code /proc} where there are no process events. */
    public static final String POLL_INTERVAL = PREFIX + "poll-interval";

    /** Every key the table reads. */
    public static final List<String> KEYS = List.of(TOMBSTONE_TTL, MAX_TOMBSTONES, COMMAND_LINE_BYTES,
            COMMAND_LINE_TIMEOUT, COMMAND_LINE_THREADS, MAX_STUCK_THREADS, CATCH_UP_TIMEOUT, RECEIVE_BUFFER, EXEC_LOG,
            EXEC_LOG_PAGES, COMMAND_LINE_WAIT, POLL_INTERVAL);

    /** {@link #KEYS} declared with their defaults and meanings, for the providers of the sources that run a table. */
    public static final List<ConfigKey> CONFIG_KEYS = List.of(
            ConfigKey.of(TOMBSTONE_TTL, "30s", "how long an exited process stays in the table for late events and lineage"),
            ConfigKey.of(MAX_TOMBSTONES, "16384", "the most exited processes kept; beyond it the oldest are evicted (counted)"),
            ConfigKey.of(COMMAND_LINE_BYTES, "512", "bytes of each redacted command line kept"),
            ConfigKey.of(COMMAND_LINE_TIMEOUT, "100ms", "how long one read of a process's cmdline may take before it is abandoned"),
            ConfigKey.of(COMMAND_LINE_THREADS, "1", "threads that read command lines"),
            ConfigKey.of(MAX_STUCK_THREADS, "4", "abandoned command-line reader threads replaced before reads stop"),
            ConfigKey.of(CATCH_UP_TIMEOUT, "10ms", "how long resolving an access may wait to apply the process events before it"),
            ConfigKey.of(RECEIVE_BUFFER, String.valueOf(8 << 20), "the proc connector socket's receive buffer in bytes"),
            ConfigKey.of(EXEC_LOG, "true", "record what each process exec'd from perf side-band records (CAP_PERFMON)"),
            ConfigKey.of(EXEC_LOG_PAGES, "64", "ring-buffer pages per CPU for the exec log (a power of two)"),
            ConfigKey.of(COMMAND_LINE_WAIT, "2ms", "how long resolving an access may wait for a command-line read under way"),
            ConfigKey.of(POLL_INTERVAL, "1s", "targeted and procfs sources without the proc connector: how often the table is brought up to date"
                    + " from /proc (a reader that starts and exits between two polls is named by pid only)"));

    /** Default of {@link #TOMBSTONE_TTL}: 30 seconds. */
    public static final Duration DEFAULT_TOMBSTONE_TTL = Duration.ofSeconds(30);
    /** Default of {@link #MAX_TOMBSTONES}: {@value}. */
    public static final int DEFAULT_MAX_TOMBSTONES = 16384;
    /** Default of {@link #COMMAND_LINE_BYTES}: {@value}. */
    public static final int DEFAULT_COMMAND_LINE_BYTES = 512;
    /** Default of {@link #COMMAND_LINE_TIMEOUT}: 100 ms. */
    public static final Duration DEFAULT_COMMAND_LINE_TIMEOUT = Duration.ofMillis(100);
    /** Default of {@link #COMMAND_LINE_THREADS}: {@value}. */
    public static final int DEFAULT_COMMAND_LINE_THREADS = 1;
    /** Default of {@link #MAX_STUCK_THREADS}: {@value}. */
    public static final int DEFAULT_MAX_STUCK_THREADS = 4;
    /** Default of {@link #CATCH_UP_TIMEOUT}: 10 ms. */
    public static final Duration DEFAULT_CATCH_UP_TIMEOUT = Duration.ofMillis(10);

    /** Default of {@link #RECEIVE_BUFFER}: 8 MiB. */
    public static final int DEFAULT_RECEIVE_BUFFER = 8 << 20;
    /** Default of {@link #EXEC_LOG_PAGES}: {@value}. */
    public static final int DEFAULT_EXEC_LOG_PAGES = 64;
    /** Default of {@link #COMMAND_LINE_WAIT}: 2 ms. */
    public static final Duration DEFAULT_COMMAND_LINE_WAIT = Duration.ofMillis(2);
    /** Default of {@link #POLL_INTERVAL}: 1 second. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    /**
     * The most time, per second, that resolution may spend waiting for command-line reads under way: a process
     * that stalls reads of its own memory can cost every other alert at most this much.
     */
    public static final Duration COMMAND_LINE_WAIT_BUDGET_PER_SECOND = Duration.ofMillis(20);

    /**
     * Checks every value's range.
     *
     * @param tombstoneTtl       how long an exited process stays in the table, 0 to 1 hour
     * @param maxTombstones      the most exited processes kept, 0 to 4194304
     * @param commandLineBytes   bytes of each command line kept, 0 to 32768
     * @param commandLineTimeout the deadline of one command-line read, more than 0 and at most 10 seconds
     * @param commandLineThreads threads that read command lines, 1 to 16
     * @param maxStuckThreads    abandoned reader threads replaced before reads stop, 0 to 64
     * @param catchUpTimeout     how long resolving an access may wait for its turn to apply events, 0 to 50 ms
     * @param receiveBuffer      the proc connector socket's receive buffer, 65536 to 1073741824 bytes
     * @param execLog            whether to record execs from perf side-band records
     * @param execLogPages       ring-buffer pages per CPU for the exec log, a power of two from 1 to 4096
     * @param commandLineWait    how long resolving an access may wait for a command-line read, 0 to 10 ms
     * @param pollInterval       how often the table is polled from {@code /proc} where it is polled, 50 ms to 1 hour
     * @throws IllegalArgumentException naming the key, when a value is out of its range
     * @throws NullPointerException     when a duration is {@code null}
     */
    public ProcessTableSettings {
        check(!tombstoneTtl.isNegative() && tombstoneTtl.compareTo(Duration.ofHours(1)) <= 0, TOMBSTONE_TTL,
                "a duration from 0 to 1h");
        check(maxTombstones >= 0 && maxTombstones <= 1 << 22, MAX_TOMBSTONES, "0 to 4194304");
        check(commandLineBytes >= 0 && commandLineBytes <= 32 * 1024, COMMAND_LINE_BYTES, "0 to 32768");
        check(!commandLineTimeout.isNegative() && !commandLineTimeout.isZero()
                && commandLineTimeout.compareTo(Duration.ofSeconds(10)) <= 0, COMMAND_LINE_TIMEOUT,
                "a positive duration of at most 10s");
        check(commandLineThreads >= 1 && commandLineThreads <= 16, COMMAND_LINE_THREADS, "1 to 16");
        check(maxStuckThreads >= 0 && maxStuckThreads <= 64, MAX_STUCK_THREADS, "0 to 64");
        check(!catchUpTimeout.isNegative() && catchUpTimeout.compareTo(Duration.ofMillis(50)) <= 0, CATCH_UP_TIMEOUT,
                "a duration from 0 to 50ms");
        check(receiveBuffer >= 64 * 1024 && receiveBuffer <= 1 << 30, RECEIVE_BUFFER, "65536 to 1073741824 bytes");
        check(Integer.bitCount(execLogPages) == 1 && execLogPages >= 1 && execLogPages <= 4096, EXEC_LOG_PAGES,
                "a power of two from 1 to 4096");
        check(!commandLineWait.isNegative() && commandLineWait.compareTo(Duration.ofMillis(10)) <= 0, COMMAND_LINE_WAIT,
                "a duration from 0 to 10ms");
        check(pollInterval.compareTo(Duration.ofMillis(50)) >= 0 && pollInterval.compareTo(Duration.ofHours(1)) <= 0,
                POLL_INTERVAL, "a duration from 50ms to 1h");
    }

    private static void check(boolean ok, String key, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("configuration key " + key + ": expected " + expected);
        }
    }

    /** @return every default */
    public static ProcessTableSettings defaults() {
        return from(GuardConfig.empty());
    }

    /**
     * Reads {@link #KEYS} from {@code config}; a key not set takes its default.
     *
     * @param config the configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key, when a value is out of its range
     * @throws io.environguard.api.ConfigException when a value cannot be parsed
     */
    public static ProcessTableSettings from(GuardConfig config) {
        return new ProcessTableSettings(
                config.getDuration(TOMBSTONE_TTL, DEFAULT_TOMBSTONE_TTL),
                config.getInt(MAX_TOMBSTONES, DEFAULT_MAX_TOMBSTONES),
                config.getInt(COMMAND_LINE_BYTES, DEFAULT_COMMAND_LINE_BYTES),
                config.getDuration(COMMAND_LINE_TIMEOUT, DEFAULT_COMMAND_LINE_TIMEOUT),
                config.getInt(COMMAND_LINE_THREADS, DEFAULT_COMMAND_LINE_THREADS),
                config.getInt(MAX_STUCK_THREADS, DEFAULT_MAX_STUCK_THREADS),
                config.getDuration(CATCH_UP_TIMEOUT, DEFAULT_CATCH_UP_TIMEOUT),
                config.getInt(RECEIVE_BUFFER, DEFAULT_RECEIVE_BUFFER),
                config.getBoolean(EXEC_LOG, true),
                config.getInt(EXEC_LOG_PAGES, DEFAULT_EXEC_LOG_PAGES),
                config.getDuration(COMMAND_LINE_WAIT, DEFAULT_COMMAND_LINE_WAIT),
                config.getDuration(POLL_INTERVAL, DEFAULT_POLL_INTERVAL));
    }

    /**
     * A copy with other tombstone bounds (tests).
     *
     * @param ttl how long an exited process stays
     * @param max the most exited processes kept
     * @return the copy
     */
    public ProcessTableSettings withTombstones(Duration ttl, int max) {
        return new ProcessTableSettings(ttl, max, commandLineBytes, commandLineTimeout, commandLineThreads,
                maxStuckThreads, catchUpTimeout, receiveBuffer, execLog, execLogPages, commandLineWait, pollInterval);
    }

    /**
     * A copy with another command-line deadline (tests).
     *
     * @param timeout how long one command-line read may take
     * @return the copy
     */
    public ProcessTableSettings withCommandLineTimeout(Duration timeout) {
        return new ProcessTableSettings(tombstoneTtl, maxTombstones, commandLineBytes, timeout, commandLineThreads,
                maxStuckThreads, catchUpTimeout, receiveBuffer, execLog, execLogPages, commandLineWait, pollInterval);
    }

    /**
     * A copy with another receive buffer for the proc connector socket (tests provoke overflows with a small one).
     *
     * @param bytes the receive buffer in bytes
     * @return the copy
     */
    public ProcessTableSettings withReceiveBuffer(int bytes) {
        return new ProcessTableSettings(tombstoneTtl, maxTombstones, commandLineBytes, commandLineTimeout,
                commandLineThreads, maxStuckThreads, catchUpTimeout, bytes, execLog, execLogPages, commandLineWait, pollInterval);
    }

    /**
     * A copy with the exec log on or off.
     *
     * @param on whether to record execs from perf side-band records
     * @return the copy
     */
    public ProcessTableSettings withExecLog(boolean on) {
        return new ProcessTableSettings(tombstoneTtl, maxTombstones, commandLineBytes, commandLineTimeout,
                commandLineThreads, maxStuckThreads, catchUpTimeout, receiveBuffer, on, execLogPages,
                commandLineWait, pollInterval);
    }

    /**
     * A copy with another poll interval (tests).
     *
     * @param interval how often the table is polled from {@code /proc}
     * @return the copy
     */
    public ProcessTableSettings withPollInterval(Duration interval) {
        return new ProcessTableSettings(tombstoneTtl, maxTombstones, commandLineBytes, commandLineTimeout,
                commandLineThreads, maxStuckThreads, catchUpTimeout, receiveBuffer, execLog, execLogPages,
                commandLineWait, interval);
    }
}
