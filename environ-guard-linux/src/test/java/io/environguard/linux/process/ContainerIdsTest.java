package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.testkit.CgroupCase;
import io.environguard.testkit.ProcArbitraries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The container-by-cgroup cache: on only where the v2 id names the cgroup, bounded, "none" remembered too. */
class ContainerIdsTest {

    @Property(tries = 300)
    void onOnlyForAFileOfOneUnifiedLine(@ForAll("cgroups") CgroupCase c) throws IOException {
        Path file = Files.createTempFile("cgroup-", "");
        try {
            Files.write(file, c.file());
            String content = new String(c.file(), StandardCharsets.UTF_8);
            long lines = content.lines().filter(l -> !l.isEmpty()).count();
            boolean unified = lines == 1 && content.startsWith("0::");
            assertEquals(unified, ContainerIds.unifiedOnly(file), c.description() + ": " + content);
        } finally {
            Files.delete(file);
        }
    }

    @Example
    void hybridAndUnifiedFiles() throws IOException {
        Path file = Files.createTempFile("cgroup-", "");
        try {
            Files.writeString(file, "0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n");
            assertTrue(ContainerIds.unifiedOnly(file));
            Files.writeString(file, "12:pids:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n");
            assertFalse(ContainerIds.unifiedOnly(file));
            Files.delete(file);
            assertFalse(ContainerIds.unifiedOnly(file), "an unreadable file turns the cache off");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Example
    void remembersContainersAndTheHostAndStaysBounded() {
        ContainerIds ids = new ContainerIds(true);
        assertFalse(ids.knows(7));
        ids.put(7, "abc");
        ids.put(8, null);
        assertTrue(ids.knows(7));
        assertEquals("abc", ids.get(7));
        assertTrue(ids.knows(8), "a cgroup on the host is known too");
        assertNull(ids.get(8));
        ids.put(-1, "x");
        assertFalse(ids.knows(-1));
        for (long id = 100; id < 100 + 5000; id++) {
            ids.put(id, "c" + id);
        }
        assertTrue(ids.knows(5099));
        ContainerIds off = new ContainerIds(false);
        off.put(7, "abc");
        assertFalse(off.knows(7));
    }

    @Provide
    Arbitrary<CgroupCase> cgroups() {
        return ProcArbitraries.containerCgroups();
    }
}
