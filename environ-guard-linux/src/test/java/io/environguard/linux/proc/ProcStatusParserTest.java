package io.environguard.linux.proc;

import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcFormats;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProcStatusParserTest {

    @Example
    void parsesTheFieldsItUses() throws ProcParseException {
        String s = "Name:\ta\\nb\\\\c) d\t(\nUmask:\t0022\nState:\tR (running)\nTgid:\t4669\nNgid:\t0\nPid:\t4670\n"
                + "PPid:\t4667\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\nGid:\t100\t0\t0\t0\nNSpid:\t4670\t12\t1\n";
        ProcStatus status = ProcStatusParser.parse(s.getBytes(StandardCharsets.UTF_8));
        assertEquals(new ProcStatus("a\nb\\c) d\t(", 4669, 4670, 4667, 1000, 100, List.of(4670, 12, 1)), status);
    }

    @Example
    void absentOptionalFieldsAreUnknown() throws ProcParseException {
        ProcStatus status = ProcStatusParser.parse("Tgid:\t5\nPid:\t5\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(new ProcStatus(null, 5, 5, -1, -1, -1, List.of()), status);
    }

    @Example
    void idsAboveIntegerRangeAreUnknownNotFatal() throws ProcParseException {
        ProcStatus status = ProcStatusParser.parse("Tgid:\t5\nPid:\t5\nUid:\t4294967294\t0\t0\t0\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(-1, status.uid());
        assertProblem(ProcParseException.Problem.OUT_OF_RANGE, "Tgid:\t5\nPid:\t5\nUid:\t4294967296\n");
    }

    @Example
    void refusesBrokenFiles() {
        assertProblem(ProcParseException.Problem.EMPTY, "");
        assertProblem(ProcParseException.Problem.TRUNCATED, "Tgid:\t5\nPid:\t5");
        assertProblem(ProcParseException.Problem.MISSING_FIELD, "Tgid:\t5\n");
        assertProblem(ProcParseException.Problem.MISSING_FIELD, "Pid:\t5\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "Tgid:\t5\nPid\t5\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "Tgid:\t5\nPid:\t\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "Tgid:\t5\nPid:\t-5\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "Tgid:\t5\nPid:\t5\nNSpid:\t5\tx\n");
        assertProblem(ProcParseException.Problem.OUT_OF_RANGE, "Tgid:\t5\nPid:\t3000000000\n");
    }

    private static void assertProblem(ProcParseException.Problem problem, String content) {
        ProcParseException e = assertThrows(ProcParseException.class,
                () -> ProcStatusParser.parse(content.getBytes(StandardCharsets.UTF_8)));
        assertSame(problem, e.problem(), e.getMessage());
        assertSame(ProcParseException.FileType.STATUS, e.fileType());
    }

    @Property
    void roundTripsWhatTheKernelWrites(@ForAll("comms") byte[] comm, @ForAll @IntRange(min = 1, max = 4_194_304) int tgid,
                                       @ForAll @IntRange(min = 1, max = 4_194_304) int tid,
                                       @ForAll @IntRange(max = 4_194_304) int ppid,
                                       @ForAll @IntRange(max = Integer.MAX_VALUE) int uid,
                                       @ForAll @IntRange(max = Integer.MAX_VALUE) int gid,
                                       @ForAll @Size(max = 3) List<@IntRange(min = 1, max = 4_194_304) Integer> inner)
            throws ProcParseException {
        List<Integer> nsPid = new java.util.ArrayList<>();
        nsPid.add(tid);
        nsPid.addAll(inner);
        ProcStatus status = ProcStatusParser.parse(ProcFormats.status(comm, 'S', tgid, tid, ppid, uid, gid, nsPid, 1));
        assertEquals(new ProcStatus(new String(comm, StandardCharsets.UTF_8), tgid, tid, ppid, uid, gid, nsPid), status);
    }

    @Provide
    Arbitrary<byte[]> comms() {
        return ProcArbitraries.oddComms();
    }
}
