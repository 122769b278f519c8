package io.environguard.linux.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import io.environguard.linux.KernelTestSupport;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link DatagramBatch} against the real kernel: several datagrams per {@code recvmmsg}, each with its own length
 * and bytes, in the order sent; a datagram longer than its slot marked as cut; {@code EAGAIN} once drained; and the
 * proc connector's messages of processes this test starts, received in batches.
 */
@Tag("kernel")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DatagramBatchKernelTest {

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void receivesSeveralDatagramsPerCallInOrderWithTheirLengths() {
        Memory pair = new Memory(8);
        assertEquals(0, LinuxLibC.socketpair(LinuxLibC.AF_UNIX, LinuxLibC.SOCK_DGRAM | LinuxLibC.SOCK_NONBLOCK, 0,
                pair), "socketpair");
        int sender = pair.getInt(0);
        int receiver = pair.getInt(4);
        try {
            DatagramBatch batch = new DatagramBatch(4, 64);
            int[] sizes = {1, 17, 64, 5, 100, 3};
            for (int i = 0; i < sizes.length; i++) {
                send(sender, i, sizes[i]);
            }
            assertEquals(4, batch.receive(receiver), "the first four, in one call");
            for (int i = 0; i < 4; i++) {
                assertEquals(sizes[i], batch.length(i), "datagram " + i);
                assertFalse(batch.truncated(i), "datagram " + i);
                assertBytes(batch.view(i), i, sizes[i]);
            }
            assertEquals(2, batch.receive(receiver), "what was left: fewer than the batch holds");
            assertTrue(batch.truncated(0), "100 bytes in a 64-byte slot");
            assertEquals(64, batch.length(0));
            assertBytes(batch.view(0), 4, 64);
            assertEquals(3, batch.length(1));
            assertFalse(batch.truncated(1));
            assertBytes(batch.view(1), 5, 3);
            assertEquals(-Errno.EAGAIN, batch.receive(receiver), "drained");
        } finally {
            LinuxLibC.close(sender);
            LinuxLibC.close(receiver);
        }
    }

    @Test
    void receivesTheProcConnectorsMessagesOfAProcessInBatches() throws Exception {
        ProcConnectorSocket socket = ProcConnectorSocket.open(1 << 20);
        try {
            socket.subscribe();
            Process child = new ProcessBuilder("/bin/true").start();
            try {
                assertTrue(child.waitFor(10, TimeUnit.SECONDS), "/bin/true ran");
            } finally {
                child.destroyForcibly();
            }
            int pid = (int) child.pid();
            DatagramBatch batch = new DatagramBatch(8, 512);
            Set<Integer> seen = new HashSet<>(); // proc_event.what of the child's messages
            int largest = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!seen.contains(EXIT) && System.nanoTime() < deadline) {
                int n = socket.receive(batch);
                if (n == -Errno.EAGAIN) {
                    Thread.sleep(10);
                    continue;
                }
                assertTrue(n > 0, "receive: " + Errno.describe(-n));
                largest = Math.max(largest, n);
                for (int i = 0; i < n; i++) {
                    ByteBuffer m = batch.view(i);
                    assertFalse(batch.truncated(i));
                    assertEquals(batch.length(i), m.getInt(0), "nlmsg_len is the datagram's length");
                    int what = m.getInt(ProcConnectorSocket.EVENT);
                    int data = ProcConnectorSocket.EVENT_DATA;
                    // fork: the child is the second pid pair; exec and exit: the first.
                    int subject = what == FORK ? m.getInt(data + 12) : m.getInt(data + 4);
                    if (subject == pid && (what == FORK || what == EXEC || what == EXIT)) {
                        seen.add(what);
                    }
                }
            }
            assertEquals(Set.of(FORK, EXEC, EXIT), seen, "the child's fork, exec and exit");
            assertTrue(largest > 1, "a call received several messages (the child's three were queued together)");
        } finally {
            socket.close();
        }
    }

    private static final int FORK = 0x1;
    private static final int EXEC = 0x2;
    private static final int EXIT = 0x80000000;

    private static void send(int fd, int tag, int size) {
        Memory m = new Memory(size);
        for (int i = 0; i < size; i++) {
            m.setByte(i, (byte) (tag * 31 + i));
        }
        assertEquals(size, LinuxLibC.send(fd, m, size, 0), "send");
    }

    private static void assertBytes(ByteBuffer view, int tag, int size) {
        for (int i = 0; i < size; i++) {
            assertEquals((byte) (tag * 31 + i), view.get(i), "byte " + i + " of datagram " + tag);
        }
    }
}
