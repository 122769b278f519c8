package io.environguard.testkit;

/**
 * A generated {@code /proc/P/cgroup} file and the container it describes: the expectation a cgroup
 * parser must meet.
 *
 * <pre>{@code
 * @Property
 * void findsTheContainer(@ForAll("cgroups") CgroupCase c) throws Exception {
 *     CgroupInfo info = CgroupParser.parse(c.file());
 *     assertEquals(c.containerId(), info.containerId());
 * }
 * @Provide Arbitrary<CgroupCase> cgroups() { return ProcArbitraries.containerCgroups(); }
 * }</pre>
 *
 * @param description what the case is ("docker v2 systemd driver", "host v1"...), for failure messages
 * @param file        the whole file, kernel format
 * @param runtime     {@code docker}, {@code containerd}, {@code podman}, {@code crio}, {@code lxc},
 *                    {@code kubepods}, {@code unknown}, or {@code null} on the host
 * @param containerId the container id (lxc: name), or {@code null} on the host
 */
public record CgroupCase(String description, byte[] file, String runtime, String containerId) {

    /**
     * Keeps a copy of {@code file}.
     *
     * @param description what the case is, for failure messages
     * @param file        the whole file, kernel format
     * @param runtime     the container runtime, or {@code null} on the host
     * @param containerId the container id (lxc: name), or {@code null} on the host
     */
    public CgroupCase {
        file = file.clone();
    }

    /** @return a copy of the whole file, kernel format */
    @Override
    public byte[] file() {
        return file.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CgroupCase c && java.util.Arrays.equals(file, c.file)
                && java.util.Objects.equals(runtime, c.runtime) && java.util.Objects.equals(containerId, c.containerId);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(file);
    }

    @Override
    public String toString() {
        return "CgroupCase[" + description + ": " + new String(file, java.nio.charset.StandardCharsets.UTF_8).replace("\n", "\\n")
                + " -> " + runtime + " " + containerId + "]";
    }
}
