package io.environguard.agent;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.GuardConfig;
import io.environguard.linux.hardening.Hardening;
import io.environguard.linux.hardening.ScrubResult;
import java.lang.instrument.Instrumentation;
import java.util.Map;

/**
 * Starts the self-protecting guard in any JVM with no code change:
 *
 * <pre>
 * java -javaagent:environ-guard-agent.jar=sinks=jsonl,sink.jsonl.path=/var/log/eg.jsonl,scrub=DB_PASSWORD,nondumpable=true \
 *      -jar your-app.jar
 * </pre>
 *
 * <p>Before the application's {@code main}: the guard starts (the targeted source, guarding this JVM,
 * unless {@code environguard.source} is set), then the named variables are scrubbed from
 * {@code /proc/self/environ} ({@link System#getenv()} keeps them), then, if asked, the process becomes
 * non-dumpable. A shutdown hook closes the guard. Configuration: the agent arguments (see
 * {@link AgentOptions}), over {@code environguard.*} system properties, {@code ENVIRONGUARD_*} variables
 * and the file named by {@code environguard.config.file}.
 *
 * <p>When the guard cannot start, the agent says why on standard error and lets the application run,
 * unless {@code required=true}, which stops the JVM instead. It never prints an environment value.
 */
public final class EnvironGuardAgent {

    private EnvironGuardAgent() {
    }

    /** Called by the JVM for {@code -javaagent:} before {@code main}. */
    public static void premain(String args, Instrumentation instrumentation) {
        run(args);
    }

    /** Called by the JVM when the agent is loaded into a running JVM (dynamic attach). */
    public static void agentmain(String args, Instrumentation instrumentation) {
        run(args);
    }

    private static void run(String args) {
        try {
            EnvironGuard guard = start(args);
            Runtime.getRuntime().addShutdownHook(new Thread(guard::close, "environ-guard-agent-shutdown"));
        } catch (RuntimeException | GuardStartException | LinkageError e) {
            String message = "environ-guard agent: not guarding this JVM: " + e.getMessage();
            if (required(args)) {
                throw new IllegalStateException(message + " (required=true)", e);
            }
            System.err.println(message);
        }
    }

    private static boolean required(String args) {
        try {
            return AgentOptions.parse(args).required();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Starts the guard and applies the hardening the arguments ask for; the caller owns the guard. */
    static EnvironGuard start(String args) throws GuardStartException {
        AgentOptions options = AgentOptions.parse(args);
        // The JVM copies the environment into its own map here, before anything is scrubbed.
        System.getenv();
        GuardConfig loaded = GuardConfig.load();
        GuardConfig.Builder config = GuardConfig.builder().setAll(loaded.asMap()).setAll(options.guardConfig());
        if (!loaded.contains(EnvironGuard.SOURCE) && !options.guardConfig().containsKey(EnvironGuard.SOURCE)) {
            config.set(EnvironGuard.SOURCE, "targeted");
        }
        if (!loaded.contains(EnvironGuard.SINKS) && !options.guardConfig().containsKey(EnvironGuard.SINKS)
                && !slf4jHasProvider()) {
            // Without an SLF4J provider the default slf4j sink would log nowhere: alerts go to stdout as JSON lines.
            config.set(EnvironGuard.SINKS, "jsonl");
        }
        EnvironGuard guard = EnvironGuard.builder().config(config.build()).build().start();
        try {
            StringBuilder done = new StringBuilder();
            if (!options.scrub().isEmpty()) {
                ScrubResult r = Hardening.scrub(options.scrub().toArray(String[]::new));
                done.append("; scrubbed ").append(r.names()).append(" from /proc/self/environ");
            }
            if (options.nonDumpable()) {
                Hardening.makeNonDumpable();
                done.append("; non-dumpable");
            }
            System.err.println("environ-guard agent: guarding pid " + ProcessHandle.current().pid() + " with source "
                    + guard.sourceName() + done);
            return guard;
        } catch (RuntimeException e) {
            guard.close();
            throw e;
        }
    }

    /** Whether SLF4J found a logging backend (slf4j-api 2 falls back to a no-op logger without one). */
    private static boolean slf4jHasProvider() {
        try {
            return !(org.slf4j.LoggerFactory.getILoggerFactory() instanceof org.slf4j.helpers.NOPLoggerFactory);
        } catch (LinkageError e) {
            return false;
        }
    }

    /** For tests: the configuration keys the arguments set. */
    static Map<String, String> guardKeys(String args) {
        return AgentOptions.parse(args).guardConfig();
    }
}
