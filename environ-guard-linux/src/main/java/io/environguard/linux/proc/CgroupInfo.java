package io.environguard.linux.proc;

import java.util.List;

/**
 * The content of {@code /proc/P/cgroup} and the container it places the process in, if any.
 *
 * <pre>{@code
 * CgroupInfo info = CgroupParser.parse("0::/system.slice/docker-4f3c...e1.scope\n".getBytes(UTF_8));
 * info.runtime();       // "docker"
 * info.containerId();   // "4f3c...e1"
 * }</pre>
 *
 * @param entries     one per line, in file order
 * @param runtime     {@code docker}, {@code containerd}, {@code podman}, {@code crio}, {@code lxc},
 *                    {@code kubepods} (a Kubernetes container whose runtime the path does not name) or
 *                    {@code unknown} (a bare 64-hex-digit id); {@code null} on the host
 * @param containerId the container id (or lxc container name); {@code null} on the host
 */
public record CgroupInfo(List<Entry> entries, String runtime, String containerId) {

    /**
     * Keeps an unmodifiable copy of {@code entries}.
     *
     * @param entries     one per line, in file order; {@code null} for none
     * @param runtime     the container runtime, or {@code null} on the host
     * @param containerId the container id (or lxc container name), or {@code null} on the host
     */
    public CgroupInfo {
        entries = entries == null ? List.of() : List.copyOf(entries);
    }

    /**
     * One line, {@code hierarchy-ID:controller-list:cgroup-path}.
     *
     * @param hierarchyId {@code 0} for the cgroup v2 unified hierarchy
     * @param controllers comma-separated controllers (v1), possibly {@code name=systemd}; empty for v2
     * @param path        the cgroup path relative to the reader's cgroup namespace root
     */
    public record Entry(int hierarchyId, String controllers, String path) {
    }

    /** @return whether the process is in a recognised container */
    public boolean inContainer() {
        return containerId != null;
    }
}
