package io.environguard.samples.cli;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.GuardConfig;
import io.environguard.api.UntrustedText;
import io.environguard.ci.Finding;
import io.environguard.ci.JUnitReport;
import io.environguard.ci.JsonlFindings;
import io.environguard.ci.Reports;
import io.environguard.ci.RunVerdict;
import io.environguard.ci.TreeGuard;
import io.environguard.spi.EventSourceProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code environ-guard run [options] -- <command> [args...]}: runs a command (a CI step, a build) under watch, and
 * fails it when one of its processes reads another process's {@code environ} or {@code mem}.
 *
 * <pre>
 * java -jar environ-guard-cli.jar run --junit-report target/environ-guard.xml -- mvn -B verify
 * </pre>
 *
 * <p>The guard starts first (the command runs only once the source watches), then the command, as a child with the
 * guard's stdin, stdout, stderr and environment. SIGINT, SIGTERM and SIGHUP are passed on to it
 * ({@link SignalForwarder}). When it ends, the guard waits for the last events (at most {@code --settle}), judges
 * ({@link io.environguard.ci.RunJudge}) and reports on stderr; the exit status is the command's own (128 + N when a
 * signal N ended it, as shells report it), or {@value #EXIT_FINDINGS} when there are findings.
 */
@Command(name = "run",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Runs COMMAND under watch and fails it when one of its processes reads another process's /proc/PID/environ"
                    + " or /proc/PID/mem. The guard, its shell and the CI runner above it are the worst case: any read"
                    + " of them by the command fails it.",
            "As root (CAP_SYS_ADMIN) every read on the host is seen and the command's are told apart by lineage;"
                    + " without root the guard and the processes above it that this user owns are guarded, and any"
                    + " read of them fails the run. The report on stderr says what the mode ran cannot see."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "N:the command's own status (128+N if signal N ended it), when nothing was found",
            "97:findings: a process of the command read another process's environ or mem (see stderr and the reports)",
            "125:the guard could not start or report (the command was not run, or its report is missing)",
            "126:the command could not be executed",
            "127:the command was not found",
            "2:invalid option or configuration (the command was not run)"})
final class RunCommand implements Callable<Integer> {

    /**
     * Findings. Chosen outside what commands commonly exit with: 1 and 2, the BSD sysexits codes 64-78, apt's 100, and
     * 124-255, which timeout, env, shells and signals use. A command that itself exits 97 is told apart by the report
     * (the findings, or "no process of the command read..." with its status).
     */
    static final int EXIT_FINDINGS = 97;
    /** The guard could not watch or report: as env, timeout and docker run report their own failures. */
    static final int EXIT_GUARD_FAILED = 125;
    static final int EXIT_NOT_EXECUTABLE = 126;
    static final int EXIT_NOT_FOUND = 127;
    static final String ROOT_LABEL = "the command";
    private static final String PREFIX = "environ-guard: ";
    /**
     * The run's phases at DEBUG ({@code -Dorg.slf4j.simpleLogger.log.io.environguard=debug}), with the library's, for
     * the start-up and end-of-run timings in BENCHMARKS.md (the benchmarks' {@code CiRunPhases}).
     */
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
    /** Live lines for findings before the rest waits for the final report. */
    private static final int MAX_LIVE_LINES = 20;

    @Option(names = "--junit-report", paramLabel = "FILE",
            description = "Write a JUnit XML report: one failed test case per finding (one passing test case when"
                    + " there is none), for any CI's test view.")
    private Path junitReport;

    @Option(names = "--report", paramLabel = "FILE",
            description = "Write each finding as one JSON line (the jsonl alert format), as soon as it is made.")
    private Path jsonReport;

    @Option(names = "--source", paramLabel = "auto|fanotify|targeted|procfs",
            description = "The event source: auto (the default: fanotify as root, else targeted), or a source's name."
                    + " Sets environguard.source.")
    private String source;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A properties file of environguard.* keys (policy, sinks, sources).")
    private Path configFile;

    @Option(names = "--settle", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "After the command ends, wait at most this long for its last events (default 2s; the wait"
                    + " ends as soon as no event came for 200ms).")
    private Duration settle = Duration.ofSeconds(2);

    @Parameters(arity = "1..*", paramLabel = "COMMAND",
            description = "The command and its arguments; put -- before it when its arguments start with -.")
    private List<String> command = new ArrayList<>();

    private final PrintStream stderr;
    private final List<EventSourceProvider> extraSources;

    /**
     * @param stderr       where the guard's lines go (the command writes to the real stdout and stderr)
     * @param extraSources source providers besides those found by ServiceLoader (tests add a scripted one)
     */
    RunCommand(PrintStream stderr, List<EventSourceProvider> extraSources) {
        this.stderr = Objects.requireNonNull(stderr);
        this.extraSources = List.copyOf(extraSources);
    }

