package io.environguard.linux.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The one id parser agrees with the kernel's {@code name_to_int} and with what the kernel lists. */
class ProcIdsTest {

    /** {@code name_to_int} of fs/proc/base.c, transcribed: the reference the parser must match. */
    static int kernelNameToInt(String name) {
        if (name.isEmpty()) {
            return -1;
        }
        if (name.length() > 1 && name.charAt(0) == '0') {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < name.length(); i++) {
            int c = name.charAt(i) - '0';
            if (c < 0 || c > 9) {
                return -1;
            }
            if (n >= (0xFFFF_FFFFL - 9) / 10) {
                return -1;
            }
            n = n * 10 + c;
        }
        return n > Integer.MAX_VALUE ? -1 : (int) n;
    }

    @Property
    void everyIdTheKernelPrintsParsesBack(@ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int id) {
        String printed = Integer.toString(id);
        assertEquals(id, ProcIds.parse(printed));
        assertEquals(id, ProcIds.parseNulTerminated(nul(printed), 0));
    }

    @Property
    void aLeadingZeroIsNoId(@ForAll @IntRange(min = 0, max = 99_999_999) int id) {
        assertEquals(-1, ProcIds.parse("0" + id));
        assertEquals(-1, ProcIds.parseNulTerminated(nul("0" + id), 0));
    }

    @Property(tries = 3000)
    void agreesWithTheKernelOnAnyName(@ForAll("names") String name) {
        int expected = kernelNameToInt(name);
        assertEquals(expected, ProcIds.parse(name), name);
        assertEquals(expected, ProcIds.parse("x" + name + "y", 1, name.length() + 1), name);
        assertEquals(expected, ProcIds.parseNulTerminated(nul("ab" + name), 2), name);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars("0123456789").ofMinLength(0).ofMaxLength(12),
                Arbitraries.strings().withChars("0123456789+-. x").ofMinLength(0).ofMaxLength(12),
                Arbitraries.of("0", "00", "007", "self", "thread-self", "2147483647", "2147483648", "4294967295", "-1", "+1"));
    }

    @Example
    void unterminatedBytesAreNoId() {
        assertEquals(-1, ProcIds.parseNulTerminated("42".getBytes(StandardCharsets.US_ASCII), 0));
    }

    /** What the kernel does, on the real /proc: it lists canonical names only, and finds no name with a leading zero. */
    @Example
    void theKernelListsNoLeadingZeroAndFindsNone() throws IOException {
        Path proc = Path.of("/proc");
        assumeTrue(Files.isDirectory(proc.resolve("self/fd")), "needs Linux's /proc");
        long self = ProcessHandle.current().pid();
        assertTrue(Files.isDirectory(proc.resolve(Long.toString(self))));
        assertFalse(Files.exists(proc.resolve("0" + self)), "/proc/0PID is not this process");
        assertTrue(Files.exists(proc.resolve("self/fd/0")));
        assertFalse(Files.exists(proc.resolve("self/fd/00")), "fd/00 is not descriptor 0");
        int listed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
            for (Path e : entries) {
                String name = e.getFileName().toString();
                if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                    listed++;
                    assertEquals(name, Integer.toString(ProcIds.parse(name)), "the kernel lists ids as %d");
                }
            }
        }
        assertTrue(listed > 0);
    }

    private static byte[] nul(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return Arrays.copyOf(b, b.length + 1);
    }
}
