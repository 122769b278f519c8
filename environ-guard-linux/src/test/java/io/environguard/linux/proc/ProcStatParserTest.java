package io.environguard.linux.proc;

import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcFormats;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProcStatParserTest {

    private static final String REAL = "3803 (cat) R 3801 3801 3362 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 35021 3133440 415"
            + " 18446744073709551615 94897408249856 94897408269737 140732933281520 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
            + " 94897408285744 94897408287360 94898174038016 140732933282530 140732933282550 140732933282550"
            + " 140732933283819 0\n";

    @Example
    void parsesARealLine() throws ProcParseException {
        ProcStat stat = ProcStatParser.parse(REAL.getBytes(StandardCharsets.US_ASCII));
        assertEquals(new ProcStat(3803, "cat", 'R', 3801, 35021, 140732933282550L, 140732933283819L), stat);
    }

    /** The counter-example from STYLE.md: cutting at the first ')' reads "(pid 42)" as fields. */
    @Example
    void readsFieldsFromTheLastParenthesis() throws ProcParseException {
        byte[] line = ProcFormats.stat(9, "Web Content (pid 42) S 7".getBytes(StandardCharsets.UTF_8), 'S', 5, 777, 1, 0, 0);
        ProcStat stat = ProcStatParser.parse(line);
        assertEquals("Web Content (pid 42) S 7", stat.comm());
        assertEquals(5, stat.ppid());
        assertEquals(777, stat.startTime());
    }

    @Example
    void linesBeforeKernel35HaveNoEnvironmentRange() throws ProcParseException {
        String old = "1 (init) S 0 1 1 0 -1 4202752 1 0 0 0 0 0 0 0 20 0 1 0 4 1 2\n";
        ProcStat stat = ProcStatParser.parse(old.getBytes(StandardCharsets.US_ASCII));
        assertEquals(4, stat.startTime());
        assertEquals(-1, stat.envStart());
        assertEquals(-1, stat.envEnd());
    }

    @Example
    void refusesWhatIsNotAStatLine() {
        assertProblem(ProcParseException.Problem.EMPTY, "");
        assertProblem(ProcParseException.Problem.TRUNCATED, "42");
        assertProblem(ProcParseException.Problem.TRUNCATED, "42 (ca");
        assertProblem(ProcParseException.Problem.TRUNCATED, REAL.substring(0, REAL.length() - 1));
        assertProblem(ProcParseException.Problem.TRUNCATED, "42 (cat) S 1 2 3\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "x42 (cat) S 1\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "42 (cat)S 1\n");
        assertProblem(ProcParseException.Problem.MALFORMED, REAL.replace(" R ", " RR "));
        assertProblem(ProcParseException.Problem.MALFORMED, REAL.replace(" 3801 3801", " -3801 3801"));
        assertProblem(ProcParseException.Problem.MALFORMED, REAL.replace(" 415 ", " 4x5 "));
        assertProblem(ProcParseException.Problem.OUT_OF_RANGE, REAL.replace(" 3801 3801", " 99999999999 3801"));
        assertProblem(ProcParseException.Problem.OUT_OF_RANGE, REAL.replace(" 35021 ", " 99999999999999999999 "));
    }

    private static void assertProblem(ProcParseException.Problem problem, String line) {
        ProcParseException e = assertThrows(ProcParseException.class,
                () -> ProcStatParser.parse(line.getBytes(StandardCharsets.ISO_8859_1)));
        assertSame(problem, e.problem(), e.getMessage());
        assertSame(ProcParseException.FileType.STAT, e.fileType());
    }

    @Property
    void roundTripsOddNamesExactly(@ForAll("comms") byte[] comm, @ForAll @IntRange(min = 1, max = 4_194_304) int pid,
                                   @ForAll @IntRange(max = 4_194_304) int ppid, @ForAll @LongRange(max = Long.MAX_VALUE) long start,
                                   @ForAll @LongRange(max = 1L << 47) long envStart) throws ProcParseException {
        ProcStat stat = ProcStatParser.parse(ProcFormats.stat(pid, comm, 'D', ppid, start, 3, envStart, envStart + 4096));
        assertEquals(new ProcStat(pid, new String(comm, StandardCharsets.UTF_8), 'D', ppid, start, envStart, envStart + 4096),
                stat);
    }

    @Property
    void roundTripsThroughASimulatedTree(@ForAll("comms") byte[] comm, @ForAll @IntRange(max = 70_000) int ppid)
            throws IOException, ProcParseException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess p = fs.spawn(ProcessSpec.builder().comm(comm).ppid(ppid).build());
            ProcStat stat = ProcStatParser.parse(Files.readAllBytes(fs.root().resolve(p.pid() + "/stat")));
            assertEquals(p.pid(), stat.pid());
            assertEquals(new String(comm, StandardCharsets.UTF_8), stat.comm());
            assertEquals(ppid, stat.ppid());
            assertEquals(p.startTime(), stat.startTime());
        }
    }

    @Provide
    Arbitrary<byte[]> comms() {
        return ProcArbitraries.oddComms();
    }
}
