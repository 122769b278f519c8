package io.environguard.linux.targeted;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.environguard.linux.nativeio.LinuxLibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one walker of directory entries read with {@code getdents64}: a reused native buffer a batch is read into, a
 * reused Java copy of it, and the records of the batch (a {@code linux_dirent64}: inode at 0, offset at 8, record
 * length at 16, type at 18, NUL-terminated name at 19). Confined to one thread.
 *
 * <pre>{@code
 * Dirents entries = new Dirents();
 * for (long n = entries.read(dirFd); n > 0; n = entries.read(dirFd)) {
 *     entries.load();
 *     for (int r = entries.next(-1); r >= 0; r = entries.next(r)) {
 *         int id = ProcIds.parseNulTerminated(entries.bytes(), Dirents.name(r));
 *     }
 * }
 * }</pre>
 */
final class Dirents {

    /** The size of one batch: about 1,000 {@code /proc} entries. */
    static final int BUFFER_SIZE = 32 * 1024;
    private static final int RECLEN = 16;
    private static final int NAME = 19;

    private Memory batch = new Memory(BUFFER_SIZE);
    private final byte[] bytes = new byte[BUFFER_SIZE];
    private final ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    private int length;
    private boolean malformed;

    /** Whether {@code getdents64} can be called on this architecture. */
    static boolean supported() {
        return LinuxLibC.SYS_GETDENTS64 >= 0;
    }

    /**
     * Reads the next batch of {@code dirFd}'s entries into native memory (not yet into {@link #bytes()}).
     *
     * @return bytes read; 0 at the end of the directory; negative on an error (ENOENT once a process is gone)
     */
    long read(int dirFd) {
        long n = LinuxLibC.syscall(LinuxLibC.SYS_GETDENTS64, dirFd, Pointer.nativeValue(batch), BUFFER_SIZE, 0);
        length = (int) Math.max(0, n);
        malformed = false;
        return n;
    }

    /** The native memory holding the last batch read, e.g. to compare it with an earlier one. */
    Memory nativeBatch() {
        return batch;
    }

    /**
     * Reads into {@code other} from now on and hands back the memory holding the last batch, so that a caller can
     * keep a listing without copying it.
     */
    Memory exchange(Memory other) {
        if (other.size() < BUFFER_SIZE) {
            throw new IllegalArgumentException("a batch buffer holds " + BUFFER_SIZE + " bytes");
        }
        Memory last = batch;
        batch = other;
        return last;
    }

    /** Copies the last batch into {@link #bytes()}, to walk it. */
    void load() {
        batch.read(0, bytes, 0, length);
    }

    /** The Java copy of the last batch, valid after {@link #load()}. */
    byte[] bytes() {
        return bytes;
    }

    /**
     * The record after {@code record} in the loaded batch ({@code -1} for the first), or -1 at its end or at a
     * record whose length is impossible (then {@link #malformed()} is true).
     */
    int next(int record) {
        if (record < 0) {
            return length > 0 ? 0 : -1;
        }
        int reclen = view.getShort(record + RECLEN) & 0xFFFF;
        if (reclen < NAME + 1) {
            malformed = true;
            return -1;
        }
        int next = record + reclen;
        return next + NAME < length ? next : -1;
    }

    /** Whether the walk of the last batch stopped at an impossible record. */
    boolean malformed() {
        return malformed;
    }

    /** Where the NUL-terminated name of {@code record} starts in {@link #bytes()}. */
    static int name(int record) {
        return record + NAME;
    }
}
