package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.api.Alert;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Every alert, however odd its strings and numbers, becomes one line of OCSF with the class's required attributes. */
class AlertOcsfProperties {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AlertOcsf OCSF = new AlertOcsf("host", "1.0");

    /** Required by the base event and by the System Activity category (device). */
    private static final List<String> REQUIRED_ALWAYS = List.of("activity_id", "category_uid", "class_uid", "type_uid",
            "time", "severity_id", "metadata/version", "metadata/product/name", "device/type_id");
    /** Required by File System Activity: actor (with a process), file (name, type). */
    private static final List<String> REQUIRED_FILE_ACTIVITY = List.of("actor/process", "file/name", "file/type_id");

    @Provide
    Arbitrary<Alert> alerts() {
        return AlertArbitraries.alerts();
    }

    @Property
    void oneLineOfOcsfWithTheRequiredAttributes(@ForAll("alerts") Alert alert) throws Exception {
        String line = OCSF.toJson(alert);
        assertFalse(line.contains("\n") || line.contains("\r") || line.contains("\u2028") || line.contains("\u2029"), line);
        JsonNode e = JSON.readTree(line);
        assertTrue(e.isObject());
        for (String path : REQUIRED_ALWAYS) {
            assertTrue(has(e, path), path + " missing: " + line);
        }
        int classUid = e.get("class_uid").asInt();
        assertEquals(classUid * 100L + e.get("activity_id").asInt(), e.get("type_uid").asLong());
        if (alert.hasAccess()) {
            assertEquals(1001, classUid);
            for (String path : REQUIRED_FILE_ACTIVITY) {
                assertTrue(has(e, path), path + " missing: " + line);
            }
            assertEquals(alert.access().reader().pid() > 0, e.get("actor").get("process").has("pid"), line);
            JsonNode process = e.get("actor").get("process");
            int depth = 0;
            for (JsonNode p = process.get("parent_process"); p != null; p = p.get("parent_process")) {
                depth++;
            }
            List<?> lineage = alert.access().reader().ancestors();
            assertEquals(lineage.isEmpty() ? (alert.access().reader().ppid() > 0 ? 1 : 0) : lineage.size(), depth,
                    "the parent chain is as deep as the lineage: " + line);
            assertEquals(lineage.isEmpty() ? 0 : lineage.size() + 1, process.has("lineage") ? process.get("lineage").size() : 0);
        } else {
            assertEquals(0, classUid);
            assertEquals(alert.count(), e.get("count").asLong());
        }
        assertEquals(alert.time().toEpochMilli(), e.get("time").asLong());
        assertNoNullOutsideUnmapped(e, line);
    }

    private static boolean has(JsonNode e, String path) {
        JsonNode n = e;
        for (String part : path.split("/")) {
            n = n.get(part);
            if (n == null || n.isNull()) {
                return false;
            }
        }
        return true;
    }

    /** OCSF attributes that are unknown are left out, not written as null; only unmapped keeps environ-guard's own shape. */
    private static void assertNoNullOutsideUnmapped(JsonNode node, String line) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> f : node.properties()) {
                if (f.getKey().equals("unmapped")) {
                    continue;
                }
                assertFalse(f.getValue().isNull(), f.getKey() + " is null: " + line);
                assertNoNullOutsideUnmapped(f.getValue(), line);
            }
        } else if (node.isArray()) {
            node.forEach(n -> assertNoNullOutsideUnmapped(n, line));
        }
    }
}
