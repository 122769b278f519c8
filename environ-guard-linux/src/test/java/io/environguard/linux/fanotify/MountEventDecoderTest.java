package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.fanotify.FanotifyEventDecoder.MalformedEventException;
import io.environguard.linux.nativeio.Fanotify;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Records of a {@code FAN_REPORT_MNT} group, as the kernel lays them out (a 40-byte attach record on 6.18). */
class MountEventDecoderTest {

    /** One record; {@code mountId == NO_MOUNT} writes no mount info record (an overflow). */
    record Event(long mask, int pid, long mountId, int unknownInfoRecords) {
    }

    private record Decoded(long mask, int pid, long mountId) {
    }

    static ByteBuffer encode(List<Event> events) {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024).order(ByteOrder.nativeOrder());
        for (Event e : events) {
            int start = b.position();
            b.putInt(0);                       // event_len, patched below
            b.put((byte) Fanotify.FANOTIFY_METADATA_VERSION);
            b.put((byte) 0);
            b.putShort((short) Fanotify.METADATA_LEN);
            b.putLong(e.mask());
            b.putInt(Fanotify.FAN_NOFD);
            b.putInt(e.pid());
            for (int i = 0; i < e.unknownInfoRecords(); i++) {
                b.put((byte) 99).put((byte) 0).putShort((short) 12).putLong(0x1234_5678L); // skipped by length
            }
            if (e.mountId() != MountEventDecoder.NO_MOUNT) {
                b.put((byte) Fanotify.INFO_TYPE_MNT).put((byte) 0).putShort((short) MountEventDecoder.MNT_INFO_LEN)
                        .putInt(0).putLong(e.mountId());
            }
            b.putInt(start, b.position() - start);
        }
        b.flip();
        return b;
    }

    private static List<Decoded> decodeAll(ByteBuffer b) {
        List<Decoded> out = new ArrayList<>();
        int n = MountEventDecoder.decode(b, b.limit(), (mask, pid, mountId) -> out.add(new Decoded(mask, pid, mountId)));
        assertEquals(out.size(), n);
        return out;
    }

    @Test
    void anAttachIsFortyBytesAndCarriesTheMountId() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_MNT_ATTACH, 17469, 2147483834L, 0)));
        assertEquals(40, b.limit(), "24 bytes of metadata and a 16-byte mount record, as 6.18 writes it");
        assertEquals(List.of(new Decoded(Fanotify.FAN_MNT_ATTACH, 17469, 2147483834L)), decodeAll(b));
    }

    @Test
    void aMoveIsAttachAndDetachInOneRecord() {
        long move = Fanotify.FAN_MNT_ATTACH | Fanotify.FAN_MNT_DETACH;
        assertEquals(List.of(new Decoded(move, 5, 1L << 40)), decodeAll(encode(List.of(new Event(move, 5, 1L << 40, 0)))));
    }

    @Test
    void anOverflowHasNoMount() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_Q_OVERFLOW, 0, MountEventDecoder.NO_MOUNT, 0),
                new Event(Fanotify.FAN_MNT_ATTACH, 9, 77, 1)));
        assertEquals(List.of(new Decoded(Fanotify.FAN_Q_OVERFLOW, 0, MountEventDecoder.NO_MOUNT),
                new Decoded(Fanotify.FAN_MNT_ATTACH, 9, 77)), decodeAll(b));
    }

    @Test
    void rejectsAMountRecordTooShortForItsId() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_MNT_ATTACH, 9, 77, 0)));
        b.putShort(Fanotify.METADATA_LEN + 2, (short) 8);
        b.putInt(0, Fanotify.METADATA_LEN + 8);
        ByteBuffer shorter = b.duplicate().order(ByteOrder.nativeOrder()).limit(Fanotify.METADATA_LEN + 8);
        assertThrows(MalformedEventException.class, () -> decodeAll(shorter));
    }

    @Test
    void rejectsAnotherMetadataVersionAndBadLengths() {
        ByteBuffer version = encode(List.of(new Event(Fanotify.FAN_MNT_ATTACH, 1, 2, 0)));
        version.put(4, (byte) 4);
        assertThrows(MalformedEventException.class, () -> decodeAll(version));
        ByteBuffer tooLong = encode(List.of(new Event(Fanotify.FAN_MNT_ATTACH, 1, 2, 0)));
        tooLong.putInt(0, tooLong.limit() + 8);
        assertThrows(MalformedEventException.class, () -> decodeAll(tooLong));
        ByteBuffer zeroInfo = encode(List.of(new Event(Fanotify.FAN_MNT_ATTACH, 1, 2, 0)));
        zeroInfo.putShort(Fanotify.METADATA_LEN + 2, (short) 0);
        assertThrows(MalformedEventException.class, () -> decodeAll(zeroInfo));
    }

    @Property
    void decodesWhatWasEncodedInOrder(@ForAll("events") @Size(max = 300) List<Event> events) {
        List<Decoded> expected = events.stream().map(e -> new Decoded(e.mask(), e.pid(), e.mountId())).toList();
        assertEquals(expected, decodeAll(encode(events)));
    }

    /** Any damage to a read either decodes or is refused with MalformedEventException: never another failure. */
    @Property
    void damagedReadsAreRefusedCleanly(@ForAll("events") @Size(min = 1, max = 20) List<Event> events,
                                       @ForAll @IntRange(min = 0, max = 10_000) int where,
                                       @ForAll byte value, @ForAll @IntRange(min = 0, max = 64) int cut) {
        ByteBuffer b = encode(events);
        b.put(where % b.limit(), value);
        int length = Math.max(0, b.limit() - cut);
        try {
            int n = MountEventDecoder.decode(b, length, (mask, pid, mountId) -> { });
            assertTrue(n <= length / Fanotify.METADATA_LEN, "no more records than bytes allow: " + n);
        } catch (MalformedEventException expected) {
            // refused, with a message: fine
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }

    @Provide
    Arbitrary<List<Event>> events() {
        Arbitrary<Long> mask = Arbitraries.of(Fanotify.FAN_MNT_ATTACH, Fanotify.FAN_MNT_DETACH,
                Fanotify.FAN_MNT_ATTACH | Fanotify.FAN_MNT_DETACH);
        Arbitrary<Integer> pid = Arbitraries.integers().between(0, 4_194_304);
        Arbitrary<Long> mountId = Arbitraries.oneOf(Arbitraries.longs().between(1L << 31, Long.MAX_VALUE),
                Arbitraries.of(MountEventDecoder.NO_MOUNT));
        Arbitrary<Integer> unknown = Arbitraries.integers().between(0, 2);
        Arbitrary<Event> attach = Combinators.combine(mask, pid, mountId, unknown).as(Event::new);
        Arbitrary<Event> overflow = Arbitraries.just(new Event(Fanotify.FAN_Q_OVERFLOW, 0, MountEventDecoder.NO_MOUNT, 0));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(20, attach), net.jqwik.api.Tuple.of(1, overflow)).list();
    }
}
