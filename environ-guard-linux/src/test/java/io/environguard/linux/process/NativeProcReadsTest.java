package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.environguard.linux.proc.ProcReads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Reads through libc give the bytes {@code FileInputStream} gives, for any size and any bound. */
class NativeProcReadsTest {

    @Property(tries = 200)
    void sameBytesAsTheJavaReads(@ForAll("contents") byte[] content, @ForAll @IntRange(min = 0, max = 300_000) int max)
            throws IOException {
        Path file = Files.createTempFile("native-reads-", ".bin");
        try {
            Files.write(file, content);
            assertArrayEquals(ProcReads.FILES.read(file, max), NativeProcReads.INSTANCE.read(file, max));
        } finally {
            Files.delete(file);
        }
    }

    @Example
    void procFilesOfThisProcessReadWhole() throws IOException {
        for (String name : new String[] {"cmdline", "cgroup", "limits", "mountinfo"}) {
            Path file = Path.of("/proc/self/" + name);
            assertArrayEquals(ProcReads.FILES.read(file, 1 << 20), NativeProcReads.INSTANCE.read(file, 1 << 20), name);
        }
        for (String name : new String[] {"stat", "status"}) {
            Path file = Path.of("/proc/self/" + name);
            // times and memory figures change between two reads; the lines do not
            assertArrayEquals(lines(ProcReads.FILES.read(file, 1 << 20)),
                    lines(NativeProcReads.INSTANCE.read(file, 1 << 20)), name);
        }
    }

    private static byte[] lines(byte[] content) {
        int n = 0;
        for (byte b : content) {
            n += b == '\n' ? 1 : 0;
        }
        return new byte[] {(byte) n};
    }

    @Example
    void aMissingFileIsNoSuchFile() {
        assertThrows(NoSuchFileException.class,
                () -> NativeProcReads.INSTANCE.read(Path.of("/proc/self/no-such-file"), 10));
    }

    @Provide
    Arbitrary<byte[]> contents() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.bytes().array(byte[].class).ofMaxSize(4096)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(60_000, 200_000)
                        .map(n -> { byte[] b = new byte[n]; for (int i = 0; i < n; i++) b[i] = (byte) (i * 31); return b; })));
    }
}
