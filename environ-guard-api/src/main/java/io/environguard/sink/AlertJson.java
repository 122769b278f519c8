package io.environguard.sink;

import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an {@link Alert} as one line of JSON, the format of the {@code jsonl} sink and of the host
 * monitor's {@code --format jsonl}.
 *
 * <pre>{@code
 * String line = AlertJson.toJson(alert);
 * // {"time":"2025-01-02T03:04:05.123Z","rule":"environ_read_from_procfs","severity":"high","access":"open",
 * //  "file":"environ","path":"/proc/42/environ","alias":"process","source":"fanotify",
 * //  "reader":{"pid":4242,"tid":4242,"ppid":812,"uid":1000,"comm":"cat","exe":"/usr/bin/cat",
 * //            "cmdline":["cat","/proc/42/environ"],"container":null,"complete":true,"start_time":90311,
 * //            "ancestors":[{"pid":812,"start_time":90210,"comm":"bash","exe":"/usr/bin/bash"},
 * //                         {"pid":1,"start_time":1,"comm":"systemd","exe":"/usr/lib/systemd/systemd"}]},
 * //  "target":{"pid":42,"uid":1000,"comm":"sleep","exe":"/usr/bin/sleep","container":null,"complete":true,
 * //            "start_time":88000},
 * //  "mitre":{"tactic":"TA0007","tactic_name":"Discovery","technique":"T1082",
 * //           "technique_name":"System Information Discovery"},"reasons":["..."],"notes":[]}
 * }</pre>
 *
 * <p>Fields: {@code time} (ISO-8601, UTC), {@code rule}, {@code severity}
 * ({@code info|low|medium|high|critical}), {@code mitre} ({@code null} when the alert has none),
 * {@code reasons[]}; when the alert carries an access: {@code access} ({@code open|read|held_open|command_line}),
 * {@code file} ({@code environ|mem}), {@code path}, {@code alias}, {@code source}, {@code reader},
 * {@code target}, {@code notes[]} and, when non-empty, {@code possible_readers[]}. {@code reader} is
 * {@code {pid,tid,ppid,uid,comm,exe,cmdline[],container,complete,start_time,ancestors[]}}, each ancestor
 * {@code {pid,start_time,comm,exe}}, parent first, ending at the host's or a container's init (empty when the
 * source keeps no lineage); {@code target} is {@code {pid,uid,comm,exe,container,complete,start_time}};
 * possible readers keep the reader's shape before lineage ({@code {pid,tid,ppid,uid,comm,exe,cmdline[],
 * container,complete}}). A sweep ({@code environ_sweep}) and the end of one ({@code environ_sweep_ended}) add
 * {@code targets} (pids), {@code count} (accesses), {@code actor} (the parent blamed for a family of readers,
 * {@code {pid,start_time,comm,exe}}, or {@code null} when the reader itself is to blame) and {@code readers[]}
 * (each {@code {pid,start_time,comm,exe}}); a lost-events alert has no access fields and adds {@code lost}
 * ({@code {cause: count}}) and {@code count}. Unknown numbers and strings are {@code null}. The line holds no line break and no environment value (command lines are
 * redacted by {@link ProcessInfo}); see {@link JsonWriter} for how strings are escaped.
 */
public final class AlertJson {

    private AlertJson() {
    }

    /**
     * @param alert the alert
     * @return the alert as one line of JSON, without a trailing newline
     */
    public static String toJson(Alert alert) {
        StringBuilder out = new StringBuilder(1024);
        appendTo(alert, out);
        return out.toString();
    }

