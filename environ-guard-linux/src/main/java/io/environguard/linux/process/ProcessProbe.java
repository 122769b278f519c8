package io.environguard.linux.process;

import io.environguard.linux.nativeio.FdInspector;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.PidfdInfo;
import io.environguard.linux.nativeio.Pidfds;
import io.environguard.linux.proc.CgroupParser;
import io.environguard.linux.proc.ProcParseException;
import io.environguard.linux.proc.ProcReads;
import io.environguard.linux.proc.ProcStat;
import io.environguard.linux.proc.ProcStatParser;
import io.environguard.linux.proc.ProcStatus;
import io.environguard.linux.proc.ProcStatusParser;
import io.environguard.linux.proc.ProcessInspector.BeforeOpen;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads what the {@link ProcessTable} keeps of one process, in the few calls that cannot be made to wait by the
 * process itself: a pidfd ({@code pidfd_open}, then {@code PIDFD_GET_INFO} for uids, parent and cgroup), its
 * {@code stat} (name, start time, parent), the {@code exe} link, a {@code statx} of the executable with
 * {@code AT_STATX_DONT_SYNC} (so an executable on a FUSE file system its owner serves cannot stall it), the
 * {@code ns/mnt} and {@code ns/pid} links, and its {@code cgroup} file the first time its cgroup is met. Never
 * its {@code cmdline}, whose read takes the process's memory lock: that is the {@link CommandLineReader}'s,
 * on threads of its own with a deadline.
 *
 * <p>Two kinds: {@link #host} with the native calls above, for the real {@code /proc}; {@link #portable} with
 * plain file reads ({@code status} for the uids, no pidfd, no {@code statx}), for simulated trees and callers
 * without native access. Thread-safe; never throws for a process that vanishes (it answers {@code null}).
 *
 * <pre>{@code
 * ProcessProbe probe = ProcessProbe.host(Path.of("/proc"), ContainerIds.forHost(Path.of("/proc")), BeforeOpen.NONE);
 * ProcessProbe.Capture c = probe.capture(4242, true);
 * try { ... c.facts() ... } finally { c.closePidfd(); }
 * }</pre>
 */
public final class ProcessProbe {

    private static final int MAX_SMALL_FILE = 64 * 1024;

    private final Path procRoot;
    private final String root;
    private final ProcReads reads;
    private final boolean nativeCalls;
    private final ContainerIds containers;
    private final BeforeOpen beforeOpen;
    private final ThreadLocal<Scratch> scratch;

    private ProcessProbe(Path procRoot, ProcReads reads, boolean nativeCalls, ContainerIds containers,
                         BeforeOpen beforeOpen) {
        this.procRoot = Objects.requireNonNull(procRoot, "procRoot");
        this.root = procRoot.toString();
        this.reads = Objects.requireNonNull(reads, "reads");
        this.nativeCalls = nativeCalls;
        this.containers = Objects.requireNonNull(containers, "containers");
        this.beforeOpen = Objects.requireNonNull(beforeOpen, "beforeOpen");
        this.scratch = nativeCalls ? ThreadLocal.withInitial(Scratch::new) : null;
    }

    /**
     * The host's {@code /proc} through native calls; {@code beforeOpen} is told of each file about to be opened
     * (a fanotify source marks it so that the guard's own reads make no events).
     *
     * @param procRoot   the host's {@code /proc} mount
     * @param containers how container ids are derived from cgroups
     * @param beforeOpen told of each file about to be opened; {@link BeforeOpen#NONE} for nobody
     * @return a probe using pidfds and {@code statx}
     */
    public static ProcessProbe host(Path procRoot, ContainerIds containers, BeforeOpen beforeOpen) {
        return new ProcessProbe(procRoot, NativeProcReads.INSTANCE, true, containers, beforeOpen);
    }

    /**
     * Any {@code /proc}-like tree, through {@code reads} alone.
     *
     * @param procRoot the tree's root
     * @param reads    how its files are read
     * @return a probe without pidfds, without native calls
     */
    public static ProcessProbe portable(Path procRoot, ProcReads reads) {
        return new ProcessProbe(procRoot, reads, false, new ContainerIds(false), BeforeOpen.NONE);
    }

    /** @return the tree it reads */
    public Path procRoot() {
        return procRoot;
    }

    /** @return whether it uses pidfds (and so hands them to callers) */
    public boolean usesPidfds() {
        return nativeCalls;
    }

    /**
     * What a look at {@code pid} shows, and (with {@code keepPidfd}, where pidfds are used) a pidfd that pins it.
     *
     * @param pid       a process id; a thread id that is not a process yields {@code null}
     * @param keepPidfd whether to hand the pidfd to the caller (who must close it) instead of closing it here
     * @return {@code null} when there is no such process (any more)
     */
    public Capture capture(int pid, boolean keepPidfd) {
        if (pid <= 0) {
            return null;
        }
        return nativeCalls ? captureNative(pid, keepPidfd) : capturePortable(pid);
    }

    private Capture captureNative(int pid, boolean keepPidfd) {
        int pidfd = Pidfds.open(pid, false);
        if (pidfd < 0) {
            // ESRCH: gone; EINVAL: a thread id, not a process. Either way there is no process to describe.
            return null;
        }
        boolean handed = false;
        try {
            Scratch s = scratch.get();
            PidfdInfo info = s.pidfds.info(pidfd).orElse(null);
            String dir = root + "/" + pid;
            ProcStat stat = stat(pid, info == null ? -1 : info.ppid(), dir);
            if (stat == null) {
                return null;
            }
            int uid = info == null ? -1 : info.uid();
            int gid = info == null ? -1 : info.gid();
            if (info == null || uid < 0) {
                ProcStatus status = status(pid, dir);
                if (status != null) {
                    uid = status.uid();
                    gid = status.gid();
                }
            }
            boolean kernelThread = pid == 2 || stat.ppid() == 2;
            boolean zombie = stat.state() == 'Z' || stat.state() == 'X';
            String exe = null;
            long device = -1;
            long inode = -1;
            if (!kernelThread) {
                int n = s.fds.readLink(dir + "/exe");
                if (n > 0) {
                    exe = s.fds.linkString(n);
                    if (s.fds.statNoSync(dir + "/exe") == 0) {
                        device = s.fds.device();
                        inode = s.fds.inode();
                    }
                }
            }
            long mnt = namespaceNative(s, dir + "/ns/mnt");
            long pidNs = namespaceNative(s, dir + "/ns/pid");
            long cgroupId = info == null ? -1 : info.cgroupId();
            String container = container(pid, dir, cgroupId);
            boolean verified = Pidfds.isAlive(pidfd);
            ProcessFacts facts = new ProcessFacts(pid, stat.startTime(), info != null && info.ppid() >= 0 ? info.ppid()
                    : stat.ppid(), uid, gid, stat.comm(), exe, device, inode, cgroupId, container, mnt, pidNs,
                    kernelThread, zombie || (exe == null && !kernelThread), verified);
            handed = keepPidfd;
            return new Capture(facts, keepPidfd ? pidfd : -1);
        } finally {
            if (!handed) {
                LinuxLibC.close(pidfd);
            }
        }
    }

    private Capture capturePortable(int pid) {
        String dir = root + "/" + pid;
        ProcStatus status = status(pid, dir);
        if (status == null || status.tgid() != pid) {
            return null;
        }
        ProcStat stat = stat(pid, status.ppid(), dir);
        if (stat == null) {
            return null;
        }
        boolean kernelThread = pid == 2 || stat.ppid() == 2;
        String exe = null;
        if (!kernelThread) {
            try {
                exe = reads.readLink(procRoot.resolve(Integer.toString(pid)).resolve("exe"));
            } catch (IOException e) {
                exe = null; // exited, or not ours to read
            }
        }
        long mnt = namespacePortable(pid, "mnt");
        long pidNs = namespacePortable(pid, "pid");
        String container = container(pid, dir, -1);
        ProcStat again = stat(pid, status.ppid(), dir);
        boolean verified = again != null && again.startTime() == stat.startTime();
        ProcessFacts facts = new ProcessFacts(pid, stat.startTime(), stat.ppid(), status.uid(), status.gid(),
                stat.comm(), exe, -1, -1, -1, container, mnt, pidNs, kernelThread,
                stat.state() == 'Z' || (exe == null && !kernelThread), verified);
        return new Capture(facts, -1);
    }

    /**
     * The executable of {@code pid} now, from {@code /proc/<pid>/exe} (a readlink: nothing is opened), for an exec
     * whose image the exec log recorded without its binary's mapping.
     *
     * @param pid a process id
     * @return the executable's path, or {@code null} when the process is gone or is not ours to read
     */
    public String exeNow(int pid) {
        String dir = root + "/" + pid;
        if (nativeCalls) {
            Scratch s = scratch.get();
            int n = s.fds.readLink(dir + "/exe");
            return n > 0 ? s.fds.linkString(n) : null;
        }
        try {
            return reads.readLink(procRoot.resolve(Integer.toString(pid)).resolve("exe"));
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The mount and pid namespace inodes of {@code pid}, from two readlinks (no open).
     *
     * @param pid a process id
     * @return {@code {mnt, pid}} inodes, each -1 when unreadable
     */
    public long[] namespaces(int pid) {
        String dir = root + "/" + pid;
        if (nativeCalls) {
            Scratch s = scratch.get();
            return new long[] {namespaceNative(s, dir + "/ns/mnt"), namespaceNative(s, dir + "/ns/pid")};
        }
        return new long[] {namespacePortable(pid, "mnt"), namespacePortable(pid, "pid")};
    }

    /**
     * The start time of the process {@code pid} now, from its {@code stat}; -1 when there is none. For
     * reconciliation, and to check that a command line just read still belonged to the process it was read for.
     *
     * @param pid a process id
     * @return its start time in clock ticks since boot, or -1
     */
    public long startTimeOf(int pid) {
        ProcStat stat = stat(pid, -1, root + "/" + pid);
        return stat == null ? -1 : stat.startTime();
    }

    /**
     * Whether the process that started at {@code startTime} still runs as {@code pid}: through its pidfd when
     * the caller holds one (no {@code /proc} open), else by reading its start time again.
     *
     * @param pid       a process id
     * @param startTime its start time in clock ticks since boot
     * @param pidfd     a pidfd of it, or -1
     * @return whether it still runs
     */
    public boolean stillRuns(int pid, long startTime, int pidfd) {
        if (pidfd >= 0) {
            return Pidfds.isAlive(pidfd);
        }
        return startTimeOf(pid) == startTime;
    }

    /**
     * Whether the process behind {@code pidfd} has ended (a zombie or reaped: its arguments are gone), from one
     * {@code poll} of the pidfd; {@code false} when that cannot be told (no pidfd, pidfds not used).
     *
     * @param pidfd a pidfd of the process, or -1
     * @return whether it has ended
     */
    public boolean ended(int pidfd) {
        return nativeCalls && pidfd >= 0 && scratch.get().pidfds.hasExited(pidfd);
    }

    /**
     * Opens a pidfd of {@code pid}; the caller closes it.
     *
     * @param pid a process id
     * @return the pidfd, or -1 (gone, a thread id, or pidfds not used)
     */
    public int openPidfd(int pid) {
        if (!nativeCalls) {
            return -1;
        }
        int fd = Pidfds.open(pid, false);
        return fd < 0 ? -1 : fd;
    }

    /** @return the pids listed in the tree (a directory listing: processes only, no threads) */
    public List<Integer> pids() {
        List<Integer> out = new ArrayList<>(512);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(procRoot)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                if (!name.isEmpty() && name.charAt(0) >= '1' && name.charAt(0) <= '9' && name.length() <= 10
                        && !Files.isSymbolicLink(d)) {
                    try {
                        out.add(Integer.parseInt(name));
                    } catch (NumberFormatException e) {
                        // not a pid
                    }
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** Reads {@code /proc/P/cmdline} (at most {@code maxBytes}); for the command-line reader's threads only. */
    byte[] readCommandLine(int pid, int maxBytes) throws IOException {
        Path file = procRoot.resolve(Integer.toString(pid)).resolve("cmdline");
        beforeOpen.beforeOpen(pid, -1, file);
        return reads.read(file, maxBytes);
    }

    private ProcStat stat(int pid, int ppid, String dir) {
        Path file = Path.of(dir, "stat");
        beforeOpen.beforeOpen(pid, ppid, file);
        try {
            return ProcStatParser.parse(reads.read(file, MAX_SMALL_FILE));
        } catch (IOException | ProcParseException e) {
            return null;
        }
    }

    private ProcStatus status(int pid, String dir) {
        Path file = Path.of(dir, "status");
        beforeOpen.beforeOpen(pid, -1, file);
        try {
            return ProcStatusParser.parse(reads.read(file, MAX_SMALL_FILE));
        } catch (IOException | ProcParseException e) {
            return null;
        }
    }

    /** The container of {@code pid}: remembered by cgroup id where that names it, else read from its cgroup file. */
    private String container(int pid, String dir, long cgroupId) {
        if (containers.knows(cgroupId)) {
            return containers.get(cgroupId);
        }
        Path file = Path.of(dir, "cgroup");
        beforeOpen.beforeOpen(pid, -1, file);
        try {
            String id = CgroupParser.parse(reads.read(file, MAX_SMALL_FILE)).containerId();
            containers.put(cgroupId, id);
            return id;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | ProcParseException e) {
            return null;
        }
    }

    private static long namespaceNative(Scratch s, String link) {
        int n = s.fds.readLink(link);
        return n > 0 ? namespaceInode(s.fds.linkString(n)) : -1;
    }

    private long namespacePortable(int pid, String kind) {
        try {
            return namespaceInode(reads.readLink(procRoot.resolve(Integer.toString(pid)).resolve("ns").resolve(kind)));
        } catch (IOException e) {
            return -1;
        }
    }

    /** The inode in a namespace link's text, {@code mnt:[4026531841]}; -1 for anything else. */
    static long namespaceInode(String link) {
        int open = link.indexOf(":[");
        if (open < 0 || !link.endsWith("]")) {
            return -1;
        }
        try {
            return Long.parseLong(link, open + 2, link.length() - 1, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * What {@link #capture} found, with the pidfd that pinned the process when the caller asked to keep it
     * (-1 otherwise).
     */
    public record Capture(ProcessFacts facts, int pidfd) {
        /** Closes the pidfd, if one is held. */
        public void closePidfd() {
            if (pidfd >= 0) {
                LinuxLibC.close(pidfd);
            }
        }
    }

    /** Native buffers of one thread. */
    private static final class Scratch {
        final FdInspector fds = new FdInspector();
        final Pidfds pidfds = new Pidfds();
    }
}
