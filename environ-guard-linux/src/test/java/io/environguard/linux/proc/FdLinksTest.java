package io.environguard.linux.proc;

import io.environguard.testkit.FdSpec;
import io.environguard.testkit.KernelPaths;
import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FdLinksTest {

    /** One tree for all tries: each try spawns its own process and ends it. */
    private static SimulatedProcFs fs;

    @BeforeContainer
    static void createTree() throws IOException {
        fs = SimulatedProcFs.create();
    }

    @AfterContainer
    static void deleteTree() throws IOException {
        fs.close();
    }

    @Property
    void listsWhatIsOpenUpToTheLimit(@ForAll("smallTables") List<FdSpec> table, @ForAll @IntRange(max = 60) int limit)
            throws IOException {
        SimProcess p = fs.spawn(1, "holder");
        try {
            fs.openFds(p.pid(), table);
            Map<Integer, String> all = expected(table);
            FdTable read = FdLinks.list(fs.root(), p.pid(), 10_000);
            assertEquals(all, links(read));
            assertFalse(read.truncated());
            assertEquals(0, read.vanished());
            assertEquals(p.pid(), read.pid());

            FdTable bounded = FdLinks.list(fs.root(), p.pid(), limit);
            assertEquals(Math.min(limit, all.size()), bounded.links().size());
            assertEquals(all.size() > limit, bounded.truncated());
            for (FdLink link : links(bounded).entrySet().stream().map(e -> new FdLink(e.getKey(), e.getValue())).toList()) {
                assertEquals(all.get(link.fd()), link.target());
            }
        } finally {
            fs.exit(p.pid());
        }
    }

    /** A scale check, not a property: one generated table of 5,000 links; exactness at size and the bound. */
    @Example
    void readsHugeTables(@ForAll("hugeTables") List<FdSpec> table) throws IOException {
        SimProcess p = fs.spawn(1, "hoarder");
        try {
            fs.openFds(p.pid(), table);
            Map<Integer, String> expected = expected(table);
            assertEquals(expected, links(FdLinks.list(fs.root(), p.pid(), 100_000)));
            FdTable bounded = FdLinks.list(fs.root(), p.pid(), 4096);
            assertEquals(4096, bounded.links().size());
            assertTrue(bounded.truncated());
            int environs = 0;
            for (FdLink link : FdLinks.list(fs.root(), p.pid(), 100_000).links()) {
                try {
                    FdTarget target = link.parsedTarget();
                    if (target.kind() == FdTarget.Kind.PATH
                            && ProcPaths.classify(target.text(), List.of(KernelPaths.PROC)).isPresent()) {
                        environs++;
                    }
                } catch (ProcParseException e) {
                    throw new AssertionError("a kernel-format target did not parse: " + link, e);
                }
            }
            long expectedEnvirons = expected.values().stream()
                    .filter(t -> ProcPaths.classify(t.replace(" (deleted)", ""), List.of(KernelPaths.PROC)).isPresent())
                    .count();
            assertEquals(expectedEnvirons, environs);
        } finally {
            fs.exit(p.pid());
        }
    }

    @Example
    void aVanishedProcessHasNoTable() {
        SimProcess p = fs.spawn(1, "gone");
        fs.exit(p.pid());
        assertThrows(NoSuchFileException.class, () -> FdLinks.list(fs.root(), p.pid(), 10));
    }

    @Example
    void seesAFileWeHoldOpenInTheRealProc() throws IOException {
        Path file = Files.createTempFile("fdlinks", ".txt");
        try (var channel = Files.newByteChannel(file)) {
            String real = file.toRealPath().toString();
            FdTable table = FdLinks.list(Path.of("/proc"), (int) ProcessHandle.current().pid(), 100_000);
            assertTrue(channel.isOpen());
            assertTrue(table.links().stream().anyMatch(l -> l.target().equals(real)), "our open file is among our fds");
        } finally {
            Files.delete(file);
        }
    }

    private static Map<Integer, String> expected(List<FdSpec> table) {
        Map<Integer, String> fds = new TreeMap<>(Map.of(0, "/dev/null", 1, "/dev/null", 2, "/dev/null"));
        for (FdSpec fd : table) {
            fds.put(fd.fd(), fd.target());
        }
        return fds;
    }

    private static Map<Integer, String> links(FdTable table) {
        Map<Integer, String> out = new TreeMap<>();
        List<Integer> order = new ArrayList<>();
        for (FdLink link : table.links()) {
            out.put(link.fd(), link.target());
            order.add(link.fd());
        }
        assertEquals(order.stream().sorted().toList(), order, "ascending by fd");
        return out;
    }

    @Provide
    Arbitrary<List<FdSpec>> smallTables() {
        return ProcArbitraries.fdTables(0, 40);
    }

    @Provide
    Arbitrary<List<FdSpec>> hugeTables() {
        return ProcArbitraries.fdTables(5000, 5000);
    }
}
