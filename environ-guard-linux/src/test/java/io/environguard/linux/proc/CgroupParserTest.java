package io.environguard.linux.proc;

import io.environguard.testkit.CgroupCase;
import io.environguard.testkit.ProcArbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CgroupParserTest {

    private static final String ID = "4f3c0b2a9e8d7c6b5a4f3c0b2a9e8d7c6b5a4f3c0b2a9e8d7c6b5a4f3c0b2a9e";

    @Property
    void findsTheContainerOfEveryGeneratedLayout(@ForAll("cgroups") CgroupCase c) throws ProcParseException {
        CgroupInfo info = CgroupParser.parse(c.file());
        assertEquals(c.containerId(), info.containerId(), c.toString());
        assertEquals(c.runtime(), info.runtime(), c.toString());
    }

    @Example
    void examples() throws ProcParseException {
        assertContainer("docker", ID, "0::/system.slice/docker-" + ID + ".scope\n");
        assertContainer("containerd", ID, "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1_2.slice/cri-containerd-"
                + ID + ".scope\n");
        assertContainer("podman", ID, "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + ID
                + ".scope/container\n");
        assertContainer("lxc", "web-1", "0::/lxc.payload.web-1/system.slice/cron.service\n");
        assertContainer(null, null, "0::/machine.slice/libpod-conmon-" + ID + ".scope\n");
        assertContainer(null, null, "0::/\n");
        assertContainer("docker", ID, "12:memory:/docker/" + ID + "\n0::/\n");
        // an id one digit short, or upper-case, is not an id
        assertContainer(null, null, "0::/system.slice/docker-" + ID.substring(1) + ".scope\n");
        assertContainer(null, null, "0::/docker/" + ID.toUpperCase(java.util.Locale.ROOT) + "\n");
    }

    @Example
    void keepsEveryLine() throws ProcParseException {
        CgroupInfo info = CgroupParser.parse("4:memory:/a:b\n1:name=systemd:/\n0::/x\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(new CgroupInfo.Entry(4, "memory", "/a:b"), new CgroupInfo.Entry(1, "name=systemd", "/"),
                new CgroupInfo.Entry(0, "", "/x")), info.entries());
    }

    @Example
    void refusesBrokenFiles() {
        assertProblem(ProcParseException.Problem.EMPTY, "");
        assertProblem(ProcParseException.Problem.TRUNCATED, "0::/x");
        assertProblem(ProcParseException.Problem.MALFORMED, "0:/x\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "x::/x\n");
        assertProblem(ProcParseException.Problem.MALFORMED, "0::/x\n\n");
    }

    private static void assertContainer(String runtime, String id, String file) throws ProcParseException {
        CgroupInfo info = CgroupParser.parse(file.getBytes(StandardCharsets.UTF_8));
        assertEquals(id, info.containerId(), file);
        assertEquals(runtime, info.runtime(), file);
        if (id == null) {
            assertNull(info.runtime());
        }
    }

    private static void assertProblem(ProcParseException.Problem problem, String content) {
        ProcParseException e = assertThrows(ProcParseException.class,
                () -> CgroupParser.parse(content.getBytes(StandardCharsets.UTF_8)));
        assertSame(problem, e.problem(), e.getMessage());
    }

    @Provide
    Arbitrary<CgroupCase> cgroups() {
        return ProcArbitraries.containerCgroups();
    }
}
