package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@SuppressWarnings("try") // AlertSink.close() may throw InterruptedException; these sinks do not
class JsonlSinkTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    private static AlertSink fileSink(Path file) throws Exception {
        return new JsonlSinkProvider().create(GuardConfig.of(Map.of(JsonlSinkProvider.PATH_KEY, file.toString())));
    }

    @Test
    void createsTheFileOwnerOnlyAndAppendsAcrossInstances() throws Exception {
        Path file = dir.resolve("alerts.jsonl");
        try (AlertSink sink = fileSink(file)) {
            sink.publish(SampleAlerts.single());
            sink.publish(SampleAlerts.sweep(2));
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
        assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), mode,
                PosixFilePermissions.toString(mode));

        try (AlertSink sink = fileSink(file)) {
            sink.publish(SampleAlerts.lost());
        }
        assertEquals(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file));

        String content = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(content.endsWith("\n"));
        List<String> lines = List.of(content.split("\n", -1)).subList(0, 3);
        assertEquals(4, content.split("\n", -1).length, content);
        List<String> rules = List.of("environ_read_from_procfs", "environ_sweep", "environ_events_lost");
        for (int i = 0; i < 3; i++) {
            JsonNode node = MAPPER.readTree(lines.get(i));
            assertTrue(node.isObject());
            assertEquals(rules.get(i), node.get("rule").asText());
        }
    }

    @Test
    void eachAlertIsOnDiskWhenPublishReturns() throws Exception {
        Path file = dir.resolve("alerts.jsonl");
        try (AlertSink sink = fileSink(file)) {
            sink.publish(SampleAlerts.single());
            assertEquals(AlertJson.toJson(SampleAlerts.single()) + "\n", Files.readString(file, StandardCharsets.UTF_8));
        }
    }

    @Test
    void anExistingFileOpenToOthersIsAppendedToWithAWarningAndKeepsItsMode() throws Exception {
        Path file = dir.resolve("shared.jsonl");
        Files.writeString(file, "{\"earlier\":true}\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        String log;
        try (CapturedStderr stderr = new CapturedStderr(); AlertSink sink = fileSink(file)) {
            sink.publish(SampleAlerts.single());
            log = stderr.text();
        }
        assertTrue(log.contains(file.toString()) && log.contains("0644") && log.contains("rw-r--r--"), log);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(2, Files.readAllLines(file).size());
    }

    @Test
    void anExistingOwnerOnlyFileIsAppendedToSilently() throws Exception {
        Path file = dir.resolve("private.jsonl");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        String log;
        try (CapturedStderr stderr = new CapturedStderr(); AlertSink sink = fileSink(file)) {
            sink.publish(SampleAlerts.single());
            log = stderr.text();
        }
        assertFalse(log.contains(file.toString()), log);
        assertEquals(1, Files.readAllLines(file).size());
    }

    @Test
    void aFileThatCannotBeOpenedFailsCreateNamingTheKey() {
        Path file = dir.resolve("missing-dir").resolve("alerts.jsonl");
        IOException e = assertThrows(IOException.class, () -> fileSink(file));
        assertTrue(e.getMessage().contains(JsonlSinkProvider.PATH_KEY) && e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void standardOutputIsTheDefaultAndIsNeverClosed() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = new PrintStream(captured, false, StandardCharsets.UTF_8);
        System.setOut(stdout);
        try {
            try (AlertSink sink = new JsonlSinkProvider().create(GuardConfig.empty())) {
                sink.publish(SampleAlerts.lost());
                // Flushed per alert: visible before close.
                assertEquals(AlertJson.toJson(SampleAlerts.lost()) + "\n", captured.toString(StandardCharsets.UTF_8));
            }
            stdout.print("still open");
            assertFalse(stdout.checkError(), "the sink closed standard output");
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void aFailingStandardOutputIsReportedNotSwallowed() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("broken pipe");
            }
        };
        AlertSink sink = JsonlSink.toStandardOutput(new PrintStream(broken, false, StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> sink.publish(SampleAlerts.single()));
    }

    @Test
    void anEmptyPathIsRejectedWithoutEchoingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new JsonlSinkProvider().create(GuardConfig.of(Map.of(JsonlSinkProvider.PATH_KEY, "  "))));
        assertTrue(e.getMessage().contains(JsonlSinkProvider.PATH_KEY), e.getMessage());
    }

    @Test
    void enabledByDefaultOnlyWhenAPathIsConfigured() {
        JsonlSinkProvider provider = new JsonlSinkProvider();
        assertFalse(provider.enabledByDefault(GuardConfig.empty()));
        assertTrue(provider.enabledByDefault(GuardConfig.of(Map.of("ENVIRONGUARD_SINK_JSONL_PATH", "-"))));
    }

    @Test
    void octalModes() {
        assertEquals("0600", JsonlSink.octal(PosixFilePermissions.fromString("rw-------")));
        assertEquals("0755", JsonlSink.octal(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals("0000", JsonlSink.octal(PosixFilePermissions.fromString("---------")));
    }
}
