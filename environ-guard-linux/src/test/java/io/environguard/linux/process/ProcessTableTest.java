package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.Ancestor;
import io.environguard.api.CommandLines;
import io.environguard.api.ProcessInfo;
import io.environguard.linux.process.ProcessRecord.CommandLineState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The store alone: generations, tombstone bounds, lineage, conversion, command-line compaction. */
class ProcessTableTest {

    private long now = 1_000_000_000L;

    private ProcessTable table(Duration ttl, int max) {
        return new ProcessTable(ProcessTableSettings.defaults().withTombstones(ttl, max), () -> now);
    }

    private static ProcessRecord proc(int pid, long start, int ppid, long parentStart, String comm) {
        return ProcessRecord.builder(pid, start).parent(ppid, parentStart).comm(comm).exe("/usr/bin/" + comm, 1, pid)
                .uid(1000).gid(1000).commandLine(List.of(comm), 512, CommandLineState.READ).build();
    }

    @Example
    void aNewerGenerationRetiresTheOlderAndLookupsTellThemApart() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(proc(42, 100, 1, 5, "sleep"));
        t.insert(proc(42, 300, 1, 5, "cat"));
        assertEquals("cat", t.live(42).comm());
        assertEquals("sleep", t.find(42, 100).comm());
        assertFalse(t.find(42, 100).isLive(), "the older generation must have exited");
        assertEquals(1, t.liveCount());
        assertEquals(1, t.tombstoneCount());
        assertEquals(1, t.inferredExits());
        // An access by a process that has exited, made before the newer one started, is the older one's.
        assertEquals("sleep", t.forAccess(42, 0, 200).comm());
        assertEquals("cat", t.forAccess(42, 0, 400).comm());
        assertEquals("cat", t.forAccess(42, 1, -1).comm());
    }

    @Example
    void anExitStampedBeforeTheNewestStartedIsNotItsExit() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(proc(42, 300, 1, 5, "cat"));
        assertNull(t.markExited(42, 200, now), "an exit at tick 200 cannot end a process that started at 300");
        assertTrue(t.live(42).isLive());
        assertNotNull(t.markExited(42, 300, now));
        assertNull(t.live(42));
    }

    @Example
    void aLiveProcessSaidExitedIsRevivedByAReadThatShowsItRunning() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(proc(42, 300, 1, 5, "java"));
        t.markExited(42, 300, now); // its main thread exited; other threads run on
        assertNull(t.forAccess(42, 1, -1), "alive by its pidfd, exited in the table: the table cannot tell");
        t.insert(proc(42, 300, 1, 5, "java"));
        assertTrue(t.live(42).isLive());
        assertEquals(1, t.liveCount());
        assertEquals(0, t.tombstoneCount());
    }

    @Example
    void derivedStartsMatchOneTickEitherWay() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(ProcessRecord.builder(7, 500).startDerived(true).comm("sh").build());
        assertNotNull(t.find(7, 499));
        assertNotNull(t.find(7, 501));
        assertNull(t.find(7, 502));
        t.insert(ProcessRecord.builder(8, 500).comm("sh").build());
        assertNull(t.find(8, 501), "an exact start matches exactly");
    }

    @Example
    void tombstonesExpireAfterTheirTimeAndTheOldestGoFirstBeyondTheBound() {
        ProcessTable t = table(Duration.ofSeconds(10), 3);
        for (int pid = 100; pid < 105; pid++) {
            t.insert(proc(pid, pid, 1, 5, "p" + pid));
        }
        for (int pid = 100; pid < 105; pid++) {
            now += 1_000_000_000L;
            t.markExited(pid, -1, now);
        }
        assertEquals(3, t.tombstoneCount(), "bounded at three");
        assertEquals(2, t.evicted());
        assertNull(t.newest(100), "the oldest went first");
        assertNull(t.newest(101));
        assertNotNull(t.newest(102));
        now += 7_500_000_000L; // 102 exited 9.5 s ago, 104 7.5 s ago
        t.expire();
        assertEquals(3, t.tombstoneCount());
        now += 1_000_000_000L;
        t.expire();
        assertEquals(2, t.tombstoneCount(), "102's ten seconds are up");
        assertEquals(1, t.expired());
        assertEquals(0, t.liveCount());
    }

    @Example
    void lineageFollowsTheExactGenerationsEvenAfterParentsExitAndPidsAreReused() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(proc(1, 5, 0, -1, "init"));
        t.insert(proc(10, 50, 1, 5, "bash"));
        t.insert(proc(20, 60, 10, 50, "sh"));
        t.insert(proc(30, 70, 20, 60, "cat"));
        t.markExited(20, 80, now);
        t.insert(proc(20, 90, 1, 5, "evil")); // pid 20 reused
        List<Ancestor> lineage = t.ancestors(t.live(30));
        assertEquals(List.of(new Ancestor(20, 60, "sh", "/usr/bin/sh"), new Ancestor(10, 50, "bash", "/usr/bin/bash"),
                new Ancestor(1, 5, "init", "/usr/bin/init")), lineage);
    }

    @Example
    void lineageEndsAtTheFirstUnknownAncestorNamingItByPidAndStart() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(proc(20, 60, 10, 50, "sh"));
        t.insert(proc(30, 70, 20, 60, "cat"));
        assertEquals(List.of(new Ancestor(20, 60, "sh", "/usr/bin/sh"), new Ancestor(10, 50, null, null)),
                t.ancestors(t.live(30)));
    }

    @Example
    void lineageStopsAtAContainersInitAndAtEightLevels() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(withPidNs(proc(1, 5, 0, -1, "init"), 4026531836L));
        t.insert(withPidNs(proc(10, 50, 1, 5, "containerd-shim"), 4026531836L));
        t.insert(withPidNs(proc(11, 51, 10, 50, "tini"), 4026532999L));
        t.insert(withPidNs(proc(12, 52, 11, 51, "sh"), 4026532999L));
        t.insert(withPidNs(proc(13, 53, 12, 52, "cat"), 4026532999L));
        List<Ancestor> lineage = t.ancestors(t.live(13));
        assertEquals(List.of(12, 11), lineage.stream().map(Ancestor::pid).toList(), "ends at the container's init");

        int pid = 100;
        long start = 100;
        t.insert(proc(pid, start, 1, 5, "p0"));
        for (int i = 1; i <= 12; i++) {
            t.insert(proc(pid + i, start + i, pid + i - 1, start + i - 1, "p" + i));
        }
        assertEquals(ProcessInfo.MAX_ANCESTORS, t.ancestors(t.live(pid + 12)).size());
    }

    private static ProcessRecord withPidNs(ProcessRecord r, long ns) {
        return r.toBuilder().namespaces(4026531840L, ns).build();
    }

    @Example
    void toProcessInfoCarriesEverythingAndSaysWhatIsMissing() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        t.insert(proc(1, 5, 0, -1, "init"));
        t.insert(proc(30, 70, 1, 5, "cat").toBuilder().cgroup(99, "3f2a9c1b7d4e").build());
        ProcessInfo info = t.toProcessInfo(t.live(30), 31);
        assertEquals(30, info.pid());
        assertEquals(31, info.tid());
        assertEquals(1, info.ppid());
        assertEquals("cat", info.comm());
        assertEquals("/usr/bin/cat", info.exe());
        assertEquals(List.of("cat"), info.cmdline());
        assertEquals("3f2a9c1b7d4e", info.containerId());
        assertEquals(70, info.startTime());
        assertTrue(info.complete());
        assertEquals(List.of(new Ancestor(1, 5, "init", "/usr/bin/init")), info.ancestors());

        t.update(30, 70, r -> r.toBuilder().commandLineState(CommandLineState.TIMED_OUT).build());
        assertFalse(t.toProcessInfo(t.live(30), -1).complete(), "a command line that was not read");
    }

    @Example
    void eachMountNamespaceIsToldOnceOffTheWritersThread() throws InterruptedException {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        List<long[]> told = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        t.insert(proc(1, 5, 0, -1, "init").toBuilder().namespaces(1000, 2000).build());
        t.onNewMountNamespace((pid, ns) -> {
            told.add(new long[] {pid, ns});
            threads.add(Thread.currentThread().getName());
        });
        t.insert(proc(2, 6, 1, 5, "a").toBuilder().namespaces(1000, 2000).build());
        t.insert(proc(3, 7, 1, 5, "b").toBuilder().namespaces(1001, 2000).build());
        t.update(2, 6, r -> r.toBuilder().namespaces(1002, 2000).build());
        t.insert(proc(4, 8, 1, 5, "c").toBuilder().namespaces(1001, 2000).build());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (told.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(50);
        assertEquals(List.of(1000L, 1001L, 1002L), told.stream().map(x -> x[1]).toList());
        assertEquals(List.of(1L, 3L, 2L), told.stream().map(x -> x[0]).toList());
        assertTrue(threads.stream().allMatch(n -> n.startsWith("process-table-namespaces")), threads.toString());
        t.close();
    }

    @Example
    void equalStringsAreSharedBetweenRecords() {
        ProcessTable t = table(Duration.ofSeconds(30), 100);
        String a = t.intern(new String("/usr/bin/cat"));
        String b = t.intern(new String("/usr/bin/cat"));
        assertSame(a, b);
    }

    // ---------------------------------------------------------------- command lines kept compactly

    @Property(tries = 500)
    void commandLinesAreRedactedCappedAndNeverCutMidCharacter(@ForAll("args") List<String> args,
                                                              @ForAll @IntRange(min = 0, max = 600) int cap) {
        byte[] encoded = ProcessRecord.CommandLineBytes.encode(args, cap);
        if (encoded != null) {
            assertTrue(encoded.length <= cap, () -> encoded.length + " > " + cap);
            String text = new String(encoded, StandardCharsets.UTF_8);
            assertFalse(text.contains("\uFFFD") && !String.join("", args).contains("\uFFFD"), "a split character");
        }
        List<String> decoded = ProcessRecord.CommandLineBytes.decode(encoded);
        List<String> redacted = CommandLines.redact(args);
        for (int i = 0; i < decoded.size(); i++) {
            String got = decoded.get(i);
            String want = redacted.get(i);
            if (i < decoded.size() - 1) {
                assertEquals(want, got);
            } else {
                assertTrue(got.equals(want) || (got.endsWith("…") && want.startsWith(got.substring(0, got.length() - 1))),
                        () -> got + " is neither " + want + " nor a cut of it");
            }
        }
        for (String arg : decoded) {
            assertFalse(arg.contains("hunter2"), "a secret survived: " + decoded);
        }
    }

    @Provide
    Arbitrary<List<String>> args() {
        Arbitrary<String> plain = Arbitraries.strings().withChars("abc-=/ é✓").ofMaxLength(80);
        Arbitrary<String> secret = Arbitraries.of("--password=hunter2", "token=hunter2", "https://u:hunter2@h/x");
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, plain), net.jqwik.api.Tuple.of(1, secret))
                .list().ofMaxSize(12);
    }

    @Property(tries = 50)
    void countsMatchTheRecordsWhateverTheOrder(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 3) Integer> ops) {
        ProcessTable t = table(Duration.ofSeconds(5), 4);
        List<Integer> pids = new ArrayList<>();
        long start = 10;
        for (int op : ops) {
            now += 700_000_000L;
            start++;
            switch (op) {
                case 0 -> {
                    int pid = 100 + (int) (start % 6);
                    t.insert(proc(pid, start, 1, 5, "x"));
                    pids.add(pid);
                }
                case 1 -> {
                    if (!pids.isEmpty()) {
                        t.markExited(pids.get((int) (start % pids.size())), start, now);
                    }
                }
                case 2 -> t.expire();
                default -> {
                    if (!pids.isEmpty()) {
                        int pid = pids.get((int) (start % pids.size()));
                        ProcessRecord r = t.newest(pid);
                        if (r != null) {
                            t.update(pid, r.startTime(), x -> x.toBuilder().comm("renamed").build());
                        }
                    }
                }
            }
            long live = 0;
            long tombs = 0;
            for (int pid = 100; pid < 106; pid++) {
                List<ProcessRecord> gens = t.generations(pid);
                for (int i = 0; i < gens.size(); i++) {
                    if (gens.get(i).isLive()) {
                        live++;
                        assertEquals(0, i, "only the newest may run");
                    } else {
                        tombs++;
                    }
                }
            }
            assertEquals(live, t.liveCount());
            assertEquals(tombs, t.tombstoneCount());
            assertTrue(tombs <= 4);
        }
    }
}