    /**
     * Appends the alert as one line of JSON, without a trailing newline, to {@code out}.
     *
     * @param alert the alert
     * @param out   where to append
     */
    public static void appendTo(Alert alert, StringBuilder out) {
        JsonWriter w = new JsonWriter(out);
        w.beginObject()
                .field("time", alert.time().toString())
                .field("rule", alert.rule())
                .field("severity", alert.severity().id());
        EnvironAccess access = alert.access();
        if (access != null) {
            w.field("access", access.kind().id())
                    .field("file", access.file().id())
                    .field("path", access.path())
                    .field("alias", access.alias().id())
                    .field("source", access.source());
            w.name("reader");
            reader(w, access.reader());
            w.name("target");
            target(w, access.target());
        }
        mitre(w, alert.mitre());
        w.name("reasons").value(alert.reasons());
        if (access != null) {
            w.name("notes").value(access.notes());
            if (!access.possibleReaders().isEmpty()) {
                w.name("possible_readers").beginArray();
                for (ProcessInfo p : access.possibleReaders()) {
                    possibleReader(w, p);
                }
                w.endArray();
            }
        }
        if (!alert.targets().isEmpty()) {
            w.name("targets").beginArray();
            for (ProcessInfo t : alert.targets()) {
                w.valueOrNull(t.pid());
            }
            w.endArray();
            w.field("count", alert.count());
            w.name("actor");
            if (alert.actor() == null) {
                w.nullValue();
            } else {
                brief(w, alert.actor().pid(), alert.actor().startTime(), alert.actor().comm(), alert.actor().exe());
            }
            w.name("readers").beginArray();
            for (ProcessInfo r : alert.readers()) {
                brief(w, r.pid(), r.startTime(), r.comm(), r.exe());
            }
            w.endArray();
        } else if (access == null) {
            w.name("lost").beginObject();
            // Sorted, so that the same alert always yields the same line.
            for (Map.Entry<String, Long> e : new TreeMap<>(alert.lost()).entrySet()) {
                w.field(e.getKey(), e.getValue());
            }
            w.endObject();
            w.field("count", alert.count());
        }
        w.endObject();
    }

    private static void reader(JsonWriter w, ProcessInfo p) {
        w.beginObject();
        readerFields(w, p);
        w.name("start_time").valueOrNull(p.startTime());
        w.name("ancestors").beginArray();
        for (Ancestor a : p.ancestors()) {
            brief(w, a.pid(), a.startTime(), a.comm(), a.exe());
        }
        w.endArray();
        w.endObject();
    }

    /** A candidate reader: the reader's shape without start time and lineage, as before lineage was added. */
    private static void possibleReader(JsonWriter w, ProcessInfo p) {
        w.beginObject();
        readerFields(w, p);
        w.endObject();
    }

    private static void readerFields(JsonWriter w, ProcessInfo p) {
        w.name("pid").valueOrNull(p.pid());
        w.name("tid").valueOrNull(p.tid());
        w.name("ppid").valueOrNull(p.ppid());
        w.name("uid").valueOrNull(p.uid());
        w.field("comm", p.comm()).field("exe", p.exe());
        w.name("cmdline").value(p.cmdline());
        w.field("container", p.containerId()).field("complete", p.complete());
    }

    private static void target(JsonWriter w, ProcessInfo p) {
        w.beginObject();
        w.name("pid").valueOrNull(p.pid());
        w.name("uid").valueOrNull(p.uid());
        w.field("comm", p.comm()).field("exe", p.exe())
                .field("container", p.containerId()).field("complete", p.complete());
        w.name("start_time").valueOrNull(p.startTime());
        w.endObject();
    }

    /** {@code {pid,start_time,comm,exe}}: an ancestor, a sweep's actor or one of its readers. */
    private static void brief(JsonWriter w, int pid, long startTime, String comm, String exe) {
        w.beginObject();
        w.name("pid").valueOrNull(pid);
        w.name("start_time").valueOrNull(startTime);
        w.field("comm", comm).field("exe", exe);
        w.endObject();
    }

    private static void mitre(JsonWriter w, Mitre m) {
        w.name("mitre");
        if (m == null) {
            w.nullValue();
            return;
        }
        w.beginObject()
                .field("tactic", m.tacticId())
                .field("tactic_name", m.tacticName())
                .field("technique", m.techniqueId())
                .field("technique_name", m.techniqueName())
                .endObject();
    }

}
