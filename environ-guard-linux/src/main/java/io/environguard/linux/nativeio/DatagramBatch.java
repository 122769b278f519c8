package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Room for several datagrams received in one {@code recvmmsg} call: a socket whose messages come in bursts (the
 * proc connector sends three per fork+exec+exit) is then read with one system call per burst instead of one per
 * message. Slot {@code i} holds the {@code i}-th datagram of the last receive, seen through {@link #view}.
 *
 * <p>Layout ({@code struct mmsghdr} of the 64-bit Linux ABIs): 64 bytes per header, a {@code struct msghdr} of
 * 56 bytes ({@code msg_iov} at 16, {@code msg_iovlen} at 24, {@code msg_flags} at 48) followed by {@code msg_len}
 * at 56; one 16-byte {@code iovec} per slot. On a 32-bit ABI the batch holds one slot and is filled with
 * {@code recv}.
 *
 * <pre>{@code
 * DatagramBatch batch = new DatagramBatch(32, 512);
 * int n = batch.receive(socketFd);          // datagrams received, or -errno (-EAGAIN when none was queued)
 * for (int i = 0; i < n; i++) { decode(batch.view(i), batch.length(i)); }
 * }</pre>
 *
 * <p>Not thread-safe: the caller serialises receives and reads of the slots.
 */
public final class DatagramBatch {

    static final int MMSGHDR = 64;
    static final int IOVEC = 16;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_FLAGS = 48;
    private static final int MSG_LEN = 56;
    /** {@code MSG_TRUNC} in {@code msg_flags}: the datagram was longer than its slot. */
    static final int MSG_TRUNC = 0x20;

    private final int slots;
    private final int slotBytes;
    private final boolean batched;
    private final Memory headers;
    private final Memory data;
    private final ByteBuffer[] views;
    private final int[] lengths;
    private final boolean[] truncated;

    /**
     * @param slots     datagrams received per call at most
     * @param slotBytes bytes per datagram; a longer one is cut to this ({@link #truncated})
     */
    public DatagramBatch(int slots, int slotBytes) {
        if (slots < 1 || slotBytes < 1) {
            throw new IllegalArgumentException("slots and slot size must be positive: " + slots + ", " + slotBytes);
        }
        this.batched = Native.POINTER_SIZE == 8;
        this.slots = batched ? slots : 1;
        this.slotBytes = slotBytes;
        this.data = new Memory((long) this.slots * slotBytes);
        this.views = new ByteBuffer[this.slots];
        this.lengths = new int[this.slots];
        this.truncated = new boolean[this.slots];
        for (int i = 0; i < this.slots; i++) {
            views[i] = data.getByteBuffer((long) i * slotBytes, slotBytes).order(ByteOrder.nativeOrder());
        }
        if (batched) {
            headers = new Memory((long) this.slots * (MMSGHDR + IOVEC));
            headers.clear();
            long iovecs = (long) this.slots * MMSGHDR;
            for (int i = 0; i < this.slots; i++) {
                long iov = iovecs + (long) i * IOVEC;
                headers.setPointer(iov, data.share((long) i * slotBytes));
                headers.setLong(iov + 8, slotBytes);
                headers.setPointer((long) i * MMSGHDR + MSG_IOV, headers.share(iov));
                headers.setLong((long) i * MMSGHDR + MSG_IOVLEN, 1);
            }
        } else {
            headers = null;
        }
    }

    /** @return the most datagrams one {@link #receive} brings */
    public int capacity() {
        return slots;
    }

    /**
     * Receives what is queued on the non-blocking socket {@code fd}, up to {@link #capacity} datagrams.
     *
     * @return how many were received, or {@code -errno}: {@code -EAGAIN} when none was queued
     */
    public int receive(int fd) {
        if (!batched) {
            long n = LinuxLibC.recv(fd, data, slotBytes, 0);
            if (n <= 0) {
                return n < 0 ? -LinuxLibC.errno() : 0;
            }
            lengths[0] = (int) n;
            truncated[0] = false;
            return 1;
        }
        int n = LinuxLibC.recvmmsg(fd, headers, slots, 0, null);
        if (n < 0) {
            return -LinuxLibC.errno();
        }
        for (int i = 0; i < n; i++) {
            long h = (long) i * MMSGHDR;
            lengths[i] = Math.min(headers.getInt(h + MSG_LEN), slotBytes);
            truncated[i] = (headers.getInt(h + MSG_FLAGS) & MSG_TRUNC) != 0;
        }
        return n;
    }

    /** The {@code i}-th datagram of the last receive, from offset 0; read {@link #length} bytes of it. */
    public ByteBuffer view(int i) {
        return views[i];
    }

    /** The length of the {@code i}-th datagram of the last receive (cut to the slot when {@link #truncated}). */
    public int length(int i) {
        return lengths[i];
    }

    /** Whether the {@code i}-th datagram of the last receive was longer than its slot. */
    public boolean truncated(int i) {
        return truncated[i];
    }
}
