package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.environguard.testkit.ProcArbitraries;
import io.environguard.testkit.ProcPathCase;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whose file a path of the host's {@code /proc} is, as {@link IgnoreMarks} reads it when its marks are limited
 * to some processes: the pid of {@code /proc/<pid>/...}, and -1 (not marked) for anything it cannot be sure of.
 */
class IgnoreMarksTest {

    private static int pidOf(String path) {
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        return IgnoreMarks.pidOfHostProcPath(ByteBuffer.wrap(bytes), bytes.length);
    }

    @Property(tries = 1000)
    void aProcessFileOfTheHostsProcNamesItsProcess(@ForAll("hostPaths") ProcPathCase c) {
        int expected = c.pid() > 0 ? c.pid() : -1; // self and thread-self: the kernel never prints them
        assertEquals(expected, pidOf(c.path()), c.path());
    }

    @Property(tries = 1000)
    void aPathOfAnotherMountNamesNoProcess(@ForAll("otherPaths") ProcPathCase c) {
        assertEquals(-1, pidOf(c.path()), c.path());
    }

    @Property(tries = 1000)
    void anyOtherFileUnderProcNamesNoProcessOrTheOneItIsUnder(@ForAll("underProc") String path) {
        int pid = pidOf(path);
        String rest = path.substring("/proc/".length());
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        boolean pidDir = slash > 0 && first.matches("[1-9][0-9]{0,9}") && Long.parseLong(first) <= Integer.MAX_VALUE;
        assertEquals(pidDir ? Integer.parseInt(first) : -1, pid, path);
    }

    @Example
    void examples() {
        assertEquals(42, pidOf("/proc/42/stat"));
        assertEquals(42, pidOf("/proc/42/task/43/stat"));
        assertEquals(-1, pidOf("/proc/42"));
        assertEquals(-1, pidOf("/proc/meminfo"));
        assertEquals(-1, pidOf("/proc/sys/kernel/pid_max"));
        assertEquals(-1, pidOf("/proc/042/stat"));
        assertEquals(-1, pidOf("/proc/4294967296/stat"));
        assertEquals(-1, pidOf("/proc/self/stat"));
        assertEquals(-1, pidOf("/tmp/proc/42/stat"));
        assertEquals(-1, pidOf("/procx/42/stat"));
    }

    @Provide
    Arbitrary<ProcPathCase> hostPaths() {
        return ProcArbitraries.procPaths(List.of("/proc"), List.of());
    }

    @Provide
    Arbitrary<ProcPathCase> otherPaths() {
        return ProcArbitraries.mountPoints().filter(m -> !m.equals("/proc") && !m.startsWith("/proc/"))
                .flatMap(m -> ProcArbitraries.procPaths(List.of(), List.of(m)));
    }

    @Provide
    Arbitrary<String> underProc() {
        Arbitrary<String> component = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('0', '9').ofMinLength(1).ofMaxLength(12),
                Arbitraries.strings().withCharRange('a', 'z').withChars('-', '_', ' ', ')', '\n').ofMinLength(1).ofMaxLength(8),
                ProcArbitraries.garbagePaths(List.of("/proc")).filter(p -> p.length() > 1).map(p -> p.substring(1)));
        return component.list().ofMinSize(1).ofMaxSize(4).map(parts -> "/proc/" + String.join("/", parts));
    }
}
