package io.environguard.testkit;

import net.jqwik.api.Example;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedProcFsTest {

    private static final byte[] ODD = {'x', ')', ' ', '(', '\n', (byte) 0xff};

    @Example
    void writesAProcessDirectoryInTheKernelsFormats() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            ProcessSpec spec = ProcessSpec.builder().comm(ODD).exe("/opt/my app/bin (deleted)").cmdline("app", "--x")
                    .uid(1001).gid(1002).environSize(1000).build();
            SimProcess p = fs.spawn(spec);
            Path dir = fs.root().resolve(Integer.toString(p.pid()));

            assertArrayEquals(ProcFormats.stat(p.pid(), ODD, 'S', 1, p.startTime(), 1, spec.envStart(), spec.envEnd()),
                    Files.readAllBytes(dir.resolve("stat")));
            assertArrayEquals(ProcFormats.status(ODD, 'S', p.pid(), p.pid(), 1, 1001, 1002, List.of(p.pid()), 1),
                    Files.readAllBytes(dir.resolve("status")));
            assertArrayEquals(ProcFormats.comm(ODD), Files.readAllBytes(dir.resolve("comm")));
            assertArrayEquals(ProcFormats.cmdline(List.of("app", "--x")), Files.readAllBytes(dir.resolve("cmdline")));
            assertEquals(1000, Files.readAllBytes(dir.resolve("environ")).length);
            assertEquals(0, Files.size(dir.resolve("mem")));
            assertArrayEquals(spec.cgroup(), Files.readAllBytes(dir.resolve("cgroup")));
            assertArrayEquals(ProcFormats.mountInfo(fs.mounts()), Files.readAllBytes(dir.resolve("mountinfo")));
            assertEquals("/opt/my app/bin (deleted)", Files.readSymbolicLink(dir.resolve("exe")).toString());
            assertEquals("/dev/null", Files.readSymbolicLink(dir.resolve("fd/0")).toString());
            assertArrayEquals(Files.readAllBytes(dir.resolve("stat")),
                    Files.readAllBytes(dir.resolve("task/" + p.pid() + "/stat")));
        }
    }

    @Example
    void linksReadBackAsTheKernelPrintsThem() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess target = fs.spawn(1, "sleep");
            SimProcess reader = fs.spawn(1, "cat");
            int tid = fs.addThread(target.pid());
            int a = fs.openFd(reader.pid(), KernelPaths.environ(target.pid()));
            int b = fs.openFd(reader.pid(), KernelPaths.taskEnviron(target.pid(), tid));
            fs.openFd(reader.pid(), new FdSpec(9, "socket:[999]"));
            assertEquals(3, a, "the lowest free descriptor");
            assertEquals(4, b);
            Path fd = fs.root().resolve(reader.pid() + "/fd");
            assertEquals("/proc/" + target.pid() + "/environ", Files.readSymbolicLink(fd.resolve("3")).toString());
            assertEquals("/proc/" + target.pid() + "/task/" + tid + "/environ",
                    Files.readSymbolicLink(fd.resolve("4")).toString());
            assertEquals("socket:[999]", Files.readSymbolicLink(fd.resolve("9")).toString());
            assertTrue(fs.closeFd(reader.pid(), 3));
            assertFalse(fs.closeFd(reader.pid(), 3));
            assertFalse(Files.exists(fd.resolve("3"), LinkOption.NOFOLLOW_LINKS));
            assertEquals(3, fs.openFd(reader.pid(), "/dev/null"));
            assertEquals(List.of(new FdSpec(0, "/dev/null"), new FdSpec(1, "/dev/null"), new FdSpec(2, "/dev/null"),
                    new FdSpec(3, "/dev/null"), new FdSpec(4, KernelPaths.taskEnviron(target.pid(), tid)),
                    new FdSpec(9, "socket:[999]")), fs.fds(reader.pid()));

            fs.setCurrent(target.pid(), tid);
            assertEquals(Integer.toString(target.pid()), Files.readSymbolicLink(fs.root().resolve("self")).toString());
            assertEquals(target.pid() + "/task/" + tid, Files.readSymbolicLink(fs.root().resolve("thread-self")).toString());
            // the relative links resolve inside the simulated root, as /proc/self does in procfs
            assertArrayEquals(Files.readAllBytes(fs.root().resolve(target.pid() + "/stat")),
                    Files.readAllBytes(fs.root().resolve("self/stat")));
            assertEquals(target.pid(), fs.currentPid());
        }
    }

    @Example
    void threadsHaveTaskAndRootDirectories() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess p = fs.spawn(1, "java");
            int tid = fs.addThread(p.pid(), "GC Thread#0".getBytes(StandardCharsets.UTF_8));
            Path task = fs.root().resolve(p.pid() + "/task/" + tid);
            Path thread = fs.root().resolve(Integer.toString(tid));
            String status = Files.readString(thread.resolve("status"));
            assertTrue(status.startsWith("Name:\tGC Thread#0\n"));
            assertTrue(status.contains("\nTgid:\t" + p.pid() + "\n"));
            assertTrue(status.contains("\nPid:\t" + tid + "\n"));
            assertTrue(status.contains("\nThreads:\t2\n"));
            assertArrayEquals(Files.readAllBytes(task.resolve("stat")), Files.readAllBytes(thread.resolve("stat")));
            assertTrue(Files.readString(fs.root().resolve(p.pid() + "/status")).contains("\nThreads:\t2\n"));
            assertEquals(List.of(p.pid(), tid), fs.process(p.pid()).orElseThrow().tids());

            fs.exitThread(p.pid(), tid);
            assertFalse(Files.exists(task));
            assertFalse(Files.exists(thread));
            assertTrue(Files.readString(fs.root().resolve(p.pid() + "/status")).contains("\nThreads:\t1\n"));
            assertThrows(IllegalArgumentException.class, () -> fs.exitThread(p.pid(), p.pid()));
        }
    }

    @Example
    void exitRemovesTheProcessAndReparentsItsChildren() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess init = fs.spawn(ProcessSpec.builder().pid(1).ppid(0).comm("systemd").build());
            SimProcess parent = fs.spawn(init.pid(), "bash");
            SimProcess child = fs.spawn(parent.pid(), "sleep");
            int tid = fs.addThread(parent.pid());
            assertTrue(fs.exit(parent.pid()));
            assertFalse(fs.exit(parent.pid()));
            assertFalse(Files.exists(fs.root().resolve(Integer.toString(parent.pid())), LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(fs.root().resolve(Integer.toString(tid)), LinkOption.NOFOLLOW_LINKS));
            assertEquals(1, fs.process(child.pid()).orElseThrow().ppid());
            String stat = Files.readString(fs.root().resolve(child.pid() + "/stat"));
            assertTrue(stat.startsWith(child.pid() + " (sleep) S 1 "), stat);
            assertTrue(fs.process(parent.pid()).isEmpty());
        }
    }

    @Example
    void reusingAPidGivesALaterStartTime() {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess first = fs.spawn(1, "a");
            SimProcess second = fs.reusePid(first.pid(), ProcessSpec.builder().comm("b").build());
            assertEquals(first.pid(), second.pid());
            assertTrue(second.startTime() > first.startTime());
            SimProcess third = fs.reusePid(first.pid(), ProcessSpec.builder().comm("c").startTime(1).build());
            assertTrue(third.startTime() > second.startTime(), "an earlier start time is never taken");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Example
    void execReplacesTheImageAndEndsOtherThreads() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess p = fs.spawn(1, "bash");
            int tid = fs.addThread(p.pid());
            SimProcess q = fs.exec(p.pid(), "/usr/bin/python3.12-with-a-long-name", "python3", "-V");
            assertEquals(p.startTime(), q.startTime());
            assertEquals(List.of(p.pid()), q.tids());
            assertFalse(Files.exists(fs.root().resolve(Integer.toString(tid))));
            Path dir = fs.root().resolve(Integer.toString(p.pid()));
            assertEquals("/usr/bin/python3.12-with-a-long-name", Files.readSymbolicLink(dir.resolve("exe")).toString());
            assertEquals("python3.12-with\n", Files.readString(dir.resolve("comm")));
            assertEquals("python3\u0000-V\u0000", Files.readString(dir.resolve("cmdline")));
            fs.exec(p.pid(), ProcessSpec.builder().kernelThread().build());
            assertFalse(Files.exists(dir.resolve("exe"), LinkOption.NOFOLLOW_LINKS));
        }
    }

    /** schedstat changes exactly when a task acts, per task, and never repeats a value (pid reuse). */
    @Example
    void schedstatChangesWhenATaskRuns() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess p = fs.spawn(1, "java");
            SimProcess other = fs.spawn(1, "sleep");
            int tid = fs.addThread(p.pid());
            Path leader = fs.root().resolve(p.pid() + "/schedstat");
            Path thread = fs.root().resolve(p.pid() + "/task/" + tid + "/schedstat");
            java.util.Set<String> seen = new java.util.HashSet<>();
            String l0 = Files.readString(leader);
            String t0 = Files.readString(thread);
            assertTrue(l0.matches("\\d+ \\d+ \\d+\n"), l0);
            assertEquals(l0, Files.readString(fs.root().resolve(p.pid() + "/task/" + p.pid() + "/schedstat")));
            assertTrue(seen.add(l0) && seen.add(t0));

            fs.openFd(other.pid(), "/dev/null");
            assertEquals(l0, Files.readString(leader), "another process ran, not this one");

            fs.openFd(p.pid(), tid, new FdSpec(7, KernelPaths.environ(other.pid())));
            assertEquals(l0, Files.readString(leader), "the thread opened it; the leader did not run");
            String t1 = Files.readString(thread);
            assertTrue(seen.add(t1));

            fs.exitThread(p.pid(), tid);
            assertEquals(l0, Files.readString(leader), "a thread's exit does not run the leader");

            for (Runnable act : List.<Runnable>of(() -> fs.run(p.pid()), () -> fs.openFd(p.pid(), "/dev/null"),
                    () -> fs.closeFd(p.pid(), 0), () -> fs.exec(p.pid(), "/usr/bin/x", "x"), () -> fs.addThread(p.pid()))) {
                act.run();
                assertTrue(seen.add(Files.readString(leader)), "each act gives a new value");
            }
            SimProcess reused = fs.reusePid(p.pid(), ProcessSpec.builder().comm("java").build());
            assertTrue(seen.add(Files.readString(fs.root().resolve(reused.pid() + "/schedstat"))));
        }
    }

    @Example
    void allocatesLikeTheKernel() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            assertEquals(SimulatedProcFs.FIRST_PID, fs.spawn(1, "a").pid());
            fs.setNextPid(SimulatedProcFs.PID_MAX - 1);
            assertEquals(SimulatedProcFs.PID_MAX - 1, fs.spawn(1, "b").pid());
            assertEquals(SimulatedProcFs.WRAP_TO, fs.spawn(1, "c").pid());
            assertEquals(SimulatedProcFs.WRAP_TO + 1, fs.addThread(SimulatedProcFs.FIRST_PID), "threads share the pid space");
            assertThrows(IllegalStateException.class, () -> fs.spawn(ProcessSpec.builder().pid(SimulatedProcFs.FIRST_PID).build()));
            assertFalse(fs.exit(-5));
            assertThrows(IllegalArgumentException.class, () -> fs.openFd(-5, "/x"));
        }
    }

    @Example
    void mountTablesListAddedProcMounts() throws IOException {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess p = fs.spawn(1, "a");
            MountLine other = fs.addProcMount("/run/ctr 1/proc");
            MountLine bind = fs.addProcBindMount("/mnt/p");
            assertEquals("0:21", bind.device(), "a bind mount shares /proc's superblock");
            String info = Files.readString(fs.root().resolve(p.pid() + "/mountinfo"));
            assertTrue(info.contains(" /run/ctr\\0401/proc "), info);
            assertTrue(info.contains(" " + other.device() + " "));
            fs.setMountTable(p.pid(), List.of(MountLine.rootFs(1)));
            assertEquals(new String(ProcFormats.mountInfo(List.of(MountLine.rootFs(1))), StandardCharsets.UTF_8),
                    Files.readString(fs.root().resolve(p.pid() + "/mountinfo")));
        }
    }

    /** Deleting the tree never follows a link: an fd link to a real directory leaves that directory alone. */
    @Example
    void closeDeletesTheTreeButNothingALinkPointsAt() throws IOException {
        Path outside = Files.createTempDirectory("outside-");
        Path keep = Files.writeString(outside.resolve("keep"), "x");
        try {
            Path root;
            try (SimulatedProcFs fs = SimulatedProcFs.create()) {
                root = fs.root();
                SimProcess p = fs.spawn(ProcessSpec.builder().exe(outside.toString()).build());
                fs.openFd(p.pid(), outside.toString());
                fs.openFd(p.pid(), keep.toString());
                fs.setCurrent(p.pid());
            }
            assertFalse(Files.exists(root));
            assertTrue(Files.exists(keep));
        } finally {
            Files.deleteIfExists(keep);
            Files.deleteIfExists(outside);
        }
    }

    /** A reader never sees a half-written file, nor an error other than "gone", while a writer churns. */
    @Example
    void concurrentReadersSeeWholeFilesOrNothing() throws Exception {
        try (SimulatedProcFs fs = SimulatedProcFs.create()) {
            SimProcess p = fs.spawn(1, "churn");
            Path stat = fs.root().resolve(p.pid() + "/stat");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 300 && !stop.get(); i++) {
                        int tid = fs.addThread(p.pid());
                        fs.exec(p.pid(), "/usr/bin/x" + i, "x" + i);
                        if (i % 50 == 0) {
                            fs.reusePid(p.pid(), ProcessSpec.builder().comm("churn").build());
                        }
                        assertTrue(tid > 0);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            writer.start();
            int whole = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            try {
                while (writer.isAlive() && System.nanoTime() < deadline) {
                    try {
                        String s = Files.readString(stat, StandardCharsets.ISO_8859_1);
                        assertTrue(s.endsWith(" 0\n"), s);
                        whole++;
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // between exit and respawn during pid reuse
                    }
                }
            } finally {
                stop.set(true);
                writer.join(Duration.ofSeconds(30).toMillis());
            }
            assertNull(failure.get());
            assertTrue(whole > 0);
        }
    }
}
