package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The jsonl output of any alert is exactly one line of strict JSON that Jackson reads back to the alert's
 * values. The expected document is built here, independently of {@link AlertJson}, from the field list
 * of the host monitor contract.
 */
class AlertJsonPropertyTest {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    @Provide
    Arbitrary<Alert> alerts() {
        return AlertArbitraries.alerts();
    }

    @Property
    void jsonlLineParsesBackToTheAlertsValues(@ForAll("alerts") Alert alert) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonlSink sink = new JsonlSink(bytes, false, "memory");
        sink.publish(alert);
        byte[] written = bytes.toByteArray();

        // Valid UTF-8 (a lone surrogate would have no encoding), one line, ended by one newline.
        String text = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(written)).toString();
        assertEquals('\n', text.charAt(text.length() - 1));
        String line = text.substring(0, text.length() - 1);
        assertEquals(-1, line.indexOf('\n'));
        assertEquals(-1, line.indexOf('\r'));
        assertFalse(line.contains("\u2028") || line.contains("\u2029"), "raw line separator in " + line);
        assertEquals(AlertJson.toJson(alert), line);

        JsonNode actual = MAPPER.readTree(line.getBytes(StandardCharsets.UTF_8));
        // Through Jackson's own writer, so that numbers compare by value rather than by node type.
        JsonNode expected = MAPPER.readTree(MAPPER.writeValueAsBytes(expected(alert)));
        assertEquals(expected, actual);
    }

    /** The contract, written out: what each alert must serialize to. */
    static Map<String, Object> expected(Alert alert) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", alert.time().toString());
        m.put("rule", clean(alert.rule()));
        m.put("severity", alert.severity().id());
        EnvironAccess access = alert.access();
        if (access != null) {
            m.put("access", access.kind().id());
            m.put("file", access.file().id());
            m.put("path", clean(access.path()));
            m.put("alias", access.alias().id());
            m.put("source", clean(access.source()));
            m.put("reader", reader(access.reader()));
            Map<String, Object> target = new LinkedHashMap<>();
            target.put("pid", number(access.target().pid()));
            target.put("uid", number(access.target().uid()));
            target.put("comm", clean(access.target().comm()));
            target.put("exe", clean(access.target().exe()));
            target.put("container", clean(access.target().containerId()));
            target.put("complete", access.target().complete());
            target.put("start_time", start(access.target().startTime()));
            m.put("target", target);
            m.put("notes", clean(access.notes()));
            if (!access.possibleReaders().isEmpty()) {
                List<Object> possible = new ArrayList<>();
                access.possibleReaders().forEach(p -> possible.add(readerFields(p)));
                m.put("possible_readers", possible);
            }
        }
        Mitre mitre = alert.mitre();
        if (mitre == null) {
            m.put("mitre", null);
        } else {
            m.put("mitre", Map.of("tactic", clean(mitre.tacticId()), "tactic_name", clean(mitre.tacticName()),
                    "technique", clean(mitre.techniqueId()), "technique_name", clean(mitre.techniqueName())));
        }
        m.put("reasons", clean(alert.reasons()));
        if (!alert.targets().isEmpty()) {
            List<Object> pids = new ArrayList<>();
            alert.targets().forEach(t -> pids.add(number(t.pid())));
            m.put("targets", pids);
            m.put("count", alert.count());
            ProcessInfo actor = alert.actor();
            m.put("actor", actor == null ? null : brief(actor.pid(), actor.startTime(), actor.comm(), actor.exe()));
            List<Object> readers = new ArrayList<>();
            alert.readers().forEach(r -> readers.add(brief(r.pid(), r.startTime(), r.comm(), r.exe())));
            m.put("readers", readers);
        } else if (access == null) {
            Map<String, Object> lost = new LinkedHashMap<>();
            alert.lost().forEach((cause, n) -> lost.put(clean(cause), n));
            m.put("lost", lost);
            m.put("count", alert.count());
        }
        return m;
    }

    private static Map<String, Object> reader(ProcessInfo p) {
        Map<String, Object> m = readerFields(p);
        m.put("start_time", start(p.startTime()));
        List<Object> ancestors = new ArrayList<>();
        p.ancestors().forEach(a -> ancestors.add(brief(a.pid(), a.startTime(), a.comm(), a.exe())));
        m.put("ancestors", ancestors);
        return m;
    }

    /** {@code {pid,start_time,comm,exe}}: ancestors, a sweep's actor and readers. */
    private static Map<String, Object> brief(int pid, long start, String comm, String exe) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", number(pid));
        m.put("start_time", start(start));
        m.put("comm", clean(comm));
        m.put("exe", clean(exe));
        return m;
    }

    private static Long start(long start) {
        return start < 0 ? null : start;
    }

    /** A possible reader's shape: the reader's without start time and lineage. */
    private static Map<String, Object> readerFields(ProcessInfo p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", number(p.pid()));
        m.put("tid", number(p.tid()));
        m.put("ppid", number(p.ppid()));
        m.put("uid", number(p.uid()));
        m.put("comm", clean(p.comm()));
        m.put("exe", clean(p.exe()));
        m.put("cmdline", clean(p.cmdline()));
        m.put("container", clean(p.containerId()));
        m.put("complete", p.complete());
        return m;
    }

    private static Integer number(int n) {
        return n == -1 ? null : n;
    }

    private static List<String> clean(List<String> values) {
        List<String> out = new ArrayList<>();
        values.forEach(v -> out.add(clean(v)));
        return out;
    }

    private static String clean(String s) {
        return AlertArbitraries.clean(s);
    }
}
