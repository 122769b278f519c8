package io.environguard.linux.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@code struct statmount} buffers as the kernel writes them, and damaged ones. */
class MountStatTest {

    private static final int BUFFER = 8192;

    /**
     * A buffer laid out as {@code statmount} fills it: the 512-byte record, then the strings, each at an offset
     * from the start of the strings; {@code size} counts both. A {@code null} string is not requested.
     */
    static ByteBuffer encode(int major, int minor, long magic, String fsType, String mountPoint, boolean sbBasic) {
        ByteBuffer b = ByteBuffer.allocate(BUFFER).order(ByteOrder.nativeOrder());
        long mask = 0;
        int strings = 0;
        if (sbBasic) {
            mask |= MountStat.SB_BASIC;
            b.putInt(MountStat.DEV_MAJOR_OFFSET, major);
            b.putInt(MountStat.DEV_MINOR_OFFSET, minor);
            b.putLong(MountStat.MAGIC_OFFSET, magic);
        }
        if (fsType != null) {
            mask |= MountStat.FS_TYPE;
            b.putInt(MountStat.FS_TYPE_OFFSET, strings);
            strings = putString(b, strings, fsType);
        }
        if (mountPoint != null) {
            mask |= MountStat.MNT_POINT;
            b.putInt(MountStat.MNT_POINT_OFFSET, strings);
            strings = putString(b, strings, mountPoint);
        }
        b.putLong(MountStat.MASK_OFFSET, mask);
        b.putInt(MountStat.SIZE_OFFSET, MountStat.HEADER_SIZE + strings);
        return b;
    }

    private static int putString(ByteBuffer b, int at, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.put(MountStat.HEADER_SIZE + at, bytes);
        b.put(MountStat.HEADER_SIZE + at + bytes.length, (byte) 0);
        return at + bytes.length + 1;
    }

    @Test
    void aProcfsAsTheKernelDescribesIt() {
        MountStat s = MountStat.parse(encode(0, 42, 0x9fa0, "proc", "/tmp/mntns-exp/q", true), BUFFER);
        assertEquals("0:42", s.device());
        assertEquals("proc", s.fsType());
        assertEquals("/tmp/mntns-exp/q", s.mountPoint());
        assertTrue(s.isProc());
    }

    @Test
    void aTmpfsIsNoProcfs() {
        MountStat s = MountStat.parse(encode(0, 43, 0x01021994, "tmpfs", "/tmp/q", true), BUFFER);
        assertFalse(s.isProc());
    }

    @Test
    void withoutTheSuperblockTheTypeDecides() {
        MountStat s = MountStat.parse(encode(0, 0, 0, "proc", null, false), BUFFER);
        assertNull(s.device());
        assertEquals(-1, s.magic());
        assertNull(s.mountPoint());
        assertTrue(s.isProc());
        assertFalse(MountStat.parse(encode(0, 0, 0, null, "/x", false), BUFFER).isProc());
    }

    @Test
    void deviceNumbersAreUnsigned() {
        MountStat s = MountStat.parse(encode(-1, -2, 0x9fa0, null, null, true), BUFFER);
        assertEquals("4294967295:4294967294", s.device());
    }

    @Test
    void refusesARecordLargerThanTheBufferOrSmallerThanItsHeader() {
        ByteBuffer big = encode(0, 1, 0x9fa0, "proc", "/proc", true);
        big.putInt(MountStat.SIZE_OFFSET, BUFFER + 1);
        assertThrows(IllegalArgumentException.class, () -> MountStat.parse(big, BUFFER));
        ByteBuffer small = encode(0, 1, 0x9fa0, null, null, true);
        small.putInt(MountStat.SIZE_OFFSET, 100);
        assertThrows(IllegalArgumentException.class, () -> MountStat.parse(small, BUFFER));
        assertThrows(IllegalArgumentException.class, () -> MountStat.parse(encode(0, 1, 0, null, null, true), 100));
    }

    @Test
    void refusesAStringOutsideTheRecordOrWithoutItsNul() {
        ByteBuffer outside = encode(0, 1, 0x9fa0, "proc", null, true);
        outside.putInt(MountStat.FS_TYPE_OFFSET, 4000);
        assertThrows(IllegalArgumentException.class, () -> MountStat.parse(outside, BUFFER));
        ByteBuffer unterminated = encode(0, 1, 0x9fa0, "proc", null, true);
        unterminated.put(MountStat.HEADER_SIZE + 4, (byte) 'x'); // overwrite the NUL; size still ends there
        assertThrows(IllegalArgumentException.class, () -> MountStat.parse(unterminated, BUFFER));
    }

    @Property
    void readsBackWhatWasWritten(@ForAll @IntRange(min = 0, max = 4095) int major,
                                 @ForAll @IntRange(min = 0, max = 1 << 20) int minor,
                                 @ForAll("magics") long magic, @ForAll("names") String fsType,
                                 @ForAll("paths") String mountPoint, @ForAll boolean sbBasic) {
        MountStat s = MountStat.parse(encode(major, minor, magic, fsType, mountPoint, sbBasic), BUFFER);
        assertEquals(sbBasic ? major + ":" + minor : null, s.device());
        assertEquals(sbBasic ? magic : -1, s.magic());
        assertEquals(fsType, s.fsType());
        assertEquals(mountPoint, s.mountPoint());
        assertEquals(sbBasic ? magic == MountStat.PROC_SUPER_MAGIC : "proc".equals(fsType), s.isProc());
    }

    /** Any damage either parses or is refused with IllegalArgumentException: never another exception. */
    @Property
    void damagedBuffersAreRefusedCleanly(@ForAll("paths") String mountPoint,
                                         @ForAll @IntRange(min = 0, max = 700) int where, @ForAll byte value,
                                         @ForAll @IntRange(min = 0, max = BUFFER) int available) {
        ByteBuffer b = encode(0, 40, 0x9fa0, "proc", mountPoint, true);
        b.put(where, value);
        try {
            MountStat.parse(b, available);
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("statmount"), expected.getMessage());
        }
    }

    @Provide
    Arbitrary<Long> magics() {
        return Arbitraries.oneOf(Arbitraries.just(MountStat.PROC_SUPER_MAGIC), Arbitraries.longs());
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.oneOf(Arbitraries.of("proc", "tmpfs", "fuse.sshfs", "overlay"),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20)).injectNull(0.2);
    }

    /** Mount points as the kernel prints them: any bytes but NUL, spaces and newlines included. */
    @Provide
    Arbitrary<String> paths() {
        return Arbitraries.strings().withCharRange('\u0001', '\u007f').withChars('é', 'ß', '\n', ' ')
                .ofMinLength(1).ofMaxLength(300).map(s -> "/" + s).injectNull(0.2);
    }
}
