package io.environguard.samples.selfprotect;

import com.sun.net.httpserver.HttpServer;
import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.Coverage;
import io.environguard.api.GuardConfig;
import io.environguard.linux.hardening.Hardening;
import io.environguard.linux.hardening.ScrubResult;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP service on loopback that guards its own environment: the targeted fanotify source watches
 * every alias of its {@code environ} and {@code mem} files (no root needed), and, on request, the named
 * secrets are scrubbed from {@code /proc/<pid>/environ} and the process is made non-dumpable.
 *
 * <pre>
 * DB_PASSWORD=... java -jar environ-guard-self-protect.jar --scrub DB_PASSWORD --non-dumpable --port 8080
 * curl http://127.0.0.1:8080/health       # ok
 * curl http://127.0.0.1:8080/coverage     # what the guard watches and cannot see
 * </pre>
 *
 * <p>The order matters and is the point of the sample: read the environment (the JVM caches it), start the
 * guard (its marks need the process to be dumpable when it runs unprivileged), scrub, then go
 * non-dumpable.
 */
public final class SelfProtectedService {

    private SelfProtectedService() {
    }

    /**
     * The command line.
     *
     * @param scrub       variables to scrub from the original environment block
     * @param nonDumpable whether to call {@link Hardening#makeNonDumpable()}
     * @param port        the loopback port (0: any free port)
     * @param duration    how long to run, or {@code null} for until SIGTERM/SIGINT
     */
    record Options(List<String> scrub, boolean nonDumpable, int port, Duration duration) {

        static final String USAGE = "usage: java -jar environ-guard-self-protect.jar [--scrub NAME]... [--non-dumpable]"
                + " [--port N] [--duration 60s]";

        Options {
            scrub = List.copyOf(scrub);
        }

        static Options parse(String... args) {
            List<String> scrub = new ArrayList<>();
            boolean nonDumpable = false;
            int port = 8080;
            Duration duration = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--scrub":
                        scrub.add(value(args, ++i));
                        break;
                    case "--non-dumpable":
                        nonDumpable = true;
                        break;
                    case "--port":
                        try {
                            port = Integer.parseInt(value(args, ++i));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--port expects a number; " + USAGE);
                        }
                        if (port < 0 || port > 65535) {
                            throw new IllegalArgumentException("--port expects 0 to 65535; " + USAGE);
                        }
                        break;
                    case "--duration":
                        duration = GuardConfig.of(Map.of("environguard.duration", value(args, ++i)))
                                .getDuration("environguard.duration", null);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown argument " + args[i] + "; " + USAGE);
                }
            }
            return new Options(scrub, nonDumpable, port, duration);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException(args[i - 1] + " expects a value; " + USAGE);
            }
            return args[i];
        }
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        // 1. The service reads its configuration; the JVM copies the environment into its own map now.
        Map<String, String> environment = System.getenv();
        System.err.println("service: " + environment.size() + " environment variables read");

        // 2. The guard: the targeted source unless environguard.source says otherwise.
        GuardConfig.Builder config = GuardConfig.builder().load();
        if (!GuardConfig.load().contains(EnvironGuard.SOURCE)) {
            config.set(EnvironGuard.SOURCE, "targeted");
        }
        EnvironGuard guard;
        try {
            guard = EnvironGuard.builder().config(config.build()).build().start();
        } catch (GuardStartException e) {
            System.err.println("service: the guard cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        Coverage coverage = guard.coverage();
        System.err.println("service: guarded by " + guard.sourceName() + ": " + String.join("; ", coverage.watching()));

        // 3. Scrub, then 4. non-dumpable: after the guard, whose unprivileged marks need a dumpable process.
        if (!options.scrub().isEmpty()) {
            ScrubResult scrubbed = Hardening.scrub(options.scrub().toArray(String[]::new));
            System.err.println("service: scrubbed " + scrubbed.names() + " from /proc/self/environ ("
                    + scrubbed.entries() + " entries); System.getenv still has them");
        }
        if (options.nonDumpable()) {
            Hardening.makeNonDumpable();
            System.err.println("service: non-dumpable: same-user readers are refused by the kernel");
        }

        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), options.port()), 0);
        server.createContext("/health", exchange -> respond(exchange, "ok\n"));
        server.createContext("/coverage", exchange -> {
            Coverage c = guard.coverage();
            respond(exchange, "watching:\n  " + String.join("\n  ", c.watching()) + "\nnot seen:\n  "
                    + String.join("\n  ", c.blindSpots()) + "\n" + guard.stats() + "\n");
        });
        server.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            guard.close();
            stopped.countDown();
        }, "self-protect-shutdown"));
        System.err.println("service: ready pid=" + ProcessHandle.current().pid() + " port=" + server.getAddress().getPort());
        if (options.duration() != null) {
            if (!stopped.await(options.duration().toMillis(), TimeUnit.MILLISECONDS)) {
                System.exit(0);
            }
        } else {
            stopped.await();
        }
    }

    private static void respond(com.sun.net.httpserver.HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
