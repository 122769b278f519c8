package io.environguard.samples.cli;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
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
 * {@code --sink} (or {@code environguard.sinks}) names (e.g. {@code kafka}, with the plugin's jars on the class path:
 * {@code java -cp environ-guard-cli.jar:environ-guard-sink-kafka.jar:lib/* io.environguard.samples.cli.HostMonitor
 * --sink kafka}); none by default, so that alerts are not repeated on stderr by the {@code slf4j} sink.
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

    @Option(names = "--sink", paramLabel = "NAME",
            description = "Also deliver alerts to this sink (e.g. kafka, otel, webhook, jsonl: a plugin's jar must be on"
                    + " the class path, see java -cp). Repeatable; replaces environguard.sinks. Alerts still go to stdout.")
    private List<String> sinks = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE",
            description = "A properties file of environguard.* keys. Environment variables, system properties and"
                    + " these options win over it.")
    private Path configFile;

    @Option(names = "--stats-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Write the guard's counters to stderr this often (e.g. 30s).")
    private Duration statsInterval;

    @Option(names = "--list-keys",
            description = "List every configuration key (the library's, and each source's and sink's on the class path)"
                    + " with its effective value and where it came from, secrets masked, on stdout; then exit 0.")
    private boolean listKeys;
    @Option(names = "--metrics-address", paramLabel = "[HOST:]PORT", converter = MetricsAddress.Converter.class,
            description = "Serve GET /metrics (Prometheus text: the guard's and the JVM's meters) and GET /healthz"
                    + " (200 while watching, 503 with the reason once not) over HTTP on this address. Loopback when"
                    + " no host is given (e.g. 9464); 0.0.0.0:9464 for every interface; port 0 takes a free one.")
    private MetricsAddress metricsAddress;

    @Option(names = "--verbose",
            description = "After the start-up line, list on stderr what the source watches and what it cannot see,"
                    + " one item per line.")
    private boolean verbose;

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
        StartUpWarmUp.begin(args);
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
        if (listKeys) {
            try {
                stdout.write(builder.build().describeConfiguration().toText().getBytes(StandardCharsets.UTF_8));
                stdout.flush();
                return EXIT_OK;
            } catch (IOException e) {
                say("cannot write to stdout (" + e.getClass().getSimpleName() + ")");
                return EXIT_CANNOT_WATCH;
            }
        }

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
        MetricsServer metricsServer = null;
        int status = EXIT_OK;
        try {
            if (metricsAddress != null) {
                try {
                    metricsServer = MetricsServer.start(guard, metricsAddress);
                } catch (IOException e) {
                    say("cannot serve metrics on " + metricsAddress.host() + ":" + metricsAddress.port() + ": "
                            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + oneLine(e.getMessage())));
                    stopReason.compareAndSet(null, "no metrics endpoint");
                    return EXIT_CANNOT_WATCH;
                }
            }
            Coverage coverage = guard.coverage();
            say(startupLine(guard.sourceName(), coverage, verbose));
            if (verbose) {
                coverage.watching().forEach(w -> say("watching: " + oneLine(w)));
                coverage.blindSpots().forEach(b -> say("cannot see: " + oneLine(b)));
            }
            if (metricsServer != null) {
                say("serving /metrics and /healthz on http://" + hostPort(metricsServer.address())
                        + (metricsServer.address().getAddress().isLoopbackAddress() ? ""
                        : " (not loopback: whoever reaches this host can read the counters)"));
            }
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
            if (metricsServer != null) {
                metricsServer.close();
            }
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
        if (!sinks.isEmpty()) {
            for (String sink : sinks) {
                if (sink.indexOf(',') >= 0 || sink.isBlank()) {
                    throw new IllegalArgumentException("--sink: expected one sink name without commas (repeat the option)");
                }
            }
            b.set(EnvironGuard.SINKS, String.join(",", sinks));
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

    /** The longest a source's name may take in the start-up line (a plugin could name itself at length). */
    private static final int MAX_NAME = 48;

    /**
     * One line of at most 200 characters: {@code watching with source fanotify: 4 watched, 7 blind spots (--verbose
     * lists them)}. The items are a {@code --verbose} away: they run to kilobytes.
     */
    static String startupLine(String sourceName, Coverage coverage, boolean verbose) {
        String name = oneLine(sourceName);
        if (name.length() > MAX_NAME) {
            name = name.substring(0, MAX_NAME - 3) + "...";
        }
        return "watching with source " + name + ": " + coverage.watching().size() + " watched, "
                + coverage.blindSpots().size() + (coverage.blindSpots().size() == 1 ? " blind spot" : " blind spots")
                + (verbose ? " (listed below)" : " (--verbose lists them)");
    }

    static String statsLine(GuardStats s) {
        return s.toString();
    }

    /** {@code 127.0.0.1:9464} or {@code [::1]:9464}. */
    static String hostPort(java.net.InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
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
