package io.environguard.linux.proc;

import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcFormats;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CmdlineParserTest {

    @Example
    void splitsOnNul() {
        assertEquals(List.of("sleep", "600"), parse("sleep\u0000600\u0000"));
        assertEquals(List.of("sleep", "600"), parse("sleep\u0000600"));
        assertEquals(List.of("a", "", "b"), parse("a\0\0b\0"));
        assertEquals(List.of("nginx: master process /usr/sbin/nginx"), parse("nginx: master process /usr/sbin/nginx\0\0\0\0"));
        assertEquals(List.of(), parse(""));
        assertEquals(List.of(), parse("\0\0"));
        assertEquals(List.of("", "x"), parse("\0x\0"));
    }

    @Example
    void replacesBytesThatAreNotUtf8() {
        assertEquals(List.of("a\uFFFDb"), CmdlineParser.parse(new byte[] {'a', (byte) 0xff, 'b', 0}));
    }

    @Property
    void roundTripsWhatTheKernelWrites(@ForAll("cmdlines") List<String> args) {
        assertEquals(args, CmdlineParser.parse(ProcFormats.cmdline(args)));
    }

    @Property
    void trailingPaddingIsDropped(@ForAll("cmdlines") List<String> args, @ForAll @IntRange(max = 64) int padding) {
        byte[] written = ProcFormats.cmdline(args);
        byte[] padded = java.util.Arrays.copyOf(written, written.length + padding);
        assertEquals(args, CmdlineParser.parse(padded));
    }

    @Provide
    Arbitrary<List<String>> cmdlines() {
        return ProcArbitraries.cmdlines();
    }

    private static List<String> parse(String s) {
        return CmdlineParser.parse(s.getBytes(StandardCharsets.UTF_8));
    }
}
