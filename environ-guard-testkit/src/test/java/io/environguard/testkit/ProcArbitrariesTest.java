package io.environguard.testkit;

import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.ProcessInfo;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcArbitrariesTest {

    @Property
    void commsHaveNoNulAndAreBounded(@ForAll("comms") byte[] comm) {
        assertTrue(comm.length <= ProcArbitraries.MAX_COMM_BYTES);
        for (byte b : comm) {
            assertTrue(b != 0);
        }
    }

    @Property
    void treesRespectTheirBounds(@ForAll("trees") ProcessTree tree) {
        assertTrue(tree.depth() <= 3);
        assertEquals(tree.size(), tree.preOrder().size());
        assertChildrenAtMost(tree, 2);
    }

    private static void assertChildrenAtMost(ProcessTree tree, int max) {
        assertTrue(tree.children().size() <= max);
        tree.children().forEach(c -> assertChildrenAtMost(c, max));
    }

    @Property
    void lineagesArePlausibleChainsEndingAtAnInit(@ForAll("lineages") List<Ancestor> lineage) {
        assertTrue(!lineage.isEmpty() && lineage.size() <= ProcessInfo.MAX_ANCESTORS, lineage::toString);
        assertEquals(lineage.size(), lineage.stream().map(Ancestor::pid).distinct().count(), "distinct pids");
        for (int i = 1; i < lineage.size(); i++) {
            assertTrue(lineage.get(i).startTime() < lineage.get(i - 1).startTime(), "a parent starts before its child");
        }
        Ancestor init = lineage.get(lineage.size() - 1);
        assertTrue(init.pid() == 1 || List.of("tini", "dumb-init", "sh", "java").contains(init.comm()), init::toString);
        assertTrue(lineage.subList(0, lineage.size() - 1).stream().noneMatch(a -> a.pid() == 1));
    }

    @Provide
    Arbitrary<List<Ancestor>> lineages() {
        return ProcArbitraries.lineages();
    }

    @Property
    void fdTablesAscendWithinTheirSize(@ForAll("fdTables") List<FdSpec> table) {
        assertTrue(table.size() <= 50);
        for (int i = 1; i < table.size(); i++) {
            assertTrue(table.get(i).fd() > table.get(i - 1).fd());
        }
    }

    /** A scale check: one generated table (each holds 5,000 entries). */
    @Example
    void hugeFdTablesHaveTheirSize(@ForAll("hugeFdTables") List<FdSpec> table) {
        assertEquals(5000, table.size());
    }

    @Property
    void scriptsAreTimedAndConsistent(@ForAll("scripts") List<AccessStep> script) {
        long at = 0;
        for (AccessStep s : script) {
            assertTrue(s.offsetMillis() >= at);
            at = s.offsetMillis();
            assertTrue(s.reader() >= 0 && s.reader() < 4 && s.target() >= 0 && s.target() < 4);
            if (s.alias() == AliasKind.SELF) {
                assertEquals(s.reader(), s.target());
            }
            assertEquals(s.mode() == AccessStep.Mode.HOLD_OPEN, s.holdMillis() > 0);
        }
    }

    @Property
    void cgroupFilesNameTheirContainer(@ForAll("cgroups") CgroupCase c) {
        String file = new String(c.file(), StandardCharsets.UTF_8);
        assertTrue(file.endsWith("\n"));
        assertEquals(c.runtime() == null, c.containerId() == null);
        if (c.containerId() != null) {
            assertTrue(file.contains(c.containerId()));
        }
    }

    @Property
    void procPathsStartWithTheirMountPoint(@ForAll("paths") ProcPathCase c) {
        assertTrue(c.path().startsWith(c.mountPoint().equals("/") ? "/" : c.mountPoint() + "/"));
        assertTrue(c.path().endsWith(c.file().id()) || c.path().endsWith(c.file().id() + " (deleted)"));
        assertFalse(c.alias() == AliasKind.THREAD || c.alias() == AliasKind.UNKNOWN);
    }

    @Property
    void specsAreUsable(@ForAll("specs") ProcessSpec spec) {
        assertEquals(spec.kernelThread(), spec.exe() == null);
        if (spec.kernelThread()) {
            assertTrue(spec.cmdline().isEmpty());
        } else {
            assertTrue(spec.exe().startsWith("/"));
            assertFalse(spec.exe().contains("//"));
        }
    }

    @Provide
    Arbitrary<byte[]> comms() {
        return ProcArbitraries.oddComms();
    }

    @Provide
    Arbitrary<ProcessTree> trees() {
        return ProcArbitraries.processTrees(3, 2);
    }

    @Provide
    Arbitrary<List<FdSpec>> fdTables() {
        return ProcArbitraries.fdTables(0, 50);
    }

    @Provide
    Arbitrary<List<FdSpec>> hugeFdTables() {
        return ProcArbitraries.fdTables(5000, 5000);
    }

    @Provide
    Arbitrary<List<AccessStep>> scripts() {
        return ProcArbitraries.accessScripts(4, 12);
    }

    @Provide
    Arbitrary<CgroupCase> cgroups() {
        return ProcArbitraries.containerCgroups();
    }

    @Provide
    Arbitrary<ProcPathCase> paths() {
        return ProcArbitraries.procPaths(List.of("/proc", "/"), List.of("/run/ctr/proc"));
    }

    @Provide
    Arbitrary<ProcessSpec> specs() {
        return ProcArbitraries.processSpecs();
    }
}
