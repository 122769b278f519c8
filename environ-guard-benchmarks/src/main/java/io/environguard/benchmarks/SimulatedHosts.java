package io.environguard.benchmarks;

import io.environguard.testkit.FdSpec;
import io.environguard.testkit.KernelPaths;
import io.environguard.testkit.ProcessSpec;
import io.environguard.testkit.SimProcess;
import io.environguard.testkit.SimulatedProcFs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds simulated {@code /proc} trees shaped like a busy host for the polling-source benchmarks: {@code n}
 * processes with {@code fds} descriptors each (the three standard ones, then sockets, pipes, an eventfd and
 * log files), one in a hundred also holding another process's environ open, plus the guard's own process
 * ({@code self}).
 */
final class SimulatedHosts {

    private SimulatedHosts() {
    }

    /** The tree, and the processes in it (not the guard). */
    record Host(SimulatedProcFs fs, List<SimProcess> processes) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            fs.close();
        }
    }

    static Host create(int n, int fds) throws IOException {
        SimulatedProcFs fs = SimulatedProcFs.create();
        SimProcess guard = fs.spawn(ProcessSpec.builder().comm("java").exe("/usr/lib/jvm/bin/java").cmdline("java").build());
        fs.setCurrent(guard.pid());
        List<SimProcess> ps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String comm = "svc" + (i % 97);
            ps.add(fs.spawn(ProcessSpec.builder().comm(comm).exe("/usr/sbin/" + comm)
                    .cmdline("/usr/sbin/" + comm, "--config", "/etc/" + comm + ".conf").build()));
        }
        for (int i = 0; i < n; i++) {
            SimProcess p = ps.get(i);
            List<FdSpec> table = new ArrayList<>(fds);
            for (int fd = 3; fd < fds; fd++) {
                String target;
                switch (fd % 5) {
                    case 0: target = "socket:[" + (100_000 + i * fds + fd) + "]"; break;
                    case 1: target = "pipe:[" + (900_000 + i * fds + fd) + "]"; break;
                    case 2: target = "anon_inode:[eventfd]"; break;
                    case 3: target = "/var/log/svc" + (i % 97) + "/" + fd + ".log"; break;
                    default: target = "/usr/lib/x86_64-linux-gnu/lib" + fd + ".so"; break;
                }
                table.add(new FdSpec(fd, target));
            }
            if (i % 100 == 99) {
                table.set(table.size() - 1, new FdSpec(fds - 1, KernelPaths.environ(ps.get(i - 1).pid())));
            }
            fs.openFds(p.pid(), table);
        }
        return new Host(fs, ps);
    }
}
