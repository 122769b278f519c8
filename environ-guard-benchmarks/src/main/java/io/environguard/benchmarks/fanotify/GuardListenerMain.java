package io.environguard.benchmarks.fanotify;

import io.environguard.EnvironGuard;
import io.environguard.GuardStartException;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.SinkStats;
import io.environguard.spi.AlertSink;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;

/**
 * The Java side of the fanotify benchmark: one JVM that runs {@link EnvironGuard} with the fanotify host
 * source (instrumented, see {@link InstrumentedFanotifyProvider}) and a sink that stamps each alert's arrival,
 * started and stopped on command so that the JIT's work survives from one measurement to the next.
 *
 * <p>It answers the same line protocol as the C reference listener ({@code harness/reflistener.c}), one
 * answer line per command on stdin:
 * <pre>
 *   start      -> "ready" once the guard watches (a fresh guard; what was recorded is forgotten)
 *   stats      -> "stats events=N cpu_ns=N hits=N accesses=N lost=N reader_cpu_ns=N resolver_cpu_ns=N"
 *   seen PID   -> "seen T": when the first access by reader PID left the source (System.nanoTime), or -1
 *   count PID  -> "count N": accesses by reader PID that left the source
 *   dump       -> "access T READER TARGET READ", "alert T RULE READER TARGET COUNT" and "loss T CAUSE COUNT"
 *                 lines, then "end"
 *   stop       -> "stopped accesses=N alerts=N suppressed=N lost=N delivered=N dropped=N"
 *   quit (EOF) -> exits
 * </pre>
 * {@code events} counts every kernel record the source read (every {@code /proc} open on the host);
 * {@code cpu_ns} is the whole JVM's CPU time (every thread: JIT, GC, the guard's threads);
 * {@code reader_cpu_ns} and {@code resolver_cpu_ns} are those two threads alone. {@code READ} is when the
 * kernel-read thread read the access's event (the access's time: wall clock, epoch nanoseconds).
 *
 * <p>Configuration comes from {@link GuardConfig#load()} ({@code -Denvironguard.*} on the command line), with
 * the source forced to the instrumented fanotify source and the sink to the timing sink.
 *
 * <pre>{@code
 * java -cp environ-guard-benchmarks.jar io.environguard.benchmarks.fanotify.GuardListenerMain
 * }</pre>
 */
public final class GuardListenerMain {

    private final Recorder recorder = new Recorder();
    private final InstrumentedFanotifyProvider provider = new InstrumentedFanotifyProvider(recorder);
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final PrintStream out;
    private EnvironGuard guard;
    private Thread readerThread;
    private Thread resolverThread;

    private GuardListenerMain(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        GuardListenerMain main = new GuardListenerMain(out);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("quit")) {
                    break;
                }
                main.command(line.trim());
                out.flush();
            }
        } finally {
            main.stop();
            out.flush();
        }
    }

    private void command(String line) {
        String[] words = line.split(" ");
        try {
            switch (words[0]) {
                case "start" -> start();
                case "stats" -> stats();
                case "seen" -> out.println("seen " + recorder.firstAccess(Integer.parseInt(words[1])));
                case "count" -> out.println("count " + recorder.accesses(Integer.parseInt(words[1])));
                case "dump" -> {
                    recorder.drain().forEach(out::println);
                    out.println("end");
                }
                case "stop" -> out.println("stopped " + stop());
                default -> out.println("error unknown command");
            }
        } catch (GuardStartException | RuntimeException e) {
            out.println("error " + e.toString().replace('\n', ' '));
        }
    }

    private void start() throws GuardStartException {
        stop();
        recorder.reset();
        AlertSink sink = alert -> recorder.alert(System.nanoTime(), alert);
        guard = EnvironGuard.builder()
                .config(GuardConfig.load())
                .set(EnvironGuard.SOURCE, InstrumentedFanotifyProvider.NAME)
                .addSourceProvider(provider)
                .addSink("timing", sink)
                .build()
                .start();
        readerThread = find("fanotify-reader");
        resolverThread = find("fanotify-resolver");
        out.println("ready");
    }

    private void stats() {
        GuardStats s = guard == null ? null : guard.stats();
        out.println("stats events=" + provider.eventsRead()
                + " cpu_ns=" + ProcessCpuClock.nanos()
                + " hits=" + recorder.alerts()
                + " accesses=" + (s == null ? 0 : s.accesses())
                + " lost=" + (s == null ? 0 : s.lostEvents())
                + " reader_cpu_ns=" + cpu(readerThread)
                + " resolver_cpu_ns=" + cpu(resolverThread));
    }

    private String stop() {
        if (guard == null) {
            return "accesses=0 alerts=0 suppressed=0 lost=0 delivered=0 dropped=0";
        }
        guard.close();
        GuardStats s = guard.stats();
        guard = null;
        readerThread = null;
        resolverThread = null;
        long delivered = s.sinks().stream().mapToLong(SinkStats::delivered).sum();
        long dropped = s.sinks().stream().mapToLong(SinkStats::dropped).sum();
        return "accesses=" + s.accesses() + " alerts=" + s.alerts() + " suppressed=" + s.suppressed()
                + " lost=" + s.lostEvents() + " delivered=" + delivered + " dropped=" + dropped;
    }

    private long cpu(Thread t) {
        return t == null || !t.isAlive() ? -1 : threads.getThreadCpuTime(t.getId());
    }

    private static Thread find(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(prefix))
                .findFirst()
                .orElse(null);
    }
}
