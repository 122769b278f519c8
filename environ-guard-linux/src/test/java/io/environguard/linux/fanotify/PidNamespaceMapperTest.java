package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.proc.PidNamespaceMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class PidNamespaceMapperTest {

    private final Path tmp = FakeProc.newRoot();

    @org.junit.jupiter.api.AfterEach
    void deleteTrees() throws java.io.IOException {
        FakeProc.delete(tmp);
    }

    @Test
    void mapsByNsPidSuffixNamespaceAndStartTime() {
        FakeProc host = new FakeProc(tmp.resolve("host"));
        FakeProc ctr = new FakeProc(tmp.resolve("ctr"));
        // two host processes whose NSpid ends with 9: one in the right namespace with the wrong start time,
        // one in another namespace; and the right one
        host.process(900, 1, "a", "/a", 100, List.of(900, 9), "pid:[1]")
                .process(901, 1, "b", "/b", 200, List.of(901, 9), "pid:[2]")
                .process(902, 1, "c", "/c", 200, List.of(902, 9), "pid:[1]");
        ctr.process(9, 1, "c", "/c", 200, List.of(9), "pid:[1]");
        PidNamespaceMapper mapper = new PidNamespaceMapper(host.root);
        assertEquals(OptionalInt.of(902), mapper.toHostPid(ctr.root, 9));
        assertEquals(OptionalInt.of(902), mapper.toHostPid(ctr.root, 9), "cached");
        assertEquals(OptionalInt.empty(), mapper.toHostPid(ctr.root, 10));
    }

    @Test
    void mapsANestedNamespaceByTheWholeSuffix() {
        FakeProc host = new FakeProc(tmp.resolve("host"));
        FakeProc ctr = new FakeProc(tmp.resolve("ctr"));
        host.process(700, 1, "x", "/x", 5, List.of(700, 3, 1), "pid:[3]")
                .process(701, 1, "y", "/y", 5, List.of(701, 4, 1), "pid:[3]");
        ctr.process(4, 1, "y", "/y", 5, List.of(4, 1), "pid:[3]");
        assertEquals(OptionalInt.of(701), new PidNamespaceMapper(host.root).toHostPid(ctr.root, 4));
    }

    @Property
    void endsWithAgreesWithAListSuffix(@ForAll @Size(max = 6) List<@IntRange(min = 1, max = 4) Integer> list,
                                       @ForAll @IntRange(min = 0, max = 7) int cut) {
        if (cut <= list.size() && cut < list.size()) {
            List<Integer> suffix = new ArrayList<>(list.subList(cut, list.size()));
            assertTrue(PidNamespaceMapper.endsWith(list, suffix));
            List<Integer> changed = new ArrayList<>(suffix);
            changed.set(0, changed.get(0) + 10);
            assertFalse(PidNamespaceMapper.endsWith(list, changed));
        }
        assertFalse(PidNamespaceMapper.endsWith(list, List.of()));
        List<Integer> longer = new ArrayList<>(list);
        longer.add(0, 1);
        assertFalse(PidNamespaceMapper.endsWith(list, longer));
    }
}
