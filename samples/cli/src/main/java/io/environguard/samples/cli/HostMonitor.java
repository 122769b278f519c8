package io.environguard.samples.cli;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.api.AccessOutcome;
import io.environguard.api.GuardStats;
import io.environguard.api.SinkStats;
import io.environguard.policy.PolicyConfig;
import io.environguard.spi.EventSourceProvider;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The host monitor: watches every read of another process's {@code /proc/PID/environ} (and {@code mem}) on this
 * host and writes one alert per line to stdout.
 *
 * <pre>
 * java -jar samples/cli/target/environ-guard-cli.jar --format jsonl --ready-file /run/environ-guard.ready
 * </pre>
 *
 * <p>Contract (DESIGN.md): the ready file appears once the source is watching; alerts go to stdout, one per line;
 * everything else (the start-up line with the source's coverage, stats, the library's log) goes to stderr; exit
 * status 0 on SIGTERM/SIGINT or at the end of {@code --duration}, 1 with one line on stderr when it cannot watch,
 * 2 with one line on stderr for invalid options or configuration.
 *
 * <p>Configuration: the properties file of {@code --config} (else the one named by {@code environguard.config.file}),
 * then {@code ENVIRONGUARD_*} environment variables, then {@code -Denvironguard.*} system properties, then the
 * options, each layer winning over the one before. Sinks: the monitor's own stdout sink, plus the sinks that
 * {@code environguard.sinks} names (e.g. {@code webhook}, with its jar on the classpath); none by default, so that
 * alerts are not repeated on stderr by the {@code slf4j} sink.
 */
@Command(name = "environ-guard-cli",
        mixinStandardHelpOptions = true,
        versionProvider = HostMonitor.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Watches every read of another process's /proc/PID/environ (and /proc/PID/mem) on this host and writes"
                    + " one alert per line to stdout. Logs, the start-up line and stats go to stderr.",
            "Needs root (CAP_SYS_ADMIN) for the fanotify source."},
        exitCodeListHeading = "%nExit status:%n",
        footer = {"%nSubcommand run: environ-guard-cli run [options] -- COMMAND [ARGS...] guards a CI command and fails it"
                + " when it reads another process's environ or mem (see run --help)."},
        exitCodeList = {
            "0:stopped by SIGTERM or SIGINT, or at the end of --duration",
            "1:cannot watch (e.g. missing CAP_SYS_ADMIN, no usable source), or stdout was closed",
            "2:invalid option or configuration"})
