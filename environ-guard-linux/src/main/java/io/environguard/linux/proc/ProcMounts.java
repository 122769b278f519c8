package io.environguard.linux.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Lists the procfs mounts visible to a process, from {@code <root>/self/mountinfo} or
 * {@code <root>/<pid>/mountinfo} (another mount namespace, e.g. a container's).
 *
 * <pre>{@code
 * ProcMounts mounts = new ProcMounts(Path.of("/proc"));
 * List<ProcMount> procs = mounts.list();                       // e.g. /proc, /run/ctr/proc
 * List<String> hostInstance = ProcMounts.sameInstanceAs(procs, "/proc");   // /proc and its bind mounts
 * }</pre>
 */
public final class ProcMounts {

    /** The filesystem type of procfs in {@code mountinfo}. */
    public static final String PROC_FS_TYPE = "proc";

    private final Path procRoot;

    /** @param procRoot where procfs is read from: {@code /proc}, or a simulated tree in tests */
    public ProcMounts(Path procRoot) {
        this.procRoot = Objects.requireNonNull(procRoot, "procRoot");
    }

    /**
     * @return the proc mounts in the calling process's mount namespace ({@code <root>/self/mountinfo}), in table
     *         order
     * @throws IOException        when {@code mountinfo} cannot be read
     * @throws ProcParseException when it is malformed
     */
    public List<ProcMount> list() throws IOException, ProcParseException {
        return read(procRoot.resolve("self").resolve("mountinfo"));
    }

    /**
     * @param pid a process id
     * @return the proc mounts in {@code pid}'s mount namespace ({@code <root>/<pid>/mountinfo}), in table order
     * @throws IOException        when {@code mountinfo} cannot be read (the process is gone, or another user's)
     * @throws ProcParseException when it is malformed
     */
    public List<ProcMount> list(int pid) throws IOException, ProcParseException {
        return read(procRoot.resolve(Integer.toString(pid)).resolve("mountinfo"));
    }

    private static List<ProcMount> read(Path mountinfo) throws IOException, ProcParseException {
        return procMountsOf(MountInfoParser.parse(Files.readAllBytes(mountinfo)));
    }

    /**
     * @param mounts a parsed mount table
     * @return its procfs entries, in table order
     */
    public static List<ProcMount> procMountsOf(List<MountInfo> mounts) {
        List<ProcMount> procs = new ArrayList<>();
        for (MountInfo m : mounts) {
            if (PROC_FS_TYPE.equals(m.fsType())) {
                procs.add(new ProcMount(m.mountId(), m.mountPoint(), m.device(), m.fsType()));
            }
        }
        return Collections.unmodifiableList(procs);
    }

    /**
     * The mount points that show the same procfs instance (same superblock) as {@code mountPoint}: it
     * and its bind mounts.
     *
     * @param mounts     proc mounts, as {@link #list()} returns them
     * @param mountPoint one of their mount points
     * @return the mount points, in table order; empty if {@code mountPoint} is not among {@code mounts}
     */
    public static List<String> sameInstanceAs(List<ProcMount> mounts, String mountPoint) {
        String device = null;
        for (ProcMount m : mounts) {
            if (m.mountPoint().equals(mountPoint)) {
                device = m.device();
            }
        }
        if (device == null) {
            return List.of();
        }
        Set<String> points = new LinkedHashSet<>();
        for (ProcMount m : mounts) {
            if (m.device().equals(device)) {
                points.add(m.mountPoint());
            }
        }
        return List.copyOf(points);
    }

    /**
     * @param mounts proc mounts, as {@link #list()} returns them
     * @return one mount per distinct procfs instance (superblock), the first in table order
     */
    public static List<ProcMount> distinctInstances(List<ProcMount> mounts) {
        Set<String> seen = new LinkedHashSet<>();
        List<ProcMount> out = new ArrayList<>();
        for (ProcMount m : mounts) {
            if (seen.add(m.device())) {
                out.add(m);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** @return the root procfs is read from */
    public Path root() {
        return procRoot;
    }
}
