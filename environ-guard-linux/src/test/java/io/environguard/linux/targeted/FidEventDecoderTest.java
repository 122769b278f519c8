package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Records laid out as the kernel writes them (KERNEL-FACTS: procfs handles are type 0x81, 12 bytes). */
class FidEventDecoderTest {

    record Event(long mask, int pid, long fsid, long inode, int pidfd) {
    }

    private final ByteBuffer buffer = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());

    /** Appends one record: metadata, a FID info record and, if {@code pidfd} is not NO_PIDFD_RECORD, a pidfd record. */
    private void put(long mask, int pid, int fsid0, int fsid1, int handleType, long inode, int pidfd) {
        int start = buffer.position();
        int fidLen = 4 + 8 + 8 + 12;
        int len = 24 + fidLen + (pidfd == FidEventDecoder.NO_PIDFD_RECORD ? 0 : 8);
        buffer.putInt(len).put((byte) 3).put((byte) 0).putShort((short) 24).putLong(mask).putInt(-1).putInt(pid);
        buffer.put((byte) FidEventDecoder.INFO_TYPE_FID).put((byte) 0).putShort((short) fidLen);
        buffer.putInt(fsid0).putInt(fsid1).putInt(12).putInt(handleType).putLong(inode).putInt(0);
        if (pidfd != FidEventDecoder.NO_PIDFD_RECORD) {
            buffer.put((byte) FidEventDecoder.INFO_TYPE_PIDFD).put((byte) 0).putShort((short) 8).putInt(pidfd);
        }
        assertEquals(start + len, buffer.position());
    }

    private List<Event> decode() {
        List<Event> out = new ArrayList<>();
        int n = FidEventDecoder.decode(buffer, buffer.position(), (m, p, f, i, fd) -> out.add(new Event(m, p, f, i, fd)));
        assertEquals(out.size(), n);
        return out;
    }

    @Test
    void decodesFsidInodeAndPidfd() {
        put(0x20, 4242, 0x15, 0, 0x81, 1015046L, 7);
        put(0x20, 0, 0x15, 0, 0x81, 1015055L, FidEventDecoder.NO_PIDFD_RECORD);
        assertEquals(List.of(new Event(0x20, 4242, 0x15, 1015046L, 7),
                new Event(0x20, 0, 0x15, 1015055L, FidEventDecoder.NO_PIDFD_RECORD)), decode());
    }

    @Test
    void packsBothHalvesOfTheFsid() {
        put(0x20, 1, 0xFFFFFFFE, 3, 0x81, 9, FidEventDecoder.NO_PIDFD_RECORD);
        assertEquals(0xFFFFFFFEL | (3L << 32), decode().get(0).fsid());
    }

    @Test
    void aHandleOfAnotherTypeHasNoInode() {
        put(0x20, 1, 0x15, 0, 0x1, 9, FidEventDecoder.NO_PIDFD_RECORD);
        assertEquals(-1, decode().get(0).inode());
    }

    @Test
    void anOverflowRecordHasNoInfo() {
        buffer.putInt(24).put((byte) 3).put((byte) 0).putShort((short) 24).putLong(0x4000).putInt(-1).putInt(0);
        assertEquals(List.of(new Event(0x4000, 0, 0, -1, FidEventDecoder.NO_PIDFD_RECORD)), decode());
    }

    @Test
    void refusesABrokenRecord() {
        put(0x20, 1, 0x15, 0, 0x81, 9, FidEventDecoder.NO_PIDFD_RECORD);
        buffer.putInt(0, 10_000);
        assertThrows(IllegalStateException.class, this::decode);
        buffer.clear();
        put(0x20, 1, 0x15, 0, 0x81, 9, FidEventDecoder.NO_PIDFD_RECORD);
        buffer.put(4, (byte) 2);
        assertThrows(IllegalStateException.class, this::decode);
        buffer.clear();
        put(0x20, 1, 0x15, 0, 0x81, 9, FidEventDecoder.NO_PIDFD_RECORD);
        buffer.putShort(24 + 2, (short) 2);
        assertThrows(IllegalStateException.class, this::decode);
    }
}