public final class HostMonitor implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_CANNOT_WATCH = 1;
    static final int EXIT_USAGE = 2;
    private static final String PREFIX = "environ-guard: ";
    private static final String STDOUT_CLOSED = "stdout closed";

    @Option(names = "--format", paramLabel = "text|jsonl|ocsf", converter = FormatConverter.class,
            description = "How each alert is written on stdout: text (one line for a person, the default),"
                    + " jsonl (one JSON object per line) or ocsf (one OCSF 1.3 File System Activity event per line).")
    private OutputFormat format = OutputFormat.TEXT;

    @Option(names = "--source", paramLabel = "auto|fanotify|procfs",
            description = "The event source: auto (the best available, the default), fanotify, procfs,"
                    + " or the name of a source plugin on the classpath. Sets environguard.source.")
    private String source;

    @Option(names = "--ready-file", paramLabel = "PATH",
            description = "Created (holding the monitor's pid) once the source is watching; a stale one is removed at start.")
    private Path readyFile;

    @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Stop after this long (e.g. 60s, 5m), with exit status 0. Default: run until SIGTERM or SIGINT.")
    private Duration duration;

    @Option(names = "--allow-exe", paramLabel = "PATH",
            description = "Never alert on reads by this executable (resolved path, e.g. /usr/bin/ps). Repeatable;"
                    + " replaces environguard.policy.allow.exe from the configuration.")
    private List<String> allowExe = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE",
            description = "A properties file of environguard.* keys. Environment variables, system properties and"
                    + " these options win over it.")
    private Path configFile;

    @Option(names = "--stats-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Write the guard's counters to stderr this often (e.g. 30s).")
    private Duration statsInterval;

    private final OutputStream stdout;
    private final PrintStream stderr;
    private final List<EventSourceProvider> extraSources;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final AtomicReference<String> stopReason = new AtomicReference<>();
    private volatile int exitCode = EXIT_CANNOT_WATCH;

    /**
     * @param stdout       where alerts go
     * @param stderr       where the monitor's own lines go (the library logs through SLF4J, to stderr as well)
     * @param extraSources source providers besides those found by ServiceLoader (tests add a scripted one)
     */
    HostMonitor(OutputStream stdout, PrintStream stderr, List<EventSourceProvider> extraSources) {
        this.stdout = Objects.requireNonNull(stdout);
        this.stderr = Objects.requireNonNull(stderr);
        this.extraSources = List.copyOf(extraSources);
    }

    public static void main(String[] args) {
        HostMonitor monitor = new HostMonitor(new FileOutputStream(FileDescriptor.out), System.err, List.of());
        // SIGTERM and SIGINT start the JVM's shutdown, which runs this hook: it stops the monitor the same way
        // --duration does (closing the guard delivers what the sinks still hold), then halts with the monitor's
        // status, since the JVM's own status after a signal would be 128 + the signal number.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            monitor.requestStop("signal");
            Runtime.getRuntime().halt(monitor.awaitExit(Duration.ofSeconds(30)));
        }, "environ-guard-cli-shutdown"));
        System.exit(monitor.run(args));
    }

    /** Parses {@code args}, runs until stopped, and returns the exit status. Runs once. */
    int run(String... args) {
        try {
            CommandLine cl = new CommandLine(this)
                    .addSubcommand("run", new CommandLine(new RunCommand(stderr, extraSources)).setStopAtPositional(true))
                    .setOut(new PrintWriter(stdout, true, StandardCharsets.UTF_8))
                    .setErr(new PrintWriter(stderr, true))
                    .setParameterExceptionHandler(this::usageError);
            exitCode = cl.execute(args);
            return exitCode;
        } finally {
            finished.countDown();
        }
    }

    /** Stops a running monitor as {@code --duration} would; the first reason given is the one reported. */
    void requestStop(String reason) {
        stopReason.compareAndSet(null, reason);
        stopRequested.countDown();
    }

    /** Waits for {@link #run} to return, and returns its status; 1 if it did not return within {@code timeout}. */
    int awaitExit(Duration timeout) {
        try {
            if (finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return exitCode;
            }
            stderr.println(PREFIX + "did not stop within " + timeout.toSeconds() + " s; exiting anyway");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return EXIT_CANNOT_WATCH;
    }

    @Override
    public Integer call() throws InterruptedException {
        GuardConfig config;
        try {
            config = configuration();
        } catch (IllegalArgumentException e) {
            say(oneLine(e.getMessage()));
            return EXIT_USAGE;
        }
        String hostname = hostname();
        StdoutSink sink = new StdoutSink(format.formatter(hostname, Version.number()), stdout, e -> {
            say("cannot write to stdout (" + e.getClass().getSimpleName() + "); stopping");
            requestStop(STDOUT_CLOSED);
        });
        EnvironGuard.Builder builder = EnvironGuard.builder().config(config).addSink("stdout", sink);
        extraSources.forEach(builder::addSourceProvider);

        if (readyFile != null) {
            try {
                Files.deleteIfExists(readyFile);
            } catch (IOException e) {
                say("cannot remove the stale ready file " + readyFile + ": " + e.getClass().getSimpleName());
                return EXIT_CANNOT_WATCH;
            }
        }
        EnvironGuard guard;
        try {
            guard = builder.build().start();
        } catch (GuardStartException e) {
            say("cannot watch: " + oneLine(e.getMessage()));
            return EXIT_CANNOT_WATCH;
        } catch (IllegalArgumentException e) {
            say("invalid configuration: " + oneLine(e.getMessage()));
            return EXIT_USAGE;
        }
        ScheduledExecutorService statsTimer = null;
        int status = EXIT_OK;
        try {
            say(startupLine(guard.sourceName(), guard.coverage()));
            if (readyFile != null) {
                writeReadyFile(readyFile);
            }
            if (statsInterval != null) {
                statsTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "environ-guard-cli-stats");
                    t.setDaemon(true);
                    return t;
                });
                long ms = Math.max(1, statsInterval.toMillis());
                statsTimer.scheduleAtFixedRate(() -> say("stats: " + statsLine(guard.stats())), ms, ms, TimeUnit.MILLISECONDS);
            }
            if (duration == null) {
                stopRequested.await();
            } else if (!stopRequested.await(duration.toMillis(), TimeUnit.MILLISECONDS)) {
                requestStop("end of --duration");
            }
            if (STDOUT_CLOSED.equals(stopReason.get())) {
                status = EXIT_CANNOT_WATCH;
            }
        } catch (IOException e) {
            say("cannot write the ready file " + readyFile + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
            status = EXIT_CANNOT_WATCH;
        } finally {
            if (statsTimer != null) {
                statsTimer.shutdownNow();
            }
            guard.close();
            say("stopped (" + (stopReason.get() == null ? "error" : stopReason.get()) + "); " + statsLine(guard.stats()));
        }
        return status;
    }

    private GuardConfig configuration() {
        GuardConfig.Builder b = GuardConfig.builder();
        if (configFile != null) {
            b.file(configFile).environment(System.getenv()).systemProperties(System.getProperties());
        } else {
            b.load();
        }
        if (source != null) {
            b.set(EnvironGuard.SOURCE, source);
        }
        if (!allowExe.isEmpty()) {
            for (String exe : allowExe) {
                // The key is a comma-separated list: a comma inside one path would silently make two.
                if (exe.indexOf(',') >= 0 || exe.isBlank()) {
                    throw new IllegalArgumentException("--allow-exe: expected one executable path without commas");
                }
            }
            b.set(PolicyConfig.ALLOW_EXE, String.join(",", allowExe));
        }
        GuardConfig config = b.build();
        // Alerts go to stdout; other sinks run only where environguard.sinks names them, so that the library's
        // default slf4j sink does not repeat every alert on stderr.
        return config.contains(EnvironGuard.SINKS) ? config : config.with(EnvironGuard.SINKS, "");
    }

    /** One line, with every newline of a multi-line message (e.g. the list of unavailable sources) folded. */
    static String oneLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        return message.strip().replaceAll(":\\s*\\R\\s*", ": ").replaceAll("\\s*\\R\\s*", "; ");
    }

    static String startupLine(String sourceName, Coverage coverage) {
        return "watching with source " + sourceName
                + ". Covers: " + (coverage.watching().isEmpty() ? "(not reported)" : oneLine(String.join("; ", coverage.watching())))
                + ". Cannot see: " + (coverage.blindSpots().isEmpty() ? "(not reported)" : oneLine(String.join("; ", coverage.blindSpots())))
                + ".";
    }

    static String statsLine(GuardStats s) {
        StringBuilder b = new StringBuilder()
                .append(s.accesses()).append(" accesses, ")
                .append(s.alerts()).append(" alerts, ")
                .append(s.suppressed()).append(" suppressed");
        if (!s.outcomes().isEmpty()) {
            b.append(" (").append(s.outcome(AccessOutcome.SELF_READ)).append(" self-reads, ")
                    .append(s.outcome(AccessOutcome.ALLOWED)).append(" allowed, ")
                    .append(s.outcome(AccessOutcome.DEDUPED)).append(" repeats, ")
                    .append(s.outcome(AccessOutcome.FOLDED)).append(" folded into sweeps)");
        }
        b.append(", ")
                .append(s.lostEvents()).append(" events lost");
        if (!s.lostByCause().isEmpty()) {
            b.append(' ').append(s.lostByCause());
        }
        for (SinkStats k : s.sinks()) {
            b.append("; sink ").append(k.sink()).append(": ")
                    .append(k.delivered()).append(" delivered, ")
                    .append(k.dropped()).append(" dropped, ")
                    .append(k.failed()).append(" failed");
            if (k.undelivered() > 0) {
                b.append(", ").append(k.undelivered()).append(" undelivered");
            }
        }
        return b.toString();
    }

    /** Written to a temporary name and moved into place, so that whoever waits for it never sees it half-written. */
    private static void writeReadyFile(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The kernel's host name; the JDK's only as a fallback, since it may wait on DNS. {@code null} if neither works. */
    private static String hostname() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A usage error: one line on stderr, exit status 2 (the full help is one --help away). */
    private int usageError(CommandLine.ParameterException e, String[] args) {
        StringBuilder line = new StringBuilder(oneLine(e.getMessage()));
        if (e instanceof CommandLine.UnmatchedArgumentException) {
            List<String> suggestions = ((CommandLine.UnmatchedArgumentException) e).getSuggestions();
            if (!suggestions.isEmpty()) {
                line.append("; did you mean ").append(String.join(" or ", suggestions)).append('?');
            }
        }
        line.append(" (see --help)");
        say(line.toString());
        return EXIT_USAGE;
    }

    private void say(String line) {
        stderr.println(PREFIX + line);
        stderr.flush();
    }

    /** The version in the jar's manifest (the shaded jar has one); "unknown" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        static String number() {
            return HostMonitor.class.getPackage().getImplementationVersion();
        }

        @Override
        public String[] getVersion() {
            String v = number();
            return new String[] {"environ-guard-cli " + (v == null ? "(version unknown)" : v)};
        }
    }
}
