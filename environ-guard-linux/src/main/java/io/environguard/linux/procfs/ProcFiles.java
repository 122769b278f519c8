package io.environguard.linux.procfs;

import io.environguard.linux.proc.ProcIds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The small reads a scan makes many of: one {@code /proc} file into a reused buffer, a directory of numeric
 * names, a link. Confined to the scanning thread (one buffer).
 */
final class ProcFiles {

    /** schedstat, stat and the like fit; cmdline is read up to this much too. */
    static final int BUFFER_BYTES = 64 * 1024;
    private static final int[] NO_IDS = new int[0];

    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);

    /**
     * Reads up to {@link #BUFFER_BYTES} of {@code file} into the shared buffer and returns its array; the
     * length read is the return of {@link #length()}. Valid until the next read.
     */
    byte[] read(Path file) throws IOException {
        buffer.clear();
        try (SeekableByteChannel ch = Files.newByteChannel(file)) {
            // procfs hands a small seq_file over in one read; the loop is for regular files of simulated trees
            while (buffer.hasRemaining() && ch.read(buffer) > 0) {
                // keep reading
            }
        }
        return buffer.array();
    }

    /** The length of the last {@link #read}. */
    int length() {
        return buffer.position();
    }

    /** A copy of the last read. */
    byte[] copy() {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /**
     * {@code /proc/P/schedstat}: run time, wait time (both ns) and time slices; {@code null} when the file is
     * missing, malformed, or all zero (a kernel that does not count).
     */
    long[] schedstat(Path file) throws IOException {
        read(file);
        byte[] b = buffer.array();
        int n = buffer.position();
        long[] out = new long[3];
        int field = 0;
        long value = 0;
        boolean digits = false;
        for (int i = 0; i < n && field < 3; i++) {
            byte c = b[i];
            if (c >= '0' && c <= '9') {
                if (value > (Long.MAX_VALUE - 9) / 10) {
                    return null;
                }
                value = value * 10 + (c - '0');
                digits = true;
            } else if ((c == ' ' || c == '\n') && digits) {
                out[field++] = value;
                value = 0;
                digits = false;
            } else {
                return null;
            }
        }
        if (field < 3 || (out[0] == 0 && out[1] == 0 && out[2] == 0)) {
            return null;
        }
        return out;
    }

    /**
     * The {@code flags:} of a descriptor, from {@code /proc/P/fdinfo/N} (octal there), or -1 when the file is
     * missing (simulated trees have none), unreadable or without the line.
     */
    int fdFlags(Path fdinfo) {
        try {
            read(fdinfo);
        } catch (IOException e) {
            return -1;
        }
        byte[] b = buffer.array();
        int n = buffer.position();
        for (int i = 0; i + 6 < n; i++) {
            if ((i == 0 || b[i - 1] == '\n') && b[i] == 'f' && b[i + 1] == 'l' && b[i + 2] == 'a' && b[i + 3] == 'g'
                    && b[i + 4] == 's' && b[i + 5] == ':') {
                int j = i + 6;
                while (j < n && (b[j] == '\t' || b[j] == ' ')) {
                    j++;
                }
                long flags = 0;
                int digits = 0;
                while (j < n && b[j] >= '0' && b[j] <= '7' && digits < 11) {
                    flags = flags * 8 + (b[j] - '0');
                    j++;
                    digits++;
                }
                return digits == 0 ? -1 : (int) flags;
            }
        }
        return -1;
    }

    /**
     * The numeric entries of {@code dir}, ascending.
     *
     * @throws java.nio.file.NoSuchFileException when the directory is gone
     */
    static int[] listIds(Path dir) throws IOException {
        int[] ids = NO_IDS;
        int count = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                int id = ProcIds.parse(entry.getFileName().toString());
                if (id > 0) {
                    if (count == ids.length) {
                        ids = Arrays.copyOf(ids, Math.max(8, count * 2));
                    }
                    ids[count++] = id;
                }
            }
        } catch (DirectoryIteratorException e) {
            throw e.getCause();
        }
        int[] out = Arrays.copyOf(ids, count);
        Arrays.sort(out);
        return out;
    }

    /** The target of {@code link}, or {@code null} when it cannot be read. */
    static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }
}
