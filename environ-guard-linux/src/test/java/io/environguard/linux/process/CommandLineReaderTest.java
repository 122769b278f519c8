package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.proc.ProcReads;
import io.environguard.linux.process.ProcessRecord.CommandLineState;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The command-line reader against reads that never return (a process stalling its own memory, played by a
 * {@link ProcReads} that blocks for chosen pids until released): a stuck read is abandoned at its deadline and
 * reported, its thread is replaced so other reads go on, replacements stop at the cap, and a stuck thread that
 * comes back reads again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CommandLineReaderTest {

    private SimulatedProcFs fs;
    private final CountDownLatch release = new CountDownLatch(1);
    private final Set<Integer> stalled = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Object> results = new ConcurrentHashMap<>();
    private CommandLineReader reader;

    @BeforeEach
    void tree() throws IOException {
        fs = SimulatedProcFs.create();
    }

    @AfterEach
    void cleanUp() throws IOException {
        release.countDown();
        if (reader != null) {
            reader.close();
        }
        fs.close();
    }

    private CommandLineReader reader(int threads, int maxStuck) {
        ProcReads blocking = new ProcReads() {
            @Override
            public byte[] read(Path file, int maxBytes) throws IOException {
                int pid = Integer.parseInt(file.getParent().getFileName().toString());
                if (file.getFileName().toString().equals("cmdline") && stalled.contains(pid)) {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                }
                return ProcReads.FILES.read(file, maxBytes);
            }

            @Override
            public String readLink(Path link) throws IOException {
                return ProcReads.FILES.readLink(link);
            }
        };
        reader = new CommandLineReader(ProcessProbe.portable(fs.root(), blocking), 4096, Duration.ofMillis(100),
                threads, maxStuck, new CommandLineReader.Results() {
                    @Override
                    public void read(int pid, long start, int execs, List<String> args) {
                        results.put(pid, args);
                    }

                    @Override
                    public void failed(int pid, long start, int execs, CommandLineState why) {
                        results.put(pid, why);
                    }
                });
        return reader;
    }

    private SimProcess spawn(String... args) {
        return fs.spawn(ProcessSpec.builder().cmdline(args).build());
    }

    private Object await(int pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!results.containsKey(pid) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return results.get(pid);
    }

    @Test
    void aStuckReadIsAbandonedAndTheNextReadsGoOn() throws InterruptedException {
        CommandLineReader r = reader(1, 4);
        SimProcess stuck = spawn("stuck", "--arg");
        SimProcess fine = spawn("cat", "/proc/1/environ");
        stalled.add(stuck.pid());
        assertTrue(r.submit(stuck.pid(), stuck.startTime(), 0, -1));
        assertEquals(CommandLineState.TIMED_OUT, await(stuck.pid()));
        assertTrue(r.submit(fine.pid(), fine.startTime(), 0, -1));
        assertEquals(List.of("cat", "/proc/1/environ"), await(fine.pid()), "read by the replacement thread");
        assertEquals(1, r.timedOut());
        assertEquals(1, r.stuckNow());
    }

    @Test
    void beyondTheCapCommandLinesAreNotReadUntilAStuckThreadReturns() throws InterruptedException {
        CommandLineReader r = reader(1, 1);
        SimProcess first = spawn("a");
        SimProcess second = spawn("b");
        stalled.add(first.pid());
        stalled.add(second.pid());
        r.submit(first.pid(), first.startTime(), 0, -1);
        assertEquals(CommandLineState.TIMED_OUT, await(first.pid()));
        r.submit(second.pid(), second.startTime(), 0, -1);
        assertEquals(CommandLineState.TIMED_OUT, await(second.pid()));
        assertTrue(r.exhausted(), "two stuck threads, one replacement allowed");
        SimProcess third = spawn("c");
        assertFalse(r.submit(third.pid(), third.startTime(), 0, -1), "nobody left to read it");
        assertEquals(1, r.notRead());

        release.countDown(); // the stalling processes let go
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (r.stuckNow() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, r.stuckNow());
        SimProcess fourth = spawn("d", "e");
        assertTrue(r.submit(fourth.pid(), fourth.startTime(), 0, -1), "a returned thread reads again");
        assertEquals(List.of("d", "e"), await(fourth.pid()));
    }

    @Test
    void aProcessGoneBeforeItsReadIsUnreadable() throws InterruptedException {
        CommandLineReader r = reader(1, 1);
        SimProcess gone = spawn("x");
        fs.exit(gone.pid());
        r.submit(gone.pid(), gone.startTime(), 0, -1);
        assertEquals(CommandLineState.UNREADABLE, await(gone.pid()));
        SimProcess reused = fs.reusePid(spawn("y").pid(), ProcessSpec.builder().cmdline("other").build());
        r.submit(reused.pid(), reused.startTime() - 1, 0, -1);
        assertEquals(CommandLineState.UNREADABLE, await(reused.pid()), "another process holds the pid now");
    }
}
