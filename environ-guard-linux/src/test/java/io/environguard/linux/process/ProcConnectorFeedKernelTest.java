package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.Ancestor;
import io.environguard.api.LossReport;
import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.proc.ProcessInspector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The process table fed by the real kernel: the proc connector, the exec log and {@code /proc}. Every process
 * asserted on is one this test started (foreign processes come and go in the same table, and are ignored).
 */
@Tag("kernel")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ProcConnectorFeedKernelTest {

    private static final Path PROC = Path.of("/proc");
    private final List<Process> started = new ArrayList<>();
    private final List<LossReport> losses = new CopyOnWriteArrayList<>();
    private ProcessTable table;
    private ProcConnectorFeed feed;

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @AfterEach
    void cleanUp() {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        if (feed != null) {
            feed.close();
        }
        if (table != null) {
            table.close();
        }
    }

    private void startFeed(ProcessTableSettings settings) throws IOException {
        table = new ProcessTable(settings);
        feed = ProcConnectorFeed.start(table, settings,
                ProcessProbe.host(PROC, ContainerIds.forHost(PROC), ProcessInspector.BeforeOpen.NONE), losses::add);
    }

    private Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    /** Every generation in the table whose fork parent is {@code parent}. */
    private List<ProcessRecord> childrenOf(ProcessRecord parent) {
        List<ProcessRecord> out = new ArrayList<>();
        table.forEach(r -> {
            if (r.ppid() == parent.pid() && parent.startedAt(r.parentStart())) {
                out.add(r);
            }
        });
        return out;
    }

    private List<Object> childrenByPid(int ppid) {
        List<Object> out = new ArrayList<>();
        out.add("live " + table.liveCount() + " tombs " + table.tombstoneCount() + " msgs " + feed.messages());
        table.forEach(r -> {
            if (!r.isLive() && out.size() < 6) {
                out.add(r);
            }
        });
        return out;
    }

    @Test
    void shortLivedReadersAreNamedByWhatTheyExecd() throws Exception {
        startFeed(ProcessTableSettings.defaults());
        assertTrue(feed.filtered(), "the kernel refused the thread filter");
        assertNull(feed.execLogProblem(), "the exec log must run as root: " + feed.execLogProblem());
        Process target = start("sleep", "120");
        int n = 300;
        Process loop = start("sh", "-c", "read go; for i in $(seq " + n + "); do cat /proc/" + target.pid()
                + "/environ > /dev/null; done");
        long loopStart = startOf(loop); // it waits for its go
        loop.getOutputStream().write('\n');
        loop.getOutputStream().flush();
        assertTrue(loop.waitFor(120, TimeUnit.SECONDS));
        assertTrue(feed.catchUp(TimeUnit.SECONDS.toNanos(5)));
        ProcessRecord shell = table.find((int) loop.pid(), loopStart);
        assertNotNull(shell, "the loop's shell");
        assertEquals(Files.readSymbolicLink(Path.of("/bin/sh")).getFileName().toString(),
                Path.of(shell.exe()).getFileName().toString(), "sh's executable: " + shell);
        List<ProcessRecord> cats = childrenOf(shell).stream().filter(r -> !"seq".equals(r.comm())).toList();
        int named = 0;
        List<ProcessRecord> unnamed = new ArrayList<>();
        for (ProcessRecord cat : cats) {
            if ("cat".equals(cat.comm()) && cat.exe() != null && cat.exe().endsWith("/cat") && cat.exeInode() > 0
                    && cat.uid() == 0 && cat.startTime() > 0) {
                named++;
            } else {
                unnamed.add(cat);
            }
        }
        System.out.printf("process table: %d of %d short cat processes named by exe and comm (load %s)%n", named,
                cats.size(), Files.readString(PROC.resolve("loadavg")).trim());
        assertEquals(n, cats.size(), () -> "every cat forked by the loop is in the table; shell " + shell
                + ", its children by pid: " + childrenByPid((int) loop.pid()) + "; feed failure " + feed.failure());
        assertEquals(n, named, () -> "unnamed: " + unnamed.subList(0, Math.min(5, unnamed.size())));
        ProcessRecord one = cats.get(0);
        assertEquals(List.of(new Ancestor(shell.pid(), shell.startTime(), shell.comm(), shell.exe())),
                table.ancestors(one).subList(0, 1), "lineage: the loop's shell first");
    }

    /**
     * After a burst of short processes (most of which have ended by the time their exec message is applied) a
     * process that runs on still has its arguments read, and no process of the burst is left waiting for a read.
     */
    @Test
    void aProcessThatRunsOnAfterABurstHasItsCommandLineReadAndNoneIsLeftPending() throws Exception {
        startFeed(ProcessTableSettings.defaults());
        Process loop = start("sh", "-c", "read go; for i in $(seq 500); do /bin/true; done; exec sleep 119.25");
        long loopStart = startOf(loop);
        loop.getOutputStream().write('\n');
        loop.getOutputStream().flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        ProcessRecord sleeper = null;
        while (System.nanoTime() < deadline) {
            assertTrue(feed.catchUp(TimeUnit.SECONDS.toNanos(5)));
            sleeper = table.find((int) loop.pid(), loopStart);
            if (sleeper != null && "sleep".equals(sleeper.comm())
                    && sleeper.commandLineState() != ProcessRecord.CommandLineState.PENDING) {
                break;
            }
            Thread.sleep(20);
        }
        assertNotNull(sleeper, "the loop's process");
        assertEquals(ProcessRecord.CommandLineState.READ, sleeper.commandLineState(), sleeper::toString);
        assertEquals(List.of("sleep", "119.25"), sleeper.commandLine());
        ProcessRecord shell = sleeper;
        List<ProcessRecord> trues = childrenOf(shell).stream().filter(r -> "true".equals(r.comm())).toList();
        assertEquals(500, trues.size(), "every /bin/true of the loop is in the table");
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<ProcessRecord> pending = trues;
        while (!pending.isEmpty() && System.nanoTime() < waitUntil) {
            Thread.sleep(20);
            pending = childrenOf(shell).stream().filter(r -> "true".equals(r.comm())
                    && r.commandLineState() == ProcessRecord.CommandLineState.PENDING).toList();
        }
        assertEquals(List.of(), pending, "reads asked for and never handed over (or never finished)");
    }

    private static long startOf(Process p) throws IOException {
        String stat = Files.readString(PROC.resolve(p.pid() + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
    }

    @Test
    void anOverflowIsReportedAndTheTableIsReadAgain() throws Exception {
        startFeed(ProcessTableSettings.defaults().withReceiveBuffer(64 * 1024));
        int feedTid = threadId("process-table-f");
        String cpus = cpusAllowed();
        Process sleeper;
        // Starve the feed's thread (SCHED_IDLE on the CPU of a fork storm) until its socket overflows.
        assertEquals(0, run("taskset", "-p", "-c", "0", Integer.toString(feedTid)));
        assertEquals(0, run("chrt", "--idle", "-p", "0", Integer.toString(feedTid)));
        try {
            sleeper = start("taskset", "-c", "0", "sh", "-c", "for i in $(seq 3000); do /bin/true; done; exec sleep 120");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(PROC.resolve(sleeper.pid() + "/comm")).startsWith("sleep")
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            run("chrt", "--other", "-p", "0", Integer.toString(feedTid));
            run("taskset", "-p", "-c", cpus, Integer.toString(feedTid));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((losses.isEmpty() || feed.resyncs() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(feed.overflows() >= 1, "the socket never overflowed; losses " + losses);
        assertTrue(losses.stream().anyMatch(l -> l.cause().equals(ProcConnectorFeed.LOSS_CAUSE)), losses.toString());
        assertTrue(feed.resyncs() >= 1, "no resynchronisation after the overflow");
        assertTrue(feed.catchUp(TimeUnit.SECONDS.toNanos(5)));
        ProcessRecord r = table.live((int) sleeper.pid());
        assertNotNull(r, "the process that exec'd during the storm is in the table after the resync");
        assertEquals("sleep", r.comm());
        assertTrue(r.exe().endsWith("/sleep"), r.toString());
    }

    private int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), List.of(command) + " did not finish");
        return p.exitValue();
    }

    private static String cpusAllowed() throws IOException {
        return Files.readAllLines(PROC.resolve("self/status")).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring("Cpus_allowed_list:".length()).trim()).findFirst().orElseThrow();
    }

    /** The native thread id of this JVM's thread whose kernel name starts with {@code prefix}. */
    static int threadId(String prefix) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            Map<Integer, String> comms = new HashMap<>();
            try (var tasks = Files.list(PROC.resolve("self/task"))) {
                for (Path t : tasks.toList()) {
                    try {
                        comms.put(Integer.parseInt(t.getFileName().toString()), Files.readString(t.resolve("comm")).trim());
                    } catch (java.nio.file.NoSuchFileException exited) {
                        // a thread ended while listed
                    }
                }
            }
            var found = comms.entrySet().stream().filter(e -> e.getValue().startsWith(prefix)).map(Map.Entry::getKey)
                    .findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no thread named " + prefix + " in " + comms.values());
            }
            Thread.sleep(10);
        }
    }
}
