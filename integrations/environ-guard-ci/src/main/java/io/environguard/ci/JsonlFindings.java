package io.environguard.ci;

import io.environguard.sink.AlertJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes each finding's alert as one JSON line (the {@code jsonl} alert format, {@link AlertJson}) as soon as it is
 * made, flushed, so that a run killed half-way (a CI timeout) still leaves its evidence. The file is created anew
 * for each run, with mode {@code 0600} (on a filesystem that has modes).
 *
 * <pre>{@code
 * try (JsonlFindings out = JsonlFindings.create(Path.of("findings.jsonl"))) {
 *     out.write(finding);
 * }
 * }</pre>
 */
public final class JsonlFindings implements AutoCloseable {

    private final Path path;
    private final Writer out;
    private IOException failure;

    private JsonlFindings(Path path, Writer out) {
        this.path = path;
        this.out = out;
    }

    /**
     * Creates (or empties) {@code path} and its directory.
     *
     * @param path the findings file, created anew with mode {@code 0600} (an existing one is deleted first)
     * @return the open file, to close when the run ends
     * @throws IOException when the directory or the file cannot be created
     */
    public static JsonlFindings create(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.deleteIfExists(path);
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(path);
        }
        Writer w = new BufferedWriter(new OutputStreamWriter(
                Files.newOutputStream(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING),
                StandardCharsets.UTF_8));
        return new JsonlFindings(path, w);
    }

    /** @return the findings file */
    public Path path() {
        return path;
    }

    /**
     * Appends the finding's alert as one line and flushes. A write error is kept for {@link #close}, and later
     * findings are not written.
     *
     * @param finding the finding whose alert is written
     */
    public synchronized void write(Finding finding) {
        if (failure != null) {
            return;
        }
        try {
            out.write(AlertJson.toJson(finding.alert()));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Closes the file; throws the first write error, if any, so that a lost report is never silent. */
    @Override
    public synchronized void close() throws IOException {
        try {
            out.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new IOException("cannot write the findings report " + path + ": " + failure.getMessage(), failure);
        }
    }
}
