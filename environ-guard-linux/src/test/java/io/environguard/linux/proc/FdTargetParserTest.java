package io.environguard.linux.proc;

import io.environguard.testkit.ProcArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FdTargetParserTest {

    @Example
    void parsesEveryShape() throws ProcParseException {
        assertEquals(new FdTarget(FdTarget.Kind.PATH, "/proc/42/environ", -1, false), FdTargetParser.parse("/proc/42/environ"));
        assertEquals(new FdTarget(FdTarget.Kind.PATH, "/memfd:jit", -1, true), FdTargetParser.parse("/memfd:jit (deleted)"));
        assertEquals(new FdTarget(FdTarget.Kind.SOCKET, "socket:[999]", 999, false), FdTargetParser.parse("socket:[999]"));
        assertEquals(new FdTarget(FdTarget.Kind.PIPE, "pipe:[7]", 7, false), FdTargetParser.parse("pipe:[7]"));
        assertEquals(FdTarget.Kind.ANON_INODE, FdTargetParser.parse("anon_inode:[eventfd]").kind());
        assertEquals(FdTarget.Kind.ANON_INODE, FdTargetParser.parse("anon_inode:inotify").kind());
        assertEquals(new FdTarget(FdTarget.Kind.OTHER, "net:[4026531840]", 4026531840L, false),
                FdTargetParser.parse("net:[4026531840]"));
    }

    @Example
    void refusesOtherShapes() {
        for (String bad : new String[] {"", "socket", "socket:", "socket:[", "socket:[]", "socket:[x]", "socket:999",
                "Socket:[1]", ":[1]", "a\0b", "relative/path"}) {
            ProcParseException e = assertThrows(ProcParseException.class, () -> FdTargetParser.parse(bad), bad);
            assertSame(ProcParseException.FileType.FD_LINK, e.fileType());
        }
    }

    @Property
    void parsesEveryTargetTheKernelPrints(@ForAll("targets") String target) throws ProcParseException {
        FdTarget parsed = FdTargetParser.parse(target);
        assertTrue(target.startsWith(parsed.text()));
        assertEquals(parsed.deleted(), target.endsWith(" (deleted)"));
    }

    @Provide
    Arbitrary<String> targets() {
        return ProcArbitraries.fdTargets();
    }
}
