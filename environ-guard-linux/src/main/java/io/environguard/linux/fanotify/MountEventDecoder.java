package io.environguard.linux.fanotify;

import io.environguard.linux.fanotify.FanotifyEventDecoder.MalformedEventException;
import io.environguard.linux.nativeio.Fanotify;
import java.nio.ByteBuffer;

/**
 * Walks the records of one {@code read()} of a {@code FAN_REPORT_MNT} group by offset. Each record is a
 * {@code struct fanotify_event_metadata} (24 bytes, {@code fd} always {@code FAN_NOFD}) followed by info
 * records, of which only {@code FAN_EVENT_INFO_TYPE_MNT} (the 64-bit id of the mount) is read; others are
 * skipped by length. A record carries no descriptor, so a malformed one leaks nothing.
 *
 * <pre>{@code
 * int n = group.read(memory);
 * MountEventDecoder.decode(view, n, (mask, pid, mountId) -> { ... });
 * }</pre>
 */
final class MountEventDecoder {

    /** Passed as {@code mountId} when the record has no mount info record (an overflow record). */
    static final long NO_MOUNT = -1;

    /** {@code sizeof(struct fanotify_event_info_mnt)}: header (4), padding (4), mount id (8). */
    static final int MNT_INFO_LEN = 16;
    private static final int MNT_ID_OFFSET = 8;

    /** Receives each record. */
    @FunctionalInterface
    interface Handler {
        /**
         * @param mask    {@code FAN_MNT_ATTACH}, {@code FAN_MNT_DETACH} (both for a move), or {@code FAN_Q_OVERFLOW}
         * @param pid     the process that made the change, in this pid namespace (0 when the kernel hides it)
         * @param mountId the mount's 64-bit unique id (for {@code statmount}), or {@link #NO_MOUNT}
         */
        void onMountEvent(long mask, int pid, long mountId);
    }

    private MountEventDecoder() {
    }

    /**
     * Decodes the records in {@code buffer[0, length)} in order (native byte order).
     *
     * @return the number of records
     * @throws MalformedEventException if a record breaks the format; the records before it were delivered
     */
    static int decode(ByteBuffer buffer, int length, Handler handler) {
        int offset = 0;
        int count = 0;
        while (length - offset >= Fanotify.METADATA_LEN) {
            int eventLen = buffer.getInt(offset);
            int version = buffer.get(offset + 4) & 0xFF;
            int metadataLen = buffer.getShort(offset + 6) & 0xFFFF;
            if (version != Fanotify.FANOTIFY_METADATA_VERSION) {
                throw new MalformedEventException("fanotify metadata version " + version + " at offset " + offset
                        + "; this code reads version " + Fanotify.FANOTIFY_METADATA_VERSION);
            }
            if (eventLen < Fanotify.METADATA_LEN || eventLen > length - offset
                    || metadataLen < Fanotify.METADATA_LEN || metadataLen > eventLen) {
                throw new MalformedEventException("fanotify mount record at offset " + offset + " has event_len "
                        + eventLen + " and metadata_len " + metadataLen + " in a read of " + length + " bytes");
            }
            long mask = buffer.getLong(offset + 8);
            int pid = buffer.getInt(offset + 20);
            handler.onMountEvent(mask, pid, mountIdOf(buffer, offset + metadataLen, offset + eventLen));
            offset += eventLen;
            count++;
        }
        if (offset != length) {
            throw new MalformedEventException((length - offset) + " trailing bytes after " + count
                    + " fanotify mount records");
        }
        return count;
    }

    private static long mountIdOf(ByteBuffer buffer, int info, int end) {
        while (end - info >= 4) {
            int type = buffer.get(info) & 0xFF;
            int len = buffer.getShort(info + 2) & 0xFFFF;
            if (len < 4 || len > end - info) {
                throw new MalformedEventException("fanotify info record of type " + type + " has length " + len
                        + " at offset " + info);
            }
            if (type == Fanotify.INFO_TYPE_MNT) {
                if (len < MNT_INFO_LEN) {
                    throw new MalformedEventException("fanotify mount info record of length " + len + " at offset "
                            + info + "; it holds " + MNT_INFO_LEN + " bytes");
                }
                return buffer.getLong(info + MNT_ID_OFFSET);
            }
            info += len;
        }
        return NO_MOUNT;
    }
}
