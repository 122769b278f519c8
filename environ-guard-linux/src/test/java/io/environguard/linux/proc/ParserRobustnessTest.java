package io.environguard.linux.proc;

import io.environguard.testkit.MountLine;
import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcFormats;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every /proc parser, fed arbitrary bytes, real-format files cut anywhere, or real-format files with one
 * byte changed, returns a record or throws {@link ProcParseException}: never an unchecked exception.
 */
class ParserRobustnessTest {

    /** Runs every parser on {@code bytes}; a RuntimeException or Error escapes and fails the property. */
    static void feedAll(byte[] bytes) {
        accept(() -> ProcStatParser.parse(bytes));
        accept(() -> ProcStatusParser.parse(bytes));
        accept(() -> MountInfoParser.parse(bytes));
        accept(() -> CgroupParser.parse(bytes));
        accept(() -> FdTargetParser.parse(bytes));
        assertNotNull(CmdlineParser.parse(bytes));
    }

    interface Parse {
        Object run() throws ProcParseException;
    }

    private static void accept(Parse parse) {
        try {
            assertNotNull(parse.run());
        } catch (ProcParseException expected) {
            assertNotNull(expected.fileType());
            assertNotNull(expected.problem());
        }
    }

    @Property
    void arbitraryBytes(@ForAll("anyBytes") byte[] bytes) {
        feedAll(bytes);
    }

    @Property
    void realFormatsCutAnywhere(@ForAll("realFiles") byte[] file, @ForAll @IntRange(max = 100_000) int cutSeed) {
        feedAll(Arrays.copyOf(file, cutSeed % (file.length + 1)));
    }

    @Property
    void realFormatsWithOneByteChanged(@ForAll("realFiles") byte[] file, @ForAll @IntRange(max = 100_000) int at,
                                       @ForAll byte value) {
        byte[] mutated = file.clone();
        mutated[at % mutated.length] = value;
        feedAll(mutated);
    }

    @Property
    void realFormatsWithBytesInserted(@ForAll("realFiles") byte[] file, @ForAll @IntRange(max = 100_000) int at,
                                      @ForAll("structuralBytes") byte value) {
        int i = at % (file.length + 1);
        byte[] mutated = new byte[file.length + 1];
        System.arraycopy(file, 0, mutated, 0, i);
        mutated[i] = value;
        System.arraycopy(file, i, mutated, i + 1, file.length - i);
        feedAll(mutated);
    }

    /** A stat whose name has no newline is rejected when cut anywhere: its only newline is the last byte. */
    @Property
    void everyStrictPrefixOfAStatIsRejected(@ForAll("comms") byte[] comm, @ForAll @IntRange(max = 100_000) int cutSeed) {
        byte[] stat = ProcFormats.stat(4242, comm, 'S', 1, 35021, 1, 0, 0);
        int cut = cutSeed % stat.length;
        if (indexOf(comm, (byte) '\n') >= 0) {
            feedAll(Arrays.copyOf(stat, cut));
            return;
        }
        try {
            ProcStatParser.parse(Arrays.copyOf(stat, cut));
            throw new AssertionError("a stat cut at " + cut + " of " + stat.length + " was accepted");
        } catch (ProcParseException expected) {
            assertSame(ProcParseException.FileType.STAT, expected.fileType());
        }
    }

    /** A mountinfo cut at a line end is a shorter table; cut elsewhere, it is refused. */
    @Property
    void mountInfoCutAnywhereIsAPrefixOrRefused(@ForAll("mountPoints") List<String> points,
                                                @ForAll @IntRange(max = 100_000) int cutSeed) throws ProcParseException {
        List<MountLine> lines = new java.util.ArrayList<>();
        lines.add(MountLine.rootFs(21));
        for (int i = 0; i < points.size(); i++) {
            lines.add(MountLine.proc(40 + i, 21, points.get(i), "0:" + (40 + i)));
        }
        byte[] file = ProcFormats.mountInfo(lines);
        List<MountInfo> whole = MountInfoParser.parse(file);
        int cut = cutSeed % (file.length + 1);
        byte[] prefix = Arrays.copyOf(file, cut);
        try {
            List<MountInfo> parsed = MountInfoParser.parse(prefix);
            assertTrue(cut > 0 && file[cut - 1] == '\n', "only whole lines parse");
            assertEquals(whole.subList(0, parsed.size()), parsed);
        } catch (ProcParseException e) {
            assertTrue(cut == 0 || file[cut - 1] != '\n', "whole lines must parse");
        }
    }

