package io.environguard.linux.proc;

import io.environguard.testkit.MountLine;
import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcFormats;
import io.environguard.testkit.SimulatedProcFs;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MountInfoParserTest {

    @Example
    void parsesRealLines() throws ProcParseException {
        String table = "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
                + "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n"
                + "40 22 0:41 / /run/my\\040proc\\011x\\012y\\134z rw - proc proc\\040a rw\n";
        List<MountInfo> mounts = MountInfoParser.parse(table.getBytes(StandardCharsets.US_ASCII));
        assertEquals(new MountInfo(22, 27, "0:21", "/", "/proc", "rw,relatime", List.of(), "proc", "proc", "rw"),
                mounts.get(0));
        assertEquals(new MountInfo(36, 35, "98:0", "/mnt1", "/mnt2", "rw,noatime", List.of("master:1", "shared:7"), "ext3",
                "/dev/root", "rw,errors=continue"), mounts.get(1));
        assertEquals("/run/my proc\tx\ny\\z", mounts.get(2).mountPoint());
        assertEquals("proc a", mounts.get(2).source());
    }

    @Example
    void keepsABackslashThatIsNoEscape() throws ProcParseException {
        List<MountInfo> mounts = MountInfoParser.parse("1 0 0:1 / /a\\9b\\ rw - proc proc rw\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("/a\\9b\\", mounts.get(0).mountPoint());
    }

    @Example
    void refusesBrokenTables() {
        assertProblem(ProcParseException.Problem.EMPTY, "");
        assertProblem(ProcParseException.Problem.TRUNCATED, "22 27 0:21 / /proc rw,relatime - proc proc rw");
        assertProblem(ProcParseException.Problem.MALFORMED, "22 27 0:21 / /proc rw,relatime proc proc rw\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "22 27 0:21 / /proc rw,relatime - proc proc\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "22 27 021 / /proc rw - proc proc rw\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "22 x 0:21 / /proc rw - proc proc rw\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "22 27 0:21 /  /proc rw - proc proc rw\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "22 27 0:21 / /proc rw - proc proc rw\n\n");
    }

    private static void assertProblem(ProcParseException.Problem problem, String content) {
        ProcParseException e = assertThrows(ProcParseException.class,
                () -> MountInfoParser.parse(content.getBytes(StandardCharsets.UTF_8)));
        assertSame(problem, e.problem(), e.getMessage());
    }

    @Property
    void roundTripsEscapedMountPoints(@ForAll("mountPoints") List<String> points) throws ProcParseException {
        List<MountLine> lines = new ArrayList<>(List.of(MountLine.rootFs(21)));
        for (int i = 0; i < points.size(); i++) {
            lines.add(MountLine.proc(40 + i, 21, points.get(i), "0:" + (40 + i)));
        }
        List<MountInfo> parsed = MountInfoParser.parse(ProcFormats.mountInfo(lines));
        assertEquals(points.size() + 1, parsed.size());
        for (int i = 0; i < points.size(); i++) {
            MountInfo m = parsed.get(i + 1);
            assertEquals(points.get(i), m.mountPoint());
            assertEquals(40 + i, m.mountId());
            assertEquals("0:" + (40 + i), m.device());
            assertEquals("proc", m.fsType());
        }
    }

    /** ProcMounts over a simulated tree: escaped mount points, bind mounts grouped by superblock. */
    @Property
    void procMountsListsEveryProcMount(@ForAll("mountPoints") List<String> points) throws IOException, ProcParseException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            fs.setCurrent(fs.spawn(1, "java").pid());
            List<String> expected = new ArrayList<>(List.of("/proc"));
            for (String p : points) {
                fs.addProcMount(p);
                expected.add(p);
            }
            MountLine bind = fs.addProcBindMount("/mnt/bind of proc");
            expected.add(bind.mountPoint());

            ProcMounts mounts = new ProcMounts(fs.root());
            List<ProcMount> procs = mounts.list();
            assertEquals(expected, procs.stream().map(ProcMount::mountPoint).toList());
            assertEquals(procs, mounts.list(fs.currentPid()));
            assertEquals(List.of("/proc", "/mnt/bind of proc"), ProcMounts.sameInstanceAs(procs, "/proc"));
            assertEquals(points.size() + 1, ProcMounts.distinctInstances(procs).size());
        }
    }

    @Provide
    Arbitrary<List<String>> mountPoints() {
        return ProcArbitraries.mountPoints().filter(p -> !p.equals("/proc") && !p.equals("/mnt/bind of proc"))
                .list().uniqueElements().ofMaxSize(4);
    }
}
