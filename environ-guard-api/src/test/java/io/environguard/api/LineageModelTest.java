package io.environguard.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LineageModelTest {

    @Test
    void ancestorsAreCappedCopiedAndKeptByTheBuilder() {
        List<Ancestor> chain = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            chain.add(new Ancestor(100 + i, 1000 + i, "p" + i, "/usr/bin/p" + i));
        }
        ProcessInfo p = ProcessInfo.builder(42).ancestors(chain).build();
        chain.clear();
        assertEquals(ProcessInfo.MAX_ANCESTORS, p.ancestors().size());
        assertEquals(100, p.parent().pid());
        assertThrows(UnsupportedOperationException.class, () -> p.ancestors().add(null));
        assertEquals(p.ancestors(), p.toBuilder().build().ancestors());
        assertEquals(p.ancestors(), p.incomplete().ancestors());
        assertTrue(ProcessInfo.builder(1).build().ancestors().isEmpty());
        assertNull(ProcessInfo.builder(1).build().parent());
        assertTrue(new ProcessInfo(1, -1, -1, -1, -1, null, null, null, null, -1, true).ancestors().isEmpty());
    }

    @Test
    void anAncestorIsTheProcessWithItsPidAndStartTime() {
        Ancestor a = new Ancestor(7, 500, "bash", "/usr/bin/bash");
        assertTrue(a.is(ProcessInfo.builder(7).startTime(500).build()));
        assertTrue(a.is(ProcessInfo.builder(7).build()), "an unknown start time cannot tell them apart");
        assertTrue(!a.is(ProcessInfo.builder(7).startTime(501).build()), "a later process that reused the pid");
        assertEquals(a, Ancestor.of(ProcessInfo.builder(7).startTime(500).comm("bash").exe("/usr/bin/bash").build()));
    }

    @Test
    void anAlertBlamesItsActorElseTheReader() {
        EnvironAccess access = EnvironAccess.builder().path("/proc/9/environ")
                .reader(ProcessInfo.builder(8).build()).target(ProcessInfo.builder(9).build()).build();
        Alert plain = new Alert(Instant.EPOCH, Rules.ENVIRON_READ, Severity.HIGH, List.of(), null, access, List.of(), 1,
                Map.of());
        assertNull(plain.actor());
        assertTrue(plain.readers().isEmpty());
        assertSame(access.reader(), plain.blamed());
        ProcessInfo shell = ProcessInfo.builder(3).comm("sh").build();
        Alert family = new Alert(Instant.EPOCH, Rules.ENVIRON_SWEEP, Severity.CRITICAL, List.of(), null, access,
                List.of(access.target()), 1, Map.of(), shell, List.of(access.reader()));
        assertSame(shell, family.blamed());
        Alert lost = new Alert(Instant.EPOCH, Rules.EVENTS_LOST, Severity.HIGH, List.of(), null, null, List.of(), 1,
                Map.of("x", 1L));
        assertNull(lost.blamed());
    }
}
