package io.environguard.ci;

import io.environguard.api.ProcessInfo;
import io.environguard.linux.proc.ProcParseException;
import io.environguard.linux.proc.ProcStat;
import io.environguard.linux.proc.ProcStatParser;
import io.environguard.linux.proc.ProcessInspector;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Lineage read from a live {@code /proc}: the processes above a given one (the guard's shell, the CI runner) and,
 * as a {@link LineageLookup}, the parent of a live process. Reads only {@code stat}, {@code status},
 * {@code cmdline}, {@code cgroup} and the {@code exe} link, never {@code environ}. Thread-safe, stateless.
 *
 * <pre>{@code
 * ProcLineage proc = new ProcLineage(Path.of("/proc"));
 * List<GuardedProcess> above = proc.above(ProcessHandle.current().pid());   // parent first, init left out
 * }</pre>
 */
public final class ProcLineage implements LineageLookup {

    /** How many levels {@link #above} climbs at most. */
    static final int MAX_LEVELS = 64;

    private final Path procRoot;
    private final ProcessInspector inspector;

    /**
     * @param procRoot the {@code /proc} to read; a simulated tree in tests
     */
    public ProcLineage(Path procRoot) {
        this.procRoot = Objects.requireNonNull(procRoot, "procRoot");
        this.inspector = new ProcessInspector(procRoot);
    }

    /**
     * @param pid a process id
     * @return process {@code pid} as pid and start time; the start time is {@code -1} if {@code stat} cannot be read
     */
    public ProcessId idOf(long pid) {
        ProcStat stat = stat((int) pid);
        return new ProcessId((int) pid, stat == null ? -1 : stat.startTime());
    }

    /**
     * The processes above {@code pid}, parent first, up to (and without) init, pid 1: init is every orphan's parent
     * and, on a host, systemd, whose own container detection reads environ files. Stops early at a process that
     * cannot be read.
     *
     * @param pid a process id
     * @return the processes above it, parent first, unmodifiable; empty when its parent is init or it cannot be read
     */
    public List<GuardedProcess> above(long pid) {
        List<GuardedProcess> out = new ArrayList<>();
        ProcStat stat = stat((int) pid);
        int ppid = stat == null ? -1 : stat.ppid();
        for (int level = 0; level < MAX_LEVELS && ppid > 1; level++) {
            ProcessInfo p = inspector.inspect(ppid);
            if (p.startTime() < 0) {
                break; // gone: what is above it is no longer our lineage
            }
            out.add(new GuardedProcess(new ProcessId(p.pid(), p.startTime()), p.uid(), p.comm(), p.exe()));
            ppid = p.ppid();
        }
        return List.copyOf(out);
    }

    /**
     * Whether this process may open {@code pid}'s {@code environ}: for an ordinary user, its own, dumpable
     * processes (a non-dumpable process's {@code /proc} files belong to root). The kernel's answer to
     * {@code access(2)}; the open itself may still be refused.
     *
     * @param pid a process id
     * @return whether this process may open its {@code environ}; {@code false} when it is gone
     */
    public boolean mayRead(int pid) {
        return Files.isReadable(procRoot.resolve(Integer.toString(pid)).resolve("environ"));
    }

    @Override
    public ProcessId parentOf(ProcessId child) {
        if (child == null || !child.hasStartTime() || child.pid() <= 1) {
            return null;
        }
        ProcStat stat = stat(child.pid());
        if (stat == null || !child.is(child.pid(), stat.startTime()) || stat.ppid() <= 0) {
            return null; // gone, or its pid now names another process
        }
        ProcStat parent = stat(stat.ppid());
        if (parent == null) {
            return null;
        }
        // Re-read the child: if it is still the same process, its parent was the process just read (a parent
        // outlives the reading of its child's stat, or the child would have been re-parented, which changes ppid).
        ProcStat again = stat(child.pid());
        if (again == null || again.startTime() != stat.startTime() || again.ppid() != stat.ppid()) {
            return null;
        }
        return new ProcessId(stat.ppid(), parent.startTime());
    }

    private ProcStat stat(int pid) {
        if (pid <= 0) {
            return null;
        }
        try (InputStream in = new FileInputStream(procRoot.resolve(Integer.toString(pid)).resolve("stat").toFile())) {
            return ProcStatParser.parse(in.readNBytes(4096));
        } catch (IOException | ProcParseException e) {
            return null;
        }
    }
}