    @Override
    public Integer call() throws InterruptedException {
        LOG.debug("phase: options parsed");
        GuardConfig config;
        try {
            config = configuration();
        } catch (IllegalArgumentException e) {
            say(HostMonitor.oneLine(e.getMessage()));
            return HostMonitor.EXIT_USAGE;
        }
        long started = System.nanoTime();
        try (SignalForwarder signals = SignalForwarder.install()) {
            JsonlFindings jsonl;
            try {
                jsonl = jsonReport == null ? null : JsonlFindings.create(jsonReport);
            } catch (IOException e) {
                say("cannot create the report " + jsonReport + ": " + e.getClass().getSimpleName() + "; the command was not run");
                return EXIT_GUARD_FAILED;
            }
            AtomicInteger liveLines = new AtomicInteger();
            TreeGuard.Builder b = TreeGuard.builder().config(config).settle(settle).onFinding(f -> {
                if (jsonl != null) {
                    jsonl.write(f);
                }
                live(f, liveLines);
            });
            extraSources.forEach(b::addSourceProvider);
            TreeGuard guard;
            try {
                guard = b.start();
            } catch (GuardStartException e) {
                closeQuietly(jsonl);
                say("cannot watch: " + HostMonitor.oneLine(e.getMessage()) + "; the command was not run");
                return EXIT_GUARD_FAILED;
            }
            try {
                return runGuarded(guard, signals, jsonl, started);
            } finally {
                guard.close();
            }
        }
    }

    private int runGuarded(TreeGuard guard, SignalForwarder signals, JsonlFindings jsonl, long started)
            throws InterruptedException {
        say("guarding " + ROOT_LABEL + " (mode " + guard.mode().id() + ", source " + guard.sourceName() + "): "
                + (guard.mode() == io.environguard.ci.GuardMode.ANCESTORS
                ? "the guard and the processes above it are watched: " + describeGuarded(guard)
                : "reads by every process it starts are judged by lineage; the guard and the " + guard.above().size()
                + " process(es) above it are the worst case"));
        if (signals.pendingSignal() != 0) {
            closeQuietly(jsonl);
            say("stopped by signal " + signals.pendingSignal() + " before " + ROOT_LABEL + " started; it was not run");
            return 128 + signals.pendingSignal();
        }
        Process process;
        try {
            process = new ProcessBuilder(command).inheritIO().start();
        } catch (IOException e) {
            closeQuietly(jsonl);
            String message = e.getMessage() == null ? "" : e.getMessage();
            boolean notFound = message.contains("error=2,");
            say("cannot run " + UntrustedText.escape(command.get(0)) + ": " + UntrustedText.escape(message));
            return notFound ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
        }
        LOG.debug("phase: command started");
        signals.forwardTo(process);
        guard.rootIs(process.pid());
        int status = process.waitFor();
        LOG.debug("phase: command exited");

        RunVerdict verdict = guard.finish();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        boolean reportFailed = false;
        if (jsonl != null) {
            try {
                jsonl.close();
            } catch (IOException e) {
                say(HostMonitor.oneLine(e.getMessage()));
                reportFailed = true;
            }
        }
        if (junitReport != null) {
            try {
                JUnitReport.write(junitReport, verdict, ROOT_LABEL, elapsed);
            } catch (IOException e) {
                say("cannot write the JUnit report " + junitReport + ": " + HostMonitor.oneLine(e.getMessage()));
                reportFailed = true;
            }
        }
        LOG.debug("phase: reports written");
        List<Finding> findings = verdict.findings();
        for (int i = 0; i < findings.size(); i++) {
            Reports.findingLines(findings.get(i), i + 1, findings.size(), verdict.tree(), ROOT_LABEL).forEach(this::say);
        }
        Reports.summary(verdict, ROOT_LABEL).forEach(this::say);
        int exit = verdict.failed() ? EXIT_FINDINGS : reportFailed ? EXIT_GUARD_FAILED : status;
        say(ROOT_LABEL + " exited with status " + status + "; environ-guard exits with " + exit
                + (exit == EXIT_FINDINGS ? " (findings)" : exit == EXIT_GUARD_FAILED ? " (a report could not be written)" : ""));
        LOG.debug("phase: verdict said");
        return exit;
    }

    private void live(Finding f, AtomicInteger liveLines) {
        int n = liveLines.incrementAndGet();
        if (n <= MAX_LIVE_LINES) {
            say(Reports.liveLine(f, ROOT_LABEL));
        } else if (n == MAX_LIVE_LINES + 1) {
            say("more findings; every one is in the final report");
        }
    }

    private static String describeGuarded(TreeGuard guard) {
        List<io.environguard.ci.GuardedProcess> guarded = guard.guarded();
        List<String> names = new ArrayList<>();
        for (io.environguard.ci.GuardedProcess g : guarded) {
            names.add(UntrustedText.escape(g.comm() == null ? "?" : g.comm()) + "[" + g.id().pid() + "]");
        }
        return String.join(", ", names);
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
        GuardConfig config = b.build();
        // The judge is the run's sink; others run only where environguard.sinks names them, so that the default
        // slf4j sink does not repeat every alert of the host on stderr.
        return config.contains(EnvironGuard.SINKS) ? config : config.with(EnvironGuard.SINKS, "");
    }

    private static void closeQuietly(JsonlFindings jsonl) {
        if (jsonl != null) {
            try {
                jsonl.close();
            } catch (IOException e) {
                // nothing was written; the run stops anyway
            }
        }
    }

    private void say(String line) {
        synchronized (stderr) {
            stderr.println(PREFIX + line);
            stderr.flush();
        }
    }
}
