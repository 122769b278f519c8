package io.environguard.sink.otel;

import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.sink.AlertText;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Turns an alert into one OpenTelemetry log record.
 *
 * <ul>
 *   <li><b>Event name</b>: {@code environguard.<rule>}, e.g. {@code environguard.environ_read_from_procfs}, in the
 *       record's EventName field (the {@code event.name} attribute is deprecated in favour of it).</li>
 *   <li><b>Severity</b>: info {@code INFO}, low {@code INFO2}, medium {@code WARN}, high {@code WARN2}, critical
 *       {@code ERROR} (the levels of the {@code slf4j} sink, ordered); the severity text is the alert's
 *       ({@code HIGH}).</li>
 *   <li><b>Body</b>: the one-line summary of {@link AlertText}. <b>Timestamp</b>: the alert's time.</li>
 *   <li><b>Attributes</b>, by the semantic conventions where they exist, for the reader: {@code process.pid},
 *       {@code process.parent_pid}, {@code process.executable.path}, {@code process.command_line} (redacted, joined by
 *       spaces) and {@code process.command_args}, {@code process.real_user.id} and {@code user.id} (the real uid),
 *       {@code container.id}; {@code file.path} for the file read. Everything else under {@code environguard.}:
 *       {@code rule}, {@code severity}, {@code count}, {@code reasons}, {@code notes}, {@code access}, {@code file},
 *       {@code alias}, {@code source}, {@code mitre.*}, {@code reader.*} (tid, comm, start time, complete,
 *       ancestors), {@code target.*}, {@code actor.*}, {@code targets.pid}, {@code readers.pid},
 *       {@code possible_readers.pid} and {@code lost.<cause>}.</li>
 * </ul>
 * Unknown values (a pid of -1, a missing name) are left out. No attribute holds an environment value: command
 * lines were redacted when the {@link ProcessInfo} was built.
 */
final class AlertLogRecords {

    static final String EVENT_PREFIX = "environguard.";

    private static final AttributeKey<Long> PROCESS_PID = AttributeKey.longKey("process.pid");
    private static final AttributeKey<Long> PROCESS_PARENT_PID = AttributeKey.longKey("process.parent_pid");
    private static final AttributeKey<String> PROCESS_EXECUTABLE_PATH = AttributeKey.stringKey("process.executable.path");
    private static final AttributeKey<String> PROCESS_COMMAND_LINE = AttributeKey.stringKey("process.command_line");
    private static final AttributeKey<List<String>> PROCESS_COMMAND_ARGS = AttributeKey.stringArrayKey("process.command_args");
    private static final AttributeKey<Long> PROCESS_REAL_USER_ID = AttributeKey.longKey("process.real_user.id");
    private static final AttributeKey<String> USER_ID = AttributeKey.stringKey("user.id");
    private static final AttributeKey<String> CONTAINER_ID = AttributeKey.stringKey("container.id");
    private static final AttributeKey<String> FILE_PATH = AttributeKey.stringKey("file.path");

    private AlertLogRecords() {
    }

    /** Emits {@code alert} through {@code logger}, with {@code observedNanos} as its observed time. */
    static void emit(Logger logger, Alert alert, long observedNanos) {
        LogRecordBuilder b = logger.logRecordBuilder()
                .setEventName(EVENT_PREFIX + alert.rule())
                .setTimestamp(alert.time())
                .setObservedTimestamp(observedNanos, TimeUnit.NANOSECONDS)
                .setSeverity(severity(alert.severity()))
                .setSeverityText(alert.severity().name())
                .setBody(AlertText.format(alert));
        attributes(b, alert);
        b.emit();
    }

    static Severity severity(io.environguard.api.Severity s) {
        switch (s) {
            case CRITICAL: return Severity.ERROR;
            case HIGH: return Severity.WARN2;
            case MEDIUM: return Severity.WARN;
            case LOW: return Severity.INFO2;
            default: return Severity.INFO;
        }
    }

