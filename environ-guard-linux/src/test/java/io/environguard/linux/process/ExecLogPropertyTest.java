package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.environguard.linux.nativeio.PerfSideband;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The exec log against a script of the records the kernel writes, in the order it writes them: at each exec the
 * name record, then the binary's mapping and (for a dynamically linked program) the interpreter's, then the proc
 * connector's exec message, then the libraries the program maps once it runs; dlopens of processes that did not
 * just exec. Each record goes to the buffer of the CPU the process ran on at that moment (an exec may move
 * between CPUs), a few pids are used again and again (a process that exec's twice, as jspawnhelper does, or a
 * reused pid), and the reader is late by any amount: it drains at any moment, reading the buffers one after the
 * other while the kernel keeps writing (each buffer up to a later point than the one before), and takes the image
 * of each exec message as the table does (take, then once more after a refresh).
 *
 * <p>Property: the image taken for an exec message is that exec's, name and executable, never a library's or
 * an older exec's; and it is there whenever no later exec of the same pid was written by then (a later one
 * replaces it, and the table reads {@code /proc} instead).
 */
class ExecLogPropertyTest {

    private static final int CPUS = 3;
    private static final int PIDS = 3;

    sealed interface Step permits Exec, Dlopen, Drain, Deliver {
    }

    /** Process {@code pid} execs; its records go to the buffers named. */
    record Exec(int pid, int nameCpu, int binaryCpu, boolean dynamic, int libraries, int libraryCpu) implements Step {
    }

    /** Process {@code pid} maps an executable file of its own (not at an exec). */
    record Dlopen(int pid, int cpu) implements Step {
    }

    /** The reader drains between two exec messages (another process's exec made it look). */
    record Drain() implements Step {
    }

    /** The reader applies the oldest exec message not applied yet. */
    record Deliver() implements Step {
    }

    @Property(tries = 400)
    void theImageTakenForAnExecIsThatExecs(@ForAll("steps") List<Step> steps, @ForAll long seed) {
        ScriptedBuffers buffers = new ScriptedBuffers(new Random(seed));
        ExecLog log = new ExecLog(buffers);
        Queue<Message> messages = new ArrayDeque<>();
        List<Integer> execPids = new ArrayList<>();
        for (Step step : steps) {
            if (step instanceof Exec e) {
                int n = execPids.size();
                execPids.add(e.pid());
                int pid = 100 + e.pid();
                buffers.comm(e.nameCpu(), pid, "p" + n);
                buffers.mmap(e.binaryCpu(), pid, "/bin/b" + n, 1000 + n);
                if (e.dynamic()) {
                    buffers.mmap(e.binaryCpu(), pid, "/lib64/ld-linux-x86-64.so.2", 7);
                }
                messages.add(new Message(n, pid, buffers.tick()));
                for (int l = 0; l < e.libraries(); l++) {
                    buffers.mmap(e.libraryCpu(), pid, "/lib/lib" + l + ".so", 50 + l);
                }
            } else if (step instanceof Dlopen d) {
                buffers.mmap(d.cpu(), 100 + d.pid(), "/usr/lib/plugin.so", 9);
            } else if (step instanceof Drain) {
                buffers.notBefore = 0;
                log.refresh();
            } else if (!messages.isEmpty()) {
                deliver(log, buffers, messages.remove(), execPids);
            }
        }
        while (!messages.isEmpty()) {
            deliver(log, buffers, messages.remove(), execPids);
        }
    }

    /** As {@code ProcEventApplier} takes an exec's image; then checks it. */
    private static void deliver(ExecLog log, ScriptedBuffers buffers, Message m, List<Integer> execPids) {
        // The message was read after it was sent: every drain from now on reads at least what was written by then.
        buffers.notBefore = m.sentAt();
        ExecImages.Image image = log.take(m.pid(), m.sentAt());
        if (image == null) {
            log.refresh();
            image = log.take(m.pid(), m.sentAt());
        }
        boolean replaced = execPids.subList(m.exec() + 1, execPids.size()).contains(m.pid() - 100);
        if (!replaced) {
            assertNotNull(image, "no image for exec " + m);
        }
        if (image != null) {
            assertEquals("p" + m.exec(), image.comm(), m.toString());
            assertEquals("/bin/b" + m.exec(), image.exe(), m.toString());
            assertEquals(1000 + m.exec(), image.inode(), m.toString());
        }
    }

