package io.environguard.sink;

import io.environguard.api.Alert;
import io.environguard.spi.AlertSink;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes alerts as JSON lines to a stream; see {@link JsonlSinkProvider}. Used by one thread at a time. */
final class JsonlSink implements AlertSink {

    private static final Logger log = LoggerFactory.getLogger(JsonlSink.class);

    private static final Set<OpenOption> CREATE_NEW = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    private static final Set<OpenOption> APPEND_EXISTING = Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    private static final Set<PosixFilePermission> OWNER_READ_WRITE =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    /** A line buffer grown past this by one huge alert is not kept. */
    private static final int MAX_KEPT_BUFFER = 64 * 1024;

    private final OutputStream out;
    private final boolean ownsStream;
    private final String destination;
    private StringBuilder line = new StringBuilder(1024);

    JsonlSink(OutputStream out, boolean ownsStream, String destination) {
        this.out = out;
        this.ownsStream = ownsStream;
        this.destination = destination;
    }

    static JsonlSink toStandardOutput(PrintStream stdout) {
        return new JsonlSink(stdout, false, "standard output");
    }

    /**
     * Opens {@code path} for appending, creating it with mode 0600 (given at creation, so the file is never
     * readable by others, not even briefly); warns when an existing regular file is open to group or others.
     */
    static JsonlSink appendingTo(Path path) throws IOException {
        FileChannel channel = null;
        // Bounded: CREATE_NEW fails only if the file exists; opening it fails only if it vanished in between.
        for (int attempt = 0; channel == null; attempt++) {
            try {
                channel = FileChannel.open(path, CREATE_NEW, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
            } catch (FileAlreadyExistsException exists) {
                try {
                    channel = FileChannel.open(path, APPEND_EXISTING);
                    warnIfShared(path);
                } catch (NoSuchFileException vanished) {
                    if (attempt >= 2) {
                        throw cannotOpen(path, vanished);
                    }
                }
            } catch (UnsupportedOperationException noPosix) {
                log.warn("jsonl sink: the file system of {} has no POSIX permissions; it was not restricted to its owner", path);
                channel = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
            } catch (IOException e) {
                throw cannotOpen(path, e);
            }
        }
        return new JsonlSink(Channels.newOutputStream(channel), true, path.toString());
    }

    private static IOException cannotOpen(Path path, IOException cause) {
        return new IOException("jsonl sink: cannot open " + path + " (" + JsonlSinkProvider.PATH_KEY
                + ") for appending: " + cause.getClass().getSimpleName(), cause);
    }

    private static void warnIfShared(Path path) {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, PosixFileAttributes.class);
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        Set<PosixFilePermission> permissions = attributes.permissions();
        boolean shared = permissions.stream().anyMatch(p -> !p.name().startsWith("OWNER_"));
        if (attributes.isRegularFile() && shared) {
            log.warn("jsonl sink: {} is accessible by group or others (mode {} {}); alerts name users, processes and "
                    + "command lines: consider chmod 600", path, octal(permissions), PosixFilePermissions.toString(permissions));
        }
    }

    /** {@code 0644} for {@code rw-r--r--}. */
    static String octal(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            // The enum is declared owner rwx, group rwx, others rwx: ordinal 0 is the highest bit.
            mode |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", mode);
    }

    @Override
    public void publish(Alert alert) throws IOException {
        line.setLength(0);
        AlertJson.appendTo(alert, line);
        line.append('\n');
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        if (line.capacity() > MAX_KEPT_BUFFER) {
            line = new StringBuilder(1024);
        }
        // One write per line: with O_APPEND, lines of several writers to one file do not interleave.
        out.write(bytes);
        out.flush();
        if (out instanceof PrintStream && ((PrintStream) out).checkError()) {
            // PrintStream swallows IOExceptions; without this check a closed stdout would count as delivered.
            throw new IOException("jsonl sink: writing to " + destination + " failed");
        }
    }

    @Override
    public void close() throws IOException {
        if (ownsStream) {
            out.close();
        } else {
            out.flush();
        }
    }
}
