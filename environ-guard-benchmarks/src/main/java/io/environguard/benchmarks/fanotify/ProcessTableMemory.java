package io.environguard.benchmarks.fanotify;

import io.environguard.linux.proc.ProcessInspector;
import io.environguard.linux.process.ContainerIds;
import io.environguard.linux.process.ProcScanFeed;
import io.environguard.linux.process.ProcessProbe;
import io.environguard.linux.process.ProcessRecord;
import io.environguard.linux.process.ProcessTable;
import io.environguard.linux.process.ProcessTableSettings;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Heap per process held by the {@link ProcessTable}, measured on a realistic population: this host's processes
 * are read from {@code /proc} (exe, name, command line, namespaces...), then copied under fresh pids until the
 * table holds {@code N} running processes, each with its own command line bytes (names and executables are
 * shared, as the table interns them on a real host too). The heap in use is measured after full collections
 * before and after the copies; the difference over {@code N} is the cost of one live process (record, map
 * entry, command line). Then half of them exit: the difference is the cost of a tombstone over a live record.
 *
 * <pre>
 * java -Xmx1g -cp environ-guard-benchmarks.jar io.environguard.benchmarks.fanotify.ProcessTableMemory 20000
 * </pre>
 */
public final class ProcessTableMemory {

    private ProcessTableMemory() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        Path proc = Path.of("/proc");
        ProcessTableSettings settings = ProcessTableSettings.defaults().withTombstones(
                ProcessTableSettings.DEFAULT_TOMBSTONE_TTL, n);
        ProcessTable source = new ProcessTable(settings);
        List<ProcessRecord> population = new ArrayList<>();
        try (ProcScanFeed feed = ProcScanFeed.start(source, settings,
                ProcessProbe.host(proc, ContainerIds.forHost(proc), ProcessInspector.BeforeOpen.NONE))) {
            long deadline = System.nanoTime() + 60_000_000_000L; // the command lines are read by the reader thread
            while (System.nanoTime() < deadline && pending(source) > 0) {
                Thread.sleep(100);
            }
            source.forEach(r -> {
                if (r.isLive()) {
                    population.add(r);
                }
            });
        }
        long withCommandLine = population.stream().filter(r -> !r.commandLine().isEmpty()).count();
        double meanCommandLine = population.stream().mapToInt(r -> String.join("\0", r.commandLine()).length())
                .average().orElse(0);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        ProcessTable table = new ProcessTable(settings);
        long before = usedHeap(memory);
        int pid = 1_000_000;
        for (int i = 0; i < n; i++) {
            ProcessRecord model = population.get(i % population.size());
            // A copy under its own pid, with its own command line bytes (encoded afresh, as each process's are).
            table.insert(model.forkedChild(pid + i, model.startTime(), false).origin(model.origin())
                    .commandLine(model.commandLine(), settings.commandLineBytes(), model.commandLineState())
                    .comm(table.intern(model.comm())).exe(table.intern(model.exe()), model.exeDevice(), model.exeInode())
                    .build());
        }
        long live = usedHeap(memory);
        for (int i = 0; i < n; i += 2) {
            table.markExited(pid + i, -1, System.nanoTime());
        }
        long half = usedHeap(memory);
        System.out.printf(Locale.ROOT, "memory: %d live processes copied from this host's %d (%d with a command line,"
                        + " mean %.0f characters, kept up to %d bytes); %.0f bytes per live process; %+.0f bytes per"
                        + " process when it becomes a tombstone; table: %d live, %d tombstones%n", n, population.size(),
                withCommandLine, meanCommandLine, settings.commandLineBytes(), (live - before) / (double) n,
                (half - live) / (double) (n / 2), table.liveCount(), table.tombstoneCount());
    }

    private static long pending(ProcessTable table) {
        long[] n = new long[1];
        table.forEach(r -> {
            if (r.isLive() && r.commandLineState() == ProcessRecord.CommandLineState.PENDING) {
                n[0]++;
            }
        });
        return n[0];
    }

    private static long usedHeap(MemoryMXBean memory) throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            best = Math.min(best, memory.getHeapMemoryUsage().getUsed());
        }
        return best;
    }
}
