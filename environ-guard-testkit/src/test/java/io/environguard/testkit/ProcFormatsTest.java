package io.environguard.testkit;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcFormatsTest {

    @Example
    void statHasTheKernelsFiftyTwoFields() {
        String stat = new String(ProcFormats.stat(42, "a) b".getBytes(StandardCharsets.UTF_8), 'S', 7, 35021, 3, 111, 222),
                StandardCharsets.UTF_8);
        assertTrue(stat.startsWith("42 (a) b) S 7 "));
        assertTrue(stat.endsWith(" 111 222 0\n"));
        String[] after = stat.substring(stat.lastIndexOf(')') + 2, stat.length() - 1).split(" ", -1);
        assertEquals(50, after.length, "fields 3..52");
        assertEquals("3", after[20 - 3], "field 20: num_threads");
        assertEquals("35021", after[22 - 3], "field 22: starttime");
        assertEquals("111", after[50 - 3], "field 50: env_start");
        assertEquals("222", after[51 - 3], "field 51: env_end");
    }

    @Example
    void statusEscapesTheNameAsTheKernelDoes() {
        byte[] name = {'a', '\n', 'b', '\\', 'c', ')', ' ', '\t', (byte) 0xff, '('};
        String status = new String(ProcFormats.status(name, 'R', 7, 8, 1, 1000, 100, List.of(8, 3), 2),
                StandardCharsets.ISO_8859_1);
        assertTrue(status.startsWith("Name:\ta\\nb\\\\c) \t\u00ff(\n"), status);
        assertTrue(status.contains("\nTgid:\t7\n"));
        assertTrue(status.contains("\nPid:\t8\n"));
        assertTrue(status.contains("\nPPid:\t1\n"));
        assertTrue(status.contains("\nUid:\t1000\t1000\t1000\t1000\n"));
        assertTrue(status.contains("\nGid:\t100\t100\t100\t100\n"));
        assertTrue(status.contains("\nNSpid:\t8\t3\n"));
        assertTrue(status.contains("\nThreads:\t2\n"));
    }

    @Example
    void commCmdlineAndCgroup() {
        assertArrayEquals("x y\n".getBytes(StandardCharsets.UTF_8), ProcFormats.comm("x y".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals("sleep\u0000600\u0000".getBytes(StandardCharsets.UTF_8), ProcFormats.cmdline(List.of("sleep", "600")));
        assertArrayEquals(new byte[0], ProcFormats.cmdline(List.of()));
        assertArrayEquals("0::/init.scope\n".getBytes(StandardCharsets.UTF_8), ProcFormats.cgroupV2("/init.scope"));
    }

    @Example
    void mountInfoEscapesPaths() {
        MountLine line = MountLine.proc(40, 21, "/run/a b\tc\nd\\e", "0:41");
        assertEquals("40 21 0:41 / /run/a\\040b\\011c\\012d\\134e rw,nosuid,nodev,noexec,relatime shared:40 - proc proc rw\n",
                new String(ProcFormats.mountInfoLine(line), StandardCharsets.UTF_8));
    }

    /** Escaped mount points hold no raw space, tab, newline: a line splits into its fields on spaces. */
    @Property
    void escapedMountLinesSplitIntoTheirFields(@ForAll("mountPoints") String mountPoint) {
        String line = new String(ProcFormats.mountInfoLine(MountLine.proc(40, 21, mountPoint, "0:41")), StandardCharsets.UTF_8);
        assertEquals(line.length() - 1, line.indexOf('\n'));
        String[] fields = line.substring(0, line.length() - 1).split(" ", -1);
        assertEquals(11, fields.length);
        assertEquals("-", fields[7]);
    }

    @Provide
    Arbitrary<String> mountPoints() {
        return ProcArbitraries.mountPoints();
    }
}
