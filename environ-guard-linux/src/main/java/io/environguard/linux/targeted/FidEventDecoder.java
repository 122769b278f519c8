package io.environguard.linux.targeted;

import java.nio.ByteBuffer;

/**
 * Walks the records of one {@code read()} of a {@code FAN_REPORT_FID} group by offset: no object per event.
 * Each record is a {@code struct fanotify_event_metadata} (24 bytes, {@code fd} always {@code FAN_NOFD})
 * followed by info records: a FID record ({@code struct fanotify_event_info_fid}: header, 8-byte fsid,
 * {@code struct file_handle}) and, when the group has {@code FAN_REPORT_PIDFD}, a pidfd record.
 *
 * <p>procfs encodes its handles as {@code FILEID_INO64_GEN} (type {@code 0x81}, 12 bytes: the 64-bit inode
 * number then a 32-bit generation of 0), measured in KERNEL-FACTS.md; the inode number is what the mark
 * table is keyed by. A handle of another type yields inode {@code -1}.
 *
 * <pre>{@code
 * FidEventDecoder.decode(view, n, (mask, pid, fsid, inode, pidfd) -> { ... close pidfd ... });
 * }</pre>
 *
 * <p>The buffer must be in native byte order. A record that breaks the format stops decoding with an
 * {@link IllegalStateException}; the pidfds of the records after it cannot be known, so they leak (this
 * happens only if the kernel ABI changes under us).
 */
final class FidEventDecoder {

    static final int FANOTIFY_METADATA_VERSION = 3;
    static final int METADATA_LEN = 24;
    static final int INFO_TYPE_FID = 1;
    static final int INFO_TYPE_PIDFD = 4;
    /** {@code FILEID_INO64_GEN}: what procfs (which cannot be exported) gets from {@code exportfs_encode_fid}. */
    static final int HANDLE_TYPE_INO64_GEN = 0x81;
    /** Passed as {@code pidfd} when the record carries no pidfd info (the group lacks {@code FAN_REPORT_PIDFD}). */
    static final int NO_PIDFD_RECORD = Integer.MIN_VALUE;

    /** Receives each record; owns (must close) {@code pidfd} when it is {@code >= 0}. */
    @FunctionalInterface
    interface Handler {
        /**
         * @param mask  the event bits ({@code FAN_OPEN}, {@code FAN_Q_OVERFLOW})
         * @param pid   the reader's process id (0 when the kernel hides it from an unprivileged listener)
         * @param fsid  the filesystem id ({@code f_fsid} of {@code statfs}), as one long: {@code val[0]} in the
         *              low 32 bits; 0 for a record without FID info (an overflow)
         * @param inode the inode number, or -1 (no FID record, or a handle that is not {@code FILEID_INO64_GEN})
         * @param pidfd a pidfd of the reader, {@code FAN_NOPIDFD}/{@code FAN_EPIDFD}, or {@link #NO_PIDFD_RECORD}
         */
        void onEvent(long mask, int pid, long fsid, long inode, int pidfd);
    }

    private FidEventDecoder() {
    }

    /**
     * Decodes the records in {@code buffer[0, length)} in order.
     *
     * @return the number of records
     */
    static int decode(ByteBuffer buffer, int length, Handler handler) {
        int offset = 0;
        int count = 0;
        while (length - offset >= METADATA_LEN) {
            int eventLen = buffer.getInt(offset);
            int version = buffer.get(offset + 4) & 0xFF;
            int metadataLen = buffer.getShort(offset + 6) & 0xFFFF;
            if (version != FANOTIFY_METADATA_VERSION) {
                throw new IllegalStateException("fanotify metadata version " + version + " at offset " + offset
                        + "; this code reads version " + FANOTIFY_METADATA_VERSION);
            }
            if (eventLen < METADATA_LEN || eventLen > length - offset
                    || metadataLen < METADATA_LEN || metadataLen > eventLen) {
                throw new IllegalStateException("fanotify record at offset " + offset + " has event_len " + eventLen
                        + " and metadata_len " + metadataLen + " in a read of " + length + " bytes");
            }
            long mask = buffer.getLong(offset + 8);
            int pid = buffer.getInt(offset + 20);
            long fsid = 0;
            long inode = -1;
            int pidfd = NO_PIDFD_RECORD;
            int info = offset + metadataLen;
            int end = offset + eventLen;
            while (end - info >= 4) {
                int type = buffer.get(info) & 0xFF;
                int len = buffer.getShort(info + 2) & 0xFFFF;
                if (len < 4 || len > end - info) {
                    throw new IllegalStateException("fanotify info record of type " + type + " has length " + len
                            + " at offset " + info);
                }
                if (type == INFO_TYPE_FID && len >= 4 + 8 + 8) {
                    fsid = (buffer.getInt(info + 4) & 0xFFFFFFFFL) | ((long) buffer.getInt(info + 8) << 32);
                    int handleBytes = buffer.getInt(info + 12);
                    int handleType = buffer.getInt(info + 16);
                    if (handleType == HANDLE_TYPE_INO64_GEN && handleBytes >= 8 && 20 + handleBytes <= len) {
                        inode = buffer.getLong(info + 20);
                    }
                } else if (type == INFO_TYPE_PIDFD && len >= 8) {
                    pidfd = buffer.getInt(info + 4);
                }
                info += len;
            }
            handler.onEvent(mask, pid, fsid, inode, pidfd);
            offset += eventLen;
            count++;
        }
        if (offset != length) {
            throw new IllegalStateException((length - offset) + " trailing bytes after " + count + " fanotify records");
        }
        return count;
    }
}
