package io.environguard.linux.proc;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How {@link ProcessInspector} touches the filesystem: one read or one readlink per call. A seam so
 * that tests can make a process vanish between two particular reads, deterministically, and so that a
 * caller on a hot path can read through libc (the fanotify source's {@code NativeProcReads}) while this package stays
 * free of native code.
 */
public interface ProcReads {

    /**
     * Reads at most {@code maxBytes} of {@code file}.
     *
     * @param file     the file to read
     * @param maxBytes the most bytes to read
     * @return the bytes read, up to end of file or {@code maxBytes}
     * @throws IOException when the file cannot be opened or read (the process is gone, or another user's)
     */
    byte[] read(Path file, int maxBytes) throws IOException;

    /**
     * @param link a symbolic link
     * @return {@code readlink(link)} as a string
     * @throws IOException when the link cannot be read (the process is gone, or another user's)
     */
    String readLink(Path link) throws IOException;

    /**
     * The real thing. Reads go through {@link FileInputStream} (open, read, close) rather than
     * {@code Files.newInputStream}: its channel machinery cost about three times as much per small {@code /proc}
     * file, measured on the fanotify resolver's path (about 170 against 50 us for six files, interpreted;
     * 25-50 against 17-26 us compiled), which runs for every environ access and often before the JIT has
     * compiled it. Paths are always on the default file system here.
     */
    ProcReads FILES = new ProcReads() {
        @Override
        public byte[] read(Path file, int maxBytes) throws IOException {
            try (InputStream in = new FileInputStream(file.toFile())) {
                return in.readNBytes(maxBytes);
            }
        }

        @Override
        public String readLink(Path link) throws IOException {
            return Files.readSymbolicLink(link).toString();
        }
    };
}
