package io.environguard.linux.process;

import io.environguard.linux.proc.CgroupInfo;
import io.environguard.linux.proc.CgroupParser;
import io.environguard.linux.proc.ProcParseException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Container ids by cgroup v2 id, so that the resolver reads a process's {@code cgroup} file only the first time
 * it meets its cgroup: {@code PIDFD_GET_INFO} names the cgroup without opening anything, and every process of
 * one cgroup is in the same container.
 *
 * <p>Only on a host whose processes are in the unified hierarchy alone (a {@code cgroup} file of one
 * {@code 0::} line, as this process's is): on a hybrid host the container may be named by a v1 hierarchy, which
 * the v2 id does not identify. A cgroup v2 id is the inode number of the cgroup's directory and is not reused
 * while the host runs; cgroup v2 directories cannot be renamed. Bounded; thread-safe (the process table's feed
 * and the sources' fallback reads share it).
 *
 * <pre>{@code
 * ContainerIds ids = ContainerIds.forHost(Path.of("/proc"));
 * if (!ids.knows(cgroupId)) { ids.put(cgroupId, CgroupParser.parse(bytes).containerId()); }
 * String container = ids.get(cgroupId);
 * }</pre>
 */
public final class ContainerIds {

    private static final int MAX_ENTRIES = 4096;

    private final boolean enabled;
    private final Map<Long, String> byCgroup = new ConcurrentHashMap<>();
    /** ConcurrentHashMap holds no null values: a cgroup on the host maps to this. */
    private static final String HOST = new String("");

    /** @param enabled whether to remember anything (see {@link #forHost}) */
    public ContainerIds(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * A cache that is on when {@code <proc>/self/cgroup} shows the unified hierarchy alone (under cgroup v1 one
     * cgroup id does not name one container).
     *
     * @param proc the {@code /proc} mount
     * @return the cache, off when that file cannot be read
     */
    public static ContainerIds forHost(Path proc) {
        return new ContainerIds(unifiedOnly(proc.resolve("self").resolve("cgroup")));
    }

    static boolean unifiedOnly(Path selfCgroup) {
        try (InputStream in = new FileInputStream(selfCgroup.toFile())) {
            CgroupInfo info = CgroupParser.parse(in.readNBytes(64 * 1024));
            return info.entries().size() == 1 && info.entries().get(0).hierarchyId() == 0;
        } catch (IOException | ProcParseException e) {
            return false;
        }
    }

    /** @return whether it remembers anything */
    public boolean enabled() {
        return enabled;
    }

    /**
     * @param cgroupId a cgroup v2 id
     * @return whether the container of cgroup {@code cgroupId} is known (it may be "none": {@link #get} is then
     *         {@code null})
     */
    public boolean knows(long cgroupId) {
        return enabled && cgroupId > 0 && byCgroup.containsKey(cgroupId);
    }

    /**
     * @param cgroupId a cgroup v2 id
     * @return the container id of cgroup {@code cgroupId}, {@code null} for the host; meaningful only after
     *         {@link #knows} said {@code true}
     */
    public String get(long cgroupId) {
        String id = byCgroup.get(cgroupId);
        return id == HOST ? null : id;
    }

    /**
     * Records what a {@code cgroup} file read for a process of cgroup {@code cgroupId} said; nothing when
     * disabled or the id is not positive.
     *
     * @param cgroupId    a cgroup v2 id
     * @param containerId the container id that file names, or {@code null} for the host
     */
    public void put(long cgroupId, String containerId) {
        if (!enabled || cgroupId <= 0) {
            return;
        }
        if (byCgroup.size() >= MAX_ENTRIES) {
            byCgroup.clear();
        }
        byCgroup.put(cgroupId, containerId == null ? HOST : containerId);
    }
}
