package io.environguard.linux.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.ProcConnectorSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Proc connector datagrams as the kernel lays them out (nlmsghdr, cn_msg, proc_event), decoded from byte buffers;
 * and the socket filter, run by the kernel on datagrams sent through a socket pair (no privilege needed).
 */
class ProcEventDecoderTest {

    private static final int DATA = ProcConnectorSocket.EVENT_DATA;

    /** A datagram of {@code what} with {@code data} ints in the event union, stamped {@code time}. */
    static ByteBuffer datagram(int what, long time, int... data) {
        return datagram(what, time, data, null);
    }

    static ByteBuffer datagram(int what, long time, int[] data, byte[] tail) {
        int length = DATA + 4 * data.length + (tail == null ? 0 : tail.length);
        ByteBuffer b = ByteBuffer.allocate(Math.max(length, DATA + 24)).order(ByteOrder.nativeOrder());
        b.putInt(0, length);
        b.putShort(4, (short) 3);
        b.putInt(ProcConnectorSocket.NLMSG_HEADER, ProcConnectorSocket.CN_IDX_PROC);
        b.putInt(ProcConnectorSocket.NLMSG_HEADER + 4, ProcConnectorSocket.CN_VAL_PROC);
        b.putShort(ProcConnectorSocket.NLMSG_HEADER + 16, (short) (length - ProcConnectorSocket.EVENT));
        b.putInt(ProcConnectorSocket.EVENT, what);
        b.putInt(ProcConnectorSocket.EVENT + 4, 1);
        b.putLong(ProcConnectorSocket.EVENT_TIMESTAMP, time);
        for (int i = 0; i < data.length; i++) {
            b.putInt(DATA + 4 * i, data[i]);
        }
        if (tail != null) {
            b.put(DATA + 4 * data.length, tail);
        }
        return b;
    }

    @Property(tries = 300)
    void forksExecsExitsAndIdChangesDecodeExactly(@ForAll @IntRange(min = 1, max = 4_194_304) int a,
                                                  @ForAll @IntRange(min = 1, max = 4_194_304) int b,
                                                  @ForAll @IntRange(min = 0) int time) {
        ByteBuffer fork = datagram(ProcEventDecoder.PROC_EVENT_FORK, time, a + 1, a, b, b);
        assertEquals(new ProcEvent.Fork(a + 1, a, b, b, time), ProcEventDecoder.decode(fork, DATA + 16));
        assertEquals(new ProcEvent.Exec(a, b, time),
                ProcEventDecoder.decode(datagram(ProcEventDecoder.PROC_EVENT_EXEC, time, a, b), DATA + 8));
        assertEquals(new ProcEvent.Exit(a, b, 256, time),
                ProcEventDecoder.decode(datagram(ProcEventDecoder.PROC_EVENT_EXIT, time, a, b, 256, 17, 1, 1), DATA + 24));
        assertEquals(new ProcEvent.Ids(a, b, false, 1000, 0, time),
                ProcEventDecoder.decode(datagram(ProcEventDecoder.PROC_EVENT_UID, time, a, b, 1000, 0), DATA + 16));
        assertEquals(new ProcEvent.Ids(a, b, true, 5, 6, time),
                ProcEventDecoder.decode(datagram(ProcEventDecoder.PROC_EVENT_GID, time, a, b, 5, 6), DATA + 16));
    }

