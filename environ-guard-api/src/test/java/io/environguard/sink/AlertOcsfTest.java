package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.Mitre;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlertOcsfTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final AlertOcsf ocsf = new AlertOcsf("web-1", "0.1.0");

    @Test
    void aReadIsAFileSystemActivityReadWithEveryFieldMapped() throws Exception {
        JsonNode e = JSON.readTree(ocsf.toJson(SampleAlerts.single()));
        assertEquals(2, e.get("activity_id").asInt());
        assertEquals("Read", e.get("activity_name").asText());
        assertEquals(1, e.get("category_uid").asInt());
        assertEquals(1001, e.get("class_uid").asInt());
        assertEquals(100102, e.get("type_uid").asLong());
        assertEquals(SampleAlerts.TIME.toEpochMilli(), e.get("time").asLong());
        assertEquals(4, e.get("severity_id").asInt());
        assertEquals("High", e.get("severity").asText());
        assertEquals(1, e.get("status_id").asInt());
        assertEquals(1, e.get("action_id").asInt());
        assertEquals(AlertText.format(SampleAlerts.single()), e.get("message").asText());
        assertNull(e.get("count"), "count is for sweeps");

        JsonNode metadata = e.get("metadata");
        assertEquals(AlertOcsf.SCHEMA_VERSION, metadata.get("version").asText());
        assertEquals("environ-guard", metadata.get("product").get("name").asText());
        assertEquals("environ-guard", metadata.get("product").get("vendor_name").asText());
        assertEquals("0.1.0", metadata.get("product").get("version").asText());
        assertEquals(Rules.ENVIRON_READ, metadata.get("event_code").asText());

        JsonNode device = e.get("device");
        assertEquals("web-1", device.get("hostname").asText());
        assertEquals(0, device.get("type_id").asInt());
        assertEquals("Linux", device.get("os").get("name").asText());
        assertEquals(200, device.get("os").get("type_id").asInt());

        JsonNode process = e.get("actor").get("process");
        assertEquals(4242, process.get("pid").asInt());
        assertEquals(4243, process.get("tid").asInt());
        assertEquals("4242:777", process.get("uid").asText());
        assertEquals("cat", process.get("name").asText());
        assertEquals("cat /proc/42/environ", process.get("cmd_line").asText());
        assertEquals("/usr/bin/cat", process.get("file").get("path").asText());
        assertEquals("cat", process.get("file").get("name").asText());
        assertEquals(1, process.get("file").get("type_id").asInt());
        assertEquals("1000", process.get("user").get("uid").asText());
        assertEquals(1, process.get("parent_process").get("pid").asInt());

        JsonNode file = e.get("file");
        assertEquals("/proc/42/environ", file.get("path").asText());
        assertEquals("environ", file.get("name").asText());
        assertEquals(1, file.get("type_id").asInt());
        assertEquals("1000", file.get("owner").get("uid").asText());

        JsonNode attack = e.get("attacks").get(0);
        assertEquals("TA0007", attack.get("tactic").get("uid").asText());
        assertEquals("Discovery", attack.get("tactic").get("name").asText());
        assertEquals("T1082", attack.get("technique").get("uid").asText());
        assertEquals("System Information Discovery", attack.get("technique").get("name").asText());
        assertNull(attack.get("sub_technique"));

        JsonNode unmapped = e.get("unmapped");
        assertEquals(Rules.ENVIRON_READ, unmapped.get("rule").asText());
        assertEquals("open", unmapped.get("access").asText());
        assertEquals("process", unmapped.get("alias").asText());
        assertEquals("fanotify", unmapped.get("source").asText());
        assertEquals("no allow rule matches", unmapped.get("reasons").get(0).asText());
        assertEquals(42, unmapped.get("target").get("pid").asInt());
        assertEquals("/usr/bin/sleep", unmapped.get("target").get("exe").asText());
        assertEquals("c0ffee", unmapped.get("target").get("container").asText());
        assertTrue(unmapped.get("reader").get("complete").asBoolean());
    }

    @Test
    void aSweepCarriesItsCountAndTargets() throws Exception {
        JsonNode e = JSON.readTree(ocsf.toJson(SampleAlerts.sweep(12)));
        assertEquals(1001, e.get("class_uid").asInt());
        assertEquals(5, e.get("severity_id").asInt());
        assertEquals(14, e.get("count").asLong());
        assertEquals(12, e.get("unmapped").get("targets").size());
        assertEquals(100, e.get("unmapped").get("targets").get(0).asInt());
    }

    @Test
    void aReaderWithLineageHasTheParentChainAndTheLineageOfExecutables() throws Exception {
        Alert a = Alert.of(SampleAlerts.access().reader(SampleAlerts.catOfShell(901)).build(), Rules.ENVIRON_READ,
                Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("r"));
        JsonNode process = JSON.readTree(ocsf.toJson(a)).get("actor").get("process");
        JsonNode parent = process.get("parent_process");
        assertEquals(812, parent.get("pid").asInt());
        assertEquals("812:90210", parent.get("uid").asText());
        assertEquals("bash", parent.get("name").asText());
        assertEquals("/usr/bin/bash", parent.get("file").get("path").asText());
        JsonNode grandparent = parent.get("parent_process");
        assertEquals(400, grandparent.get("pid").asInt());
        assertEquals("sshd", grandparent.get("name").asText());
        JsonNode init = grandparent.get("parent_process");
        assertEquals(1, init.get("pid").asInt());
        assertNull(init.get("parent_process"), "the chain ends where the lineage ends");
        assertNull(parent.get("lineage"), "lineage is for the top-level process only");
        assertEquals(List.of("/usr/lib/systemd/systemd", "/usr/sbin/sshd", "/usr/bin/bash", "/usr/bin/cat"),
                JSON.convertValue(process.get("lineage"), List.class), "oldest first, the reader's own last");
    }

    @Test
    void anUnknownExecutableInTheLineageIsUnknownAndWithoutLineageOnlyThePpidIsKnown() throws Exception {
        ProcessInfo reader = ProcessInfo.builder(9).ppid(8).ancestors(List.of(new Ancestor(8, -1, null, null))).build();
        JsonNode process = JSON.readTree(ocsf.toJson(Alert.of(SampleAlerts.access().reader(reader).build(),
                Rules.ENVIRON_READ, Severity.HIGH, null, List.of()))).get("actor").get("process");
        assertEquals(List.of("unknown", "unknown"), JSON.convertValue(process.get("lineage"), List.class));
        assertEquals(8, process.get("parent_process").get("pid").asInt());
        assertNull(process.get("parent_process").get("uid"), "no start time, no uid");

        JsonNode plain = JSON.readTree(ocsf.toJson(SampleAlerts.single())).get("actor").get("process");
        assertNull(plain.get("lineage"));
        assertEquals(1, plain.get("parent_process").size(), "only the pid: " + plain.get("parent_process"));
    }

    @Test
    void aFamilySweepKeepsTheReaderAsActorProcessAndPutsTheParentAndReadersInUnmapped() throws Exception {
        JsonNode e = JSON.readTree(ocsf.toJson(SampleAlerts.familySweep(Rules.ENVIRON_SWEEP_ENDED, 3)));
        assertEquals(Rules.ENVIRON_SWEEP_ENDED, e.get("metadata").get("event_code").asText());
        assertEquals(903, e.get("actor").get("process").get("pid").asInt());
        assertEquals(812, e.get("actor").get("process").get("parent_process").get("pid").asInt());
        assertEquals(3, e.get("count").asLong());
        JsonNode unmapped = e.get("unmapped");
        assertEquals(812, unmapped.get("actor").get("pid").asInt());
        assertEquals(90210, unmapped.get("actor").get("start_time").asLong());
        assertEquals(3, unmapped.get("readers").size());
        assertEquals("cat", unmapped.get("readers").get(2).get("comm").asText());
        assertTrue(JSON.readTree(ocsf.toJson(SampleAlerts.sweep(3))).get("unmapped").get("actor").isNull());
    }

    @Test
    void lostEventsAreABaseEvent() throws Exception {
        JsonNode e = JSON.readTree(ocsf.toJson(SampleAlerts.lost()));
        assertEquals(0, e.get("class_uid").asInt());
        assertEquals(0, e.get("category_uid").asInt());
        assertEquals(99, e.get("activity_id").asInt());
        assertEquals("Events Lost", e.get("activity_name").asText());
        assertEquals(99, e.get("type_uid").asInt());
        assertEquals(2, e.get("status_id").asInt());
        assertEquals("events may have been missed", e.get("status_detail").asText());
        assertEquals(17, e.get("count").asLong());
        assertEquals(Rules.EVENTS_LOST, e.get("metadata").get("event_code").asText());
        assertEquals(12, e.get("unmapped").get("lost").get("queue_overflow").asLong());
        assertEquals(5, e.get("unmapped").get("lost").get("target_exited").asLong());
        assertNull(e.get("actor"));
        assertNull(e.get("file"));
    }

    @Test
    void aSubTechniqueIsSplitFromItsTechnique() throws Exception {
        Alert mem = Alert.of(SampleAlerts.access().file(ProcFile.MEM).path("/proc/42/mem").build(), Rules.MEM_READ,
                Severity.CRITICAL, Mitre.PROC_FILESYSTEM_CREDENTIAL_DUMPING, List.of("mem"));
        JsonNode e = JSON.readTree(ocsf.toJson(mem));
        assertEquals("mem", e.get("file").get("name").asText());
        JsonNode attack = e.get("attacks").get(0);
        assertEquals("TA0006", attack.get("tactic").get("uid").asText());
        assertEquals("T1003", attack.get("technique").get("uid").asText());
        assertEquals("OS Credential Dumping", attack.get("technique").get("name").asText());
        assertEquals("T1003.007", attack.get("sub_technique").get("uid").asText());
        assertEquals("Proc Filesystem", attack.get("sub_technique").get("name").asText());
    }

    @Test
    void anUnknownReaderHasNoPidAndItsCandidatesAreUnmapped() throws Exception {
        Alert a = Alert.of(SampleAlerts.access().reader(ProcessInfo.unknown())
                        .possibleReaders(List.of(SampleAlerts.cat())).build(),
                Rules.ENVIRON_READ, Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("r"));
        JsonNode e = JSON.readTree(ocsf.toJson(a));
        JsonNode process = e.get("actor").get("process");
        assertNull(process.get("pid"));
        assertNull(process.get("uid"));
        assertNull(process.get("user"));
        assertEquals(4242, e.get("unmapped").get("possible_readers").get(0).get("pid").asInt());
        assertFalse(e.get("unmapped").get("reader").get("complete").asBoolean());
    }

    @Test
    void aCommandLineSightingHasAnUnknownStatus() throws Exception {
        Alert a = Alert.of(SampleAlerts.access().kind(AccessKind.COMMAND_LINE).build(), Rules.ENVIRON_READ,
                Severity.MEDIUM, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("r"));
        JsonNode e = JSON.readTree(ocsf.toJson(a));
        assertEquals(0, e.get("status_id").asInt());
        assertEquals("command_line", e.get("unmapped").get("access").asText());
    }

    @Test
    void withoutHostNameOrVersionThoseAreLeftOut() throws Exception {
        JsonNode e = JSON.readTree(new AlertOcsf(null, " ").toJson(SampleAlerts.single()));
        assertNull(e.get("device").get("hostname"));
        assertEquals(0, e.get("device").get("type_id").asInt());
        assertNull(e.get("metadata").get("product").get("version"));
    }

    @Test
    void aRedactedCommandLineStaysRedacted() {
        ProcessInfo mysql = ProcessInfo.builder(77).exe("/usr/bin/mysql")
                .cmdline(List.of("mysql", "--password", "hunter2-value", "PGPASSWORD=other-value")).build();
        String line = ocsf.toJson(Alert.of(SampleAlerts.access().reader(mysql).build(), Rules.ENVIRON_READ,
                Severity.HIGH, null, List.of()));
        assertFalse(line.contains("hunter2-value"), line);
        assertFalse(line.contains("other-value"), line);
        assertFalse(line.contains("\"attacks\""), "no MITRE, no attacks: " + line);
    }
}
