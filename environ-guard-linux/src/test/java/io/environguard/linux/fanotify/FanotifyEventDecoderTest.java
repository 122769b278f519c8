package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Fanotify;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class FanotifyEventDecoderTest {

    /** One record as the kernel writes it; {@code pidfd == NO_PIDFD_RECORD} writes no pidfd info record. */
    record Event(long mask, int fd, int pid, int pidfd, int unknownInfoRecords) {
    }

    private record Decoded(long mask, int fd, int pid, int pidfd) {
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
            b.putInt(e.fd());
            b.putInt(e.pid());
            for (int i = 0; i < e.unknownInfoRecords(); i++) {
                b.put((byte) 99).put((byte) 0).putShort((short) 12).putLong(0x1234_5678L); // skipped by length
            }
            if (e.pidfd() != FanotifyEventDecoder.NO_PIDFD_RECORD) {
                b.put((byte) Fanotify.INFO_TYPE_PIDFD).put((byte) 0).putShort((short) 8).putInt(e.pidfd());
            }
            b.putInt(start, b.position() - start);
        }
        b.flip();
        return b;
    }

    private static List<Decoded> decodeAll(ByteBuffer b) {
        List<Decoded> out = new ArrayList<>();
        int n = FanotifyEventDecoder.decode(b, b.limit(), (mask, fd, pid, pidfd) -> out.add(new Decoded(mask, fd, pid, pidfd)));
        assertEquals(out.size(), n);
        return out;
    }

    @Test
    void decodesAnOpenWithItsPidfd() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_OPEN, 7, 4242, 8, 0)));
        assertEquals(List.of(new Decoded(Fanotify.FAN_OPEN, 7, 4242, 8)), decodeAll(b));
    }

    @Test
    void decodesAnOverflowRecordAndFdErrors() {
        ByteBuffer b = encode(List.of(
                new Event(Fanotify.FAN_Q_OVERFLOW, Fanotify.FAN_NOFD, 0, FanotifyEventDecoder.NO_PIDFD_RECORD, 0),
                new Event(Fanotify.FAN_OPEN, -3, 77, -3, 0)));
        assertEquals(List.of(
                new Decoded(Fanotify.FAN_Q_OVERFLOW, -1, 0, FanotifyEventDecoder.NO_PIDFD_RECORD),
                new Decoded(Fanotify.FAN_OPEN, -3, 77, -3)), decodeAll(b));
    }

    @Test
    void rejectsAnotherMetadataVersion() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_OPEN, 7, 1, 8, 0)));
        b.put(4, (byte) 2);
        assertThrows(FanotifyEventDecoder.MalformedEventException.class, () -> decodeAll(b));
    }

    @Test
    void rejectsAnEventLongerThanTheRead() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_OPEN, 7, 1, 8, 0)));
        b.putInt(0, b.limit() + 8);
        assertThrows(FanotifyEventDecoder.MalformedEventException.class, () -> decodeAll(b));
    }

    @Test
    void rejectsAnEventShorterThanItsMetadata() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_OPEN, 7, 1, 8, 0)));
        b.putInt(0, 8);
        assertThrows(FanotifyEventDecoder.MalformedEventException.class, () -> decodeAll(b));
    }

    @Test
    void rejectsAnInfoRecordOfLengthZero() {
        ByteBuffer b = encode(List.of(new Event(Fanotify.FAN_OPEN, 7, 1, 8, 0)));
        b.putShort(Fanotify.METADATA_LEN + 2, (short) 0);
        assertThrows(FanotifyEventDecoder.MalformedEventException.class, () -> decodeAll(b));
    }

    @Test
    void rejectsTrailingBytes() {
        ByteBuffer events = encode(List.of(new Event(Fanotify.FAN_OPEN, 7, 1, 8, 0)));
        ByteBuffer b = ByteBuffer.allocate(events.limit() + 5).order(ByteOrder.nativeOrder());
        b.put(events).clear(); // the whole buffer: the records plus 5 bytes that are no record
        assertThrows(FanotifyEventDecoder.MalformedEventException.class,
                () -> FanotifyEventDecoder.decode(b, b.limit(), (m, f, p, pf) -> { }));
    }

    @Property
    void decodesWhatWasEncodedInOrder(@ForAll("events") @Size(max = 200) List<Event> events) {
        List<Decoded> expected = events.stream()
                .map(e -> new Decoded(e.mask(), e.fd(), e.pid(), e.pidfd()))
                .toList();
        assertEquals(expected, decodeAll(encode(events)));
    }

    @Provide
    Arbitrary<List<Event>> events() {
        Arbitrary<Long> mask = Arbitraries.of(Fanotify.FAN_OPEN, Fanotify.FAN_Q_OVERFLOW, Fanotify.FAN_OPEN | 0x10L);
        Arbitrary<Integer> fd = Arbitraries.oneOf(Arbitraries.integers().between(0, 1 << 20),
                Arbitraries.of(-1, -3, -24, -23));
        Arbitrary<Integer> pid = Arbitraries.integers().between(0, 4_194_304);
        Arbitrary<Integer> pidfd = Arbitraries.oneOf(Arbitraries.integers().between(0, 1 << 20),
                Arbitraries.of(-1, -2, -3, FanotifyEventDecoder.NO_PIDFD_RECORD));
        Arbitrary<Integer> unknown = Arbitraries.integers().between(0, 2);
        return Combinators.combine(mask, fd, pid, pidfd, unknown).as(Event::new).list();
    }
}