    @Example
    void aRenameCarriesItsNameUpToTheFirstNul() {
        byte[] comm = new byte[16];
        byte[] name = "a) S 1 (".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(name, 0, comm, 0, name.length);
        comm[name.length + 1] = 'x'; // bytes after the NUL are not part of the name
        ByteBuffer b = datagram(ProcEventDecoder.PROC_EVENT_COMM, 9, new int[] {42, 42}, comm);
        assertEquals(new ProcEvent.Comm(42, 42, "a) S 1 (", 9), ProcEventDecoder.decode(b, DATA + 8 + 16));
        byte[] full = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII); // no NUL at all: 16 bytes
        assertEquals("0123456789abcdef", ((ProcEvent.Comm) ProcEventDecoder.decode(
                datagram(ProcEventDecoder.PROC_EVENT_COMM, 9, new int[] {42, 42}, full), DATA + 24)).comm());
    }

    @Example
    void shortCutAndOtherMessagesAreNotEvents() {
        assertNull(ProcEventDecoder.decode(datagram(ProcEventDecoder.PROC_EVENT_FORK, 1, 1, 1, 2, 2), DATA + 12));
        assertNull(ProcEventDecoder.decode(datagram(ProcEventDecoder.PROC_EVENT_EXEC, 1, 1, 1), DATA + 4));
        assertNull(ProcEventDecoder.decode(datagram(0x100 /* ptrace */, 1, 1, 1, 2, 2), DATA + 16));
        assertNull(ProcEventDecoder.decode(datagram(0 /* the subscription's ack */, 1, 0), DATA + 4));
        assertNull(ProcEventDecoder.decode(ByteBuffer.allocate(8), 8));
    }

    // ---------------------------------------------------------------- the socket filter, run by the kernel

    @Example
    void theFilterPassesProcessEventsAndDropsThreadEvents() {
        Memory pair = new Memory(8);
        if (LinuxLibC.socketpair(LinuxLibC.AF_UNIX, LinuxLibC.SOCK_DGRAM | LinuxLibC.SOCK_NONBLOCK, 0, pair) != 0) {
            throw new AssertionError("socketpair failed: errno " + LinuxLibC.errno());
        }
        int sender = pair.getInt(0);
        int receiver = pair.getInt(4);
        try {
            assertEquals(0, ProcEventDecoder.filter().attach(receiver), "the kernel refused the filter");
            int fork = ProcEventDecoder.PROC_EVENT_FORK;
            int exit = ProcEventDecoder.PROC_EVENT_EXIT;
            assertEquals(true, passes(sender, receiver, datagram(fork, 1, 10, 10, 11, 11)), "a process fork");
            assertEquals(false, passes(sender, receiver, datagram(fork, 1, 10, 10, 12, 11)), "a new thread of 11");
            assertEquals(true, passes(sender, receiver, datagram(ProcEventDecoder.PROC_EVENT_EXEC, 1, 10, 10)), "exec");
            assertEquals(true, passes(sender, receiver, datagram(exit, 1, 10, 10, 0, 17, 1, 1)), "a leader's exit");
            assertEquals(false, passes(sender, receiver, datagram(exit, 1, 12, 10, 0, -1, 1, 1)), "a thread's exit");
            assertEquals(true, passes(sender, receiver, datagram(ProcEventDecoder.PROC_EVENT_COMM, 1,
                    new int[] {10, 10}, new byte[16])), "a leader's rename");
            assertEquals(false, passes(sender, receiver, datagram(ProcEventDecoder.PROC_EVENT_COMM, 1,
                    new int[] {12, 10}, new byte[16])), "a thread's rename (a JVM names each of its threads)");
            assertEquals(true, passes(sender, receiver, datagram(ProcEventDecoder.PROC_EVENT_UID, 1, 10, 10, 0, 0)));
            assertEquals(false, passes(sender, receiver, datagram(ProcEventDecoder.PROC_EVENT_GID, 1, 12, 10, 0, 0)));
            assertEquals(false, passes(sender, receiver, datagram(0x100, 1, 10, 10, 1, 1)), "ptrace");
            assertEquals(false, passes(sender, receiver, datagram(0x80, 1, 10, 10)), "sid");
        } finally {
            LinuxLibC.close(sender);
            LinuxLibC.close(receiver);
        }
    }

    private static boolean passes(int sender, int receiver, ByteBuffer datagram) {
        int length = datagram.getInt(0);
        Memory out = new Memory(length);
        for (int i = 0; i < length; i++) {
            out.setByte(i, datagram.get(i));
        }
        assertEquals(length, LinuxLibC.send(sender, out, length, 0), "send");
        Memory in = new Memory(4096);
        long n = LinuxLibC.recv(receiver, in, 4096, 0);
        return n > 0;
    }
}