    private record Message(int exec, int pid, long sentAt) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Integer> pid = Arbitraries.integers().between(0, PIDS - 1);
        Arbitrary<Integer> cpu = Arbitraries.integers().between(0, CPUS - 1);
        Arbitrary<Step> exec = Combinators.combine(pid, cpu, cpu, Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 3), cpu).as(Exec::new);
        Arbitrary<Step> dlopen = Combinators.combine(pid, cpu).as(Dlopen::new);
        Arbitrary<Step> step = Arbitraries.frequencyOf(
                Tuple.of(4, exec),
                Tuple.of(1, dlopen),
                Tuple.of(2, Arbitraries.just(new Drain())),
                Tuple.of(3, Arbitraries.just(new Deliver())));
        return step.list().ofMinSize(1).ofMaxSize(40);
    }

    /**
     * Per-CPU buffers of perf records, written in time order; a drain reads them one after the other, each up to a
     * moment no earlier than the one before (the kernel writes on while the reader moves on), at least up to
     * {@link #notBefore} and at most up to now.
     */
    private static final class ScriptedBuffers implements ExecLog.Records {
        private final List<List<Written>> cpus = new ArrayList<>();
        private final int[] read = new int[CPUS];
        private final Random random;
        private long now;
        long notBefore;

        ScriptedBuffers(Random random) {
            this.random = random;
            for (int i = 0; i < CPUS; i++) {
                cpus.add(new ArrayList<>());
            }
        }

        long tick() {
            return ++now;
        }

        void comm(int cpu, int pid, String comm) {
            byte[] name = (comm + "\0").getBytes(StandardCharsets.UTF_8);
            int size = 16 + pad(name.length) + PerfSideband.SAMPLE_ID_BYTES;
            ByteBuffer r = record(PerfSideband.RECORD_COMM, PerfSideband.MISC_COMM_EXEC, size, pid);
            r.put(16, name);
            write(cpu, r);
        }

        void mmap(int cpu, int pid, String file, long inode) {
            byte[] name = (file + "\0").getBytes(StandardCharsets.UTF_8);
            int size = 72 + pad(name.length) + PerfSideband.SAMPLE_ID_BYTES;
            ByteBuffer r = record(PerfSideband.RECORD_MMAP2, 0, size, pid);
            r.putInt(40, 8).putInt(44, 1).putLong(48, inode).putInt(64, 4 | 1); // PROT_EXEC | PROT_READ
            r.put(72, name);
            write(cpu, r);
        }

        private static int pad(int n) {
            return (n + 7) & ~7;
        }

        private ByteBuffer record(int type, int misc, int size, int pid) {
            ByteBuffer r = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
            r.putInt(0, type).putShort(4, (short) misc).putShort(6, (short) size).putInt(8, pid).putInt(12, pid);
            r.putInt(size - 16, pid).putInt(size - 12, pid).putLong(size - 8, tick());
            return r;
        }

        private void write(int cpu, ByteBuffer r) {
            cpus.get(cpu).add(new Written(r.getLong(r.capacity() - 8), r));
        }

        @Override
        public void drain(PerfSideband.RecordHandler handler) {
            long upTo = notBefore;
            for (int c = 0; c < CPUS; c++) {
                upTo = upTo + (long) (random.nextDouble() * (now - upTo + 1));
                upTo = Math.min(upTo, now);
                if (c == CPUS - 1 && random.nextBoolean()) {
                    upTo = now;
                }
                List<Written> buffer = cpus.get(c);
                while (read[c] < buffer.size() && buffer.get(read[c]).time() <= upTo) {
                    ByteBuffer r = buffer.get(read[c]++).record();
                    handler.record(r.getInt(0), r.getShort(4) & 0xFFFF, r, r.capacity());
                }
            }
        }

        @Override
        public long lost() {
            return 0;
        }

        @Override
        public int cpus() {
            return CPUS;
        }

        @Override
        public void close() {
        }

        private record Written(long time, ByteBuffer record) {
        }
    }
}
