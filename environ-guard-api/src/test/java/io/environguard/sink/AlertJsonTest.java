package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pins the exact lines, so that a change of the format is a visible, deliberate change. */
class AlertJsonTest {

    @Test
    void singleAccess() {
        assertEquals("{\"time\":\"2025-01-02T03:04:05.123Z\",\"rule\":\"environ_read_from_procfs\",\"severity\":\"high\","
                + "\"access\":\"open\",\"file\":\"environ\",\"path\":\"/proc/42/environ\",\"alias\":\"process\",\"source\":\"fanotify\","
                + "\"reader\":{\"pid\":4242,\"tid\":4243,\"ppid\":1,\"uid\":1000,\"comm\":\"cat\",\"exe\":\"/usr/bin/cat\","
                + "\"cmdline\":[\"cat\",\"/proc/42/environ\"],\"container\":null,\"complete\":true,\"start_time\":777,"
                + "\"ancestors\":[]},"
                + "\"target\":{\"pid\":42,\"uid\":1000,\"comm\":\"sleep\",\"exe\":\"/usr/bin/sleep\",\"container\":\"c0ffee\",\"complete\":true,"
                + "\"start_time\":null},"
                + "\"mitre\":{\"tactic\":\"TA0007\",\"tactic_name\":\"Discovery\",\"technique\":\"T1082\","
                + "\"technique_name\":\"System Information Discovery\"},"
                + "\"reasons\":[\"no allow rule matches\",\"second reason\"],\"notes\":[]}",
                AlertJson.toJson(SampleAlerts.single()));
    }

    @Test
    void aReaderWithLineageListsItsAncestorsParentFirst() {
        String json = AlertJson.toJson(Alert.of(SampleAlerts.access().reader(SampleAlerts.catOfShell(901)).build(),
                Rules.ENVIRON_READ, Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of()));
        assertEquals(true, json.contains("\"reader\":{\"pid\":901,\"tid\":901,\"ppid\":812,\"uid\":0,\"comm\":\"cat\","
                + "\"exe\":\"/usr/bin/cat\",\"cmdline\":[],\"container\":null,\"complete\":true,\"start_time\":91201,"
                + "\"ancestors\":[{\"pid\":812,\"start_time\":90210,\"comm\":\"bash\",\"exe\":\"/usr/bin/bash\"},"
                + "{\"pid\":400,\"start_time\":3000,\"comm\":\"sshd\",\"exe\":\"/usr/sbin/sshd\"},"
                + "{\"pid\":1,\"start_time\":1,\"comm\":\"systemd\",\"exe\":\"/usr/lib/systemd/systemd\"}]}"), json);
    }

    @Test
    void aFamilySweepNamesTheParentAsActorAndListsItsReaders() {
        String json = AlertJson.toJson(SampleAlerts.familySweep(Rules.ENVIRON_SWEEP, 2));
        assertEquals(true, json.endsWith(",\"targets\":[100,101],\"count\":2,"
                + "\"actor\":{\"pid\":812,\"start_time\":90210,\"comm\":\"bash\",\"exe\":\"/usr/bin/bash\"},"
                + "\"readers\":[{\"pid\":901,\"start_time\":91201,\"comm\":\"cat\",\"exe\":\"/usr/bin/cat\"},"
                + "{\"pid\":902,\"start_time\":91202,\"comm\":\"cat\",\"exe\":\"/usr/bin/cat\"}]}"), json);
        assertEquals(true, json.startsWith("{\"time\":\"2025-01-02T03:04:05.123Z\",\"rule\":\"environ_sweep\","), json);
        assertEquals(true, AlertJson.toJson(SampleAlerts.familySweep(Rules.ENVIRON_SWEEP_ENDED, 2))
                .startsWith("{\"time\":\"2025-01-02T03:04:05.123Z\",\"rule\":\"environ_sweep_ended\","));
    }

    @Test
    void sweepAddsTargetPidsAndCount() {
        String json = AlertJson.toJson(SampleAlerts.sweep(3));
        assertEquals(true, json.endsWith(",\"reasons\":[\"one reader, many targets\"],\"notes\":[],\"targets\":[100,101,102],\"count\":5,"
                + "\"actor\":null,\"readers\":[]}"), json);
    }

    @Test
    void lostEventsHaveNoAccessFieldsAndSortedCauses() {
        assertEquals("{\"time\":\"2025-01-02T03:04:05.123Z\",\"rule\":\"environ_events_lost\",\"severity\":\"high\","
                + "\"mitre\":null,\"reasons\":[\"events may have been missed\"],"
                + "\"lost\":{\"queue_overflow\":12,\"target_exited\":5},\"count\":17}",
                AlertJson.toJson(SampleAlerts.lost()));
    }

    @Test
    void unknownReaderWithCandidates() {
        Alert alert = Alert.of(SampleAlerts.access().reader(ProcessInfo.unknown()).path(null).alias(AliasKind.UNKNOWN)
                        .possibleReaders(List.of(SampleAlerts.cat())).notes(List.of("reader hidden from an unprivileged listener")).build(),
                Rules.ENVIRON_READ, Severity.MEDIUM, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of());
        String json = AlertJson.toJson(alert);
        assertEquals(true, json.contains(",\"path\":null,\"alias\":\"unknown\","), json);
        assertEquals(true, json.contains("\"reader\":{\"pid\":null,\"tid\":null,\"ppid\":null,\"uid\":null,\"comm\":null,"
                + "\"exe\":null,\"cmdline\":[],\"container\":null,\"complete\":false,\"start_time\":null,\"ancestors\":[]}"), json);
        assertEquals(true, json.endsWith("\"reasons\":[],\"notes\":[\"reader hidden from an unprivileged listener\"],"
                + "\"possible_readers\":[{\"pid\":4242,\"tid\":4243,\"ppid\":1,\"uid\":1000,\"comm\":\"cat\",\"exe\":\"/usr/bin/cat\","
                + "\"cmdline\":[\"cat\",\"/proc/42/environ\"],\"container\":null,\"complete\":true}]}"), json);
    }

    @Test
    void escapesWhatJsonAndLineReadersNeedEscaped() {
        StringBuilder out = new StringBuilder();
        JsonWriter.appendString(out, "a\"b\\c\n\r\t\b\f\u0000\u001b\u007f\u0085\u2028\u2029é😀\ud800x\udc00");
        assertEquals("\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001b\\u007f\\u0085\\u2028\\u2029é😀\ufffdx\ufffd\"", out.toString());
    }

    @Test
    void bidirectionalControlsAreEscapedTooSoThatARawLineCannotBeReordered() {
        StringBuilder out = new StringBuilder();
        JsonWriter.appendString(out, "a\u202eb\u2066c\u200fd");
        assertEquals("\"a\\u202eb\\u2066c\\u200fd\"", out.toString());
    }

    @Test
    void aHighSurrogateAtTheEndIsReplaced() {
        StringBuilder out = new StringBuilder();
        JsonWriter.appendString(out, "x\ud83d");
        assertEquals("\"x\ufffd\"", out.toString());
    }
}
