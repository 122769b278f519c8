package io.environguard.linux.proc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How {@link ProcessInspector} touches the filesystem: one read or one readlink per call. A seam so
 * that tests can make a process vanish between two particular reads, deterministically.
 */
interface ProcReads {

    /** Reads at most {@code maxBytes} of {@code file}. */
    byte[] read(Path file, int maxBytes) throws IOException;

    /** {@code readlink(link)} as a string. */
    String readLink(Path link) throws IOException;

    /** The real thing. */
    ProcReads FILES = new ProcReads() {
        @Override
        public byte[] read(Path file, int maxBytes) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes(maxBytes);
            }
        }

        @Override
        public String readLink(Path link) throws IOException {
            return Files.readSymbolicLink(link).toString();
        }
    };
}
