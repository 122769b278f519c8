package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.Fanotify;
import java.nio.ByteBuffer;

/**
 * Walks the records of one fanotify {@code read()} by offset: no object per event. Each record is a
 * {@code struct fanotify_event_metadata} (24 bytes) followed by info records, of which only the pidfd
 * record ({@code FAN_REPORT_PIDFD}) is read; others are skipped by length.
 *
 * <pre>{@code
 * int n = LinuxLibC.read(fanotifyFd, memory, memory.size());
 * FanotifyEventDecoder.decode(view, n, (mask, fd, pid, pidfd) -> { ... close fd and pidfd ... });
 * }</pre>
 *
 * <p>The buffer must be in native byte order. A record that breaks the format stops decoding with a
 * {@link MalformedEventException}; the descriptors of the records after it cannot be known, so they leak
 * (this happens only if the kernel ABI changes under us).
 */
final class FanotifyEventDecoder {

    /** Passed as {@code pidfd} when the record carries no pidfd info (the group lacks {@code FAN_REPORT_PIDFD}). */
    static final int NO_PIDFD_RECORD = Integer.MIN_VALUE;

    /** Receives each record; owns (must close) {@code fd} and {@code pidfd} when they are {@code >= 0}. */
    @FunctionalInterface
    interface Handler {
        /**
         * @param mask  the event bits ({@code FAN_OPEN}, {@code FAN_Q_OVERFLOW})
         * @param fd    an open descriptor of the file, {@code FAN_NOFD}, or {@code -errno} with {@code FAN_REPORT_FD_ERROR}
         * @param pid   the reader's process id (0 when the kernel hides it)
         * @param pidfd a pidfd of the reader, {@code FAN_NOPIDFD}/{@code FAN_EPIDFD}/{@code -errno}, or {@link #NO_PIDFD_RECORD}
         */
        void onEvent(long mask, int fd, int pid, int pidfd);
    }

    /** A record that does not follow the fanotify format. */
    static final class MalformedEventException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedEventException(String message) {
            super(message);
        }
    }

    private FanotifyEventDecoder() {
    }

    /**
     * Decodes the records in {@code buffer[0, length)} in order.
     *
     * @return the number of records
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
                throw new MalformedEventException("fanotify record at offset " + offset + " has event_len " + eventLen
                        + " and metadata_len " + metadataLen + " in a read of " + length + " bytes");
            }
            long mask = buffer.getLong(offset + 8);
            int fd = buffer.getInt(offset + 16);
            int pid = buffer.getInt(offset + 20);
            int pidfd = pidfdOf(buffer, offset, metadataLen, eventLen);
            handler.onEvent(mask, fd, pid, pidfd);
            offset += eventLen;
            count++;
        }
        if (offset != length) {
            throw new MalformedEventException(
                    (length - offset) + " trailing bytes after " + count + " fanotify records");
        }
        return count;
    }

    private static int pidfdOf(ByteBuffer buffer, int event, int metadataLen, int eventLen) {
        int info = event + metadataLen;
        int end = event + eventLen;
        while (end - info >= 4) {
            int type = buffer.get(info) & 0xFF;
            int len = buffer.getShort(info + 2) & 0xFFFF;
            if (len < 4 || len > end - info) {
                throw new MalformedEventException("fanotify info record of type " + type + " has length " + len
                        + " at offset " + info);
            }
            if (type == Fanotify.INFO_TYPE_PIDFD && len >= 8) {
                return buffer.getInt(info + 4);
            }
            info += len;
        }
        return NO_PIDFD_RECORD;
    }
}