    private static void attributes(LogRecordBuilder b, Alert alert) {
        b.setAttribute("environguard.rule", alert.rule());
        b.setAttribute("environguard.severity", alert.severity().id());
        b.setAttribute("environguard.count", alert.count());
        strings(b, "environguard.reasons", alert.reasons());
        Mitre m = alert.mitre();
        if (m != null) {
            string(b, "environguard.mitre.tactic", m.tacticId());
            string(b, "environguard.mitre.tactic_name", m.tacticName());
            string(b, "environguard.mitre.technique", m.techniqueId());
            string(b, "environguard.mitre.technique_name", m.techniqueName());
        }
        EnvironAccess a = alert.access();
        if (a != null) {
            access(b, a);
        }
        if (!alert.targets().isEmpty()) {
            b.setAttribute(AttributeKey.longArrayKey("environguard.targets.pid"), pids(alert.targets()));
        }
        if (!alert.readers().isEmpty()) {
            b.setAttribute(AttributeKey.longArrayKey("environguard.readers.pid"), pids(alert.readers()));
        }
        if (alert.actor() != null) {
            ProcessInfo actor = alert.actor();
            number(b, "environguard.actor.pid", actor.pid());
            number(b, "environguard.actor.start_time", actor.startTime());
            string(b, "environguard.actor.comm", actor.comm());
            string(b, "environguard.actor.exe", actor.exe());
        }
        // Sorted, so that the same alert always yields the same attributes.
        for (Map.Entry<String, Long> e : new TreeMap<>(alert.lost()).entrySet()) {
            b.setAttribute("environguard.lost." + e.getKey(), e.getValue());
        }
    }

    private static void access(LogRecordBuilder b, EnvironAccess a) {
        string(b, "environguard.access", a.kind().id());
        string(b, "environguard.file", a.file().id());
        string(b, "environguard.alias", a.alias().id());
        string(b, "environguard.source", a.source());
        if (a.path() != null) {
            b.setAttribute(FILE_PATH, a.path());
        }
        strings(b, "environguard.notes", a.notes());

        ProcessInfo r = a.reader();
        if (r.isKnown()) {
            b.setAttribute(PROCESS_PID, (long) r.pid());
        }
        if (r.ppid() > 0) {
            b.setAttribute(PROCESS_PARENT_PID, (long) r.ppid());
        }
        if (r.exe() != null) {
            b.setAttribute(PROCESS_EXECUTABLE_PATH, r.exe());
        }
        if (!r.cmdline().isEmpty()) {
            b.setAttribute(PROCESS_COMMAND_LINE, String.join(" ", r.cmdline()));
            b.setAttribute(PROCESS_COMMAND_ARGS, r.cmdline());
        }
        if (r.uid() >= 0) {
            b.setAttribute(PROCESS_REAL_USER_ID, (long) r.uid());
            b.setAttribute(USER_ID, Integer.toString(r.uid()));
        }
        if (r.containerId() != null) {
            b.setAttribute(CONTAINER_ID, r.containerId());
        }
        number(b, "environguard.reader.tid", r.tid());
        number(b, "environguard.reader.start_time", r.startTime());
        string(b, "environguard.reader.comm", r.comm());
        b.setAttribute("environguard.reader.complete", r.complete());
        if (!r.ancestors().isEmpty()) {
            List<Long> pids = new ArrayList<>();
            List<String> exes = new ArrayList<>();
            for (Ancestor anc : r.ancestors()) {
                pids.add((long) anc.pid());
                exes.add(anc.exe() == null ? "" : anc.exe());
            }
            b.setAttribute(AttributeKey.longArrayKey("environguard.reader.ancestors.pid"), pids);
            b.setAttribute(AttributeKey.stringArrayKey("environguard.reader.ancestors.exe"), exes);
        }

        ProcessInfo t = a.target();
        number(b, "environguard.target.pid", t.pid());
        number(b, "environguard.target.uid", t.uid());
        number(b, "environguard.target.start_time", t.startTime());
        string(b, "environguard.target.comm", t.comm());
        string(b, "environguard.target.exe", t.exe());
        string(b, "environguard.target.container", t.containerId());
        b.setAttribute("environguard.target.complete", t.complete());
        if (!a.possibleReaders().isEmpty()) {
            b.setAttribute(AttributeKey.longArrayKey("environguard.possible_readers.pid"), pids(a.possibleReaders()));
        }
    }

    private static List<Long> pids(List<ProcessInfo> processes) {
        List<Long> out = new ArrayList<>(processes.size());
        processes.forEach(p -> out.add((long) p.pid()));
        return out;
    }

    private static void string(LogRecordBuilder b, String key, String value) {
        if (value != null) {
            b.setAttribute(key, value);
        }
    }

    private static void strings(LogRecordBuilder b, String key, List<String> values) {
        if (!values.isEmpty()) {
            b.setAttribute(AttributeKey.stringArrayKey(key), values);
        }
    }

    private static void number(LogRecordBuilder b, String key, long value) {
        if (value >= 0) {
            b.setAttribute(key, value);
        }
    }
}