    /** A status cut at a line end keeps what it has (the rest unknown) or misses Pid/Tgid; cut elsewhere, refused. */
    @Property
    void statusCutAnywhereKeepsWhatItHas(@ForAll("comms") byte[] comm, @ForAll @IntRange(max = 100_000) int cutSeed) {
        byte[] file = ProcFormats.status(comm, 'S', 4242, 4242, 1, 1000, 1001, List.of(4242, 7), 3);
        int cut = cutSeed % (file.length + 1);
        try {
            ProcStatus s = ProcStatusParser.parse(Arrays.copyOf(file, cut));
            assertTrue(file[cut - 1] == '\n');
            assertEquals(4242, s.pid());
            assertEquals(4242, s.tgid());
            assertTrue(s.uid() == 1000 || s.uid() == -1);
            assertTrue(s.gid() == 1001 || s.gid() == -1);
            assertTrue(s.nsPid().isEmpty() || s.nsPid().equals(List.of(4242, 7)));
        } catch (ProcParseException e) {
            assertNotNull(e.problem());
        }
    }

    @Provide
    Arbitrary<byte[]> anyBytes() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
        Arbitrary<byte[]> structural = structuralBytes().array(byte[].class).ofMaxSize(200);
        return Arbitraries.oneOf(random, structural);
    }

    /** Bytes that mean something to some parser. */
    @Provide
    Arbitrary<Byte> structuralBytes() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.of((byte) ' ', (byte) ')', (byte) '(', (byte) '\n', (byte) ':',
                        (byte) '\t', (byte) '\\', (byte) '-', (byte) 0, (byte) '/', (byte) '[', (byte) ']')),
                net.jqwik.api.Tuple.of(4, Arbitraries.bytes().between((byte) '0', (byte) '9')),
                net.jqwik.api.Tuple.of(1, Arbitraries.bytes()));
    }

    @Provide
    Arbitrary<byte[]> comms() {
        return ProcArbitraries.oddComms();
    }

    @Provide
    Arbitrary<List<String>> mountPoints() {
        return ProcArbitraries.mountPoints().list().ofMinSize(1).ofMaxSize(4);
    }

    /** Real-format files of every kind, as the kernel writes them. */
    @Provide
    Arbitrary<byte[]> realFiles() {
        Arbitrary<byte[]> stat = Combinators.combine(ProcArbitraries.oddComms(), Arbitraries.integers().between(0, 4_194_304),
                        Arbitraries.longs().between(0, Long.MAX_VALUE))
                .as((comm, ppid, start) -> ProcFormats.stat(77, comm, 'R', ppid, start, 2, 140727357619062L, 140727357622255L));
        Arbitrary<byte[]> status = ProcArbitraries.oddComms()
                .map(comm -> ProcFormats.status(comm, 'S', 77, 78, 1, 1000, 1000, List.of(78, 3), 2));
        Arbitrary<byte[]> mountinfo = ProcArbitraries.mountPoints().list().ofMinSize(1).ofMaxSize(3)
                .map(points -> {
                    List<MountLine> lines = new java.util.ArrayList<>();
                    for (String p : points) {
                        lines.add(MountLine.proc(50, 21, p, "0:50"));
                    }
                    return ProcFormats.mountInfo(lines);
                });
        Arbitrary<byte[]> cgroup = ProcArbitraries.containerCgroups().map(c -> c.file());
        Arbitrary<byte[]> cmdline = ProcArbitraries.cmdlines().map(ProcFormats::cmdline).filter(b -> b.length > 0);
        Arbitrary<byte[]> fdLink = ProcArbitraries.fdTargets().map(t -> t.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.oneOf(stat, status, mountinfo, cgroup, cmdline, fdLink);
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
