package io.environguard.sink;

import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Severity;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an {@link Alert} as one line of OCSF JSON (Open Cybersecurity Schema Framework, schema
 * {@value #SCHEMA_VERSION}), so that a SIEM that reads OCSF takes it as it is: the host monitor's
 * {@code --format ocsf}.
 *
 * <pre>{@code
 * AlertOcsf ocsf = new AlertOcsf("web-1", "0.1.0");
 * String line = ocsf.toJson(alert);
 * // {"activity_id":2,"activity_name":"Read","category_uid":1,"category_name":"System Activity",
 * //  "class_uid":1001,"class_name":"File System Activity","type_uid":100102,
 * //  "type_name":"File System Activity: Read","time":1735787045123,"severity_id":4,"severity":"High",
 * //  "status_id":1,"status":"Success","action_id":1,"action":"Allowed","message":"HIGH environ_read_from_procfs: ...",
 * //  "metadata":{...},"device":{...},"actor":{"process":{"pid":4242,...}},"file":{"path":"/proc/42/environ",...},
 * //  "attacks":[{"tactic":{"uid":"TA0007","name":"Discovery"},"technique":{"uid":"T1082",...}}],"unmapped":{...}}
 * }</pre>
 *
 * <h2>Mapping</h2>
 * An alert with an access is a <b>File System Activity</b> event (class 1001, category 1 System Activity),
 * activity 2 Read, {@code type_uid} 100102:
 * <ul>
 *   <li>{@code time}: the alert's time in epoch milliseconds; {@code severity_id} 1-5 from info..critical;
 *       {@code message}: the {@link AlertText} line; {@code count}: accesses folded into a sweep.</li>
 *   <li>{@code status_id} 1 Success: the kernel reports only opens that succeeded (and a held descriptor was
 *       opened); 0 Unknown for {@link AccessKind#COMMAND_LINE}, where a command line only names the file.
 *       {@code action_id} 1 Allowed: the read was observed, not blocked (procfs reads cannot be blocked).</li>
 *   <li>{@code metadata}: schema version, product {@code environ-guard}, {@code event_code} = the rule id, and
 *       {@code uid} left out (alerts carry no id).</li>
 *   <li>{@code device}: the host name given to the constructor, type 0 Unknown, OS Linux (type 200).</li>
 *   <li>{@code actor.process}: the reader: {@code pid}, {@code tid}, {@code name} (comm), {@code cmd_line}
 *       (redacted, arguments joined by spaces), {@code file} (its executable), {@code user.uid}, and
 *       {@code uid} = {@code "<pid>:<start time in ticks>"}, which tells processes apart across pid reuse.
 *       With the reader's lineage: {@code parent_process} is the parent, whose own {@code parent_process} is the
 *       grandparent, and so on up the whole lineage (each with {@code pid}, {@code uid}, {@code name} and
 *       {@code file}), and {@code lineage} lists the executables from the oldest ancestor down to the reader's
 *       own, as in the schema's example ({@code ["/usr/sbin/sshd", "/usr/bin/bash", "/usr/bin/whoami"]}; an
 *       unknown one is {@code "unknown"}). Without lineage, {@code parent_process} holds only the parent's
 *       {@code pid}. Unknown values are left out; an unknown reader (hidden by the kernel from an unprivileged
 *       listener) has no pid, and its candidates are in {@code unmapped.possible_readers}.</li>
 *   <li>{@code file}: the path read, {@code name} {@code environ} or {@code mem}, type 1 Regular File, and
 *       {@code owner.uid} = the target's uid (procfs files belong to their process's user).</li>
 *   <li>{@code attacks}: the ATT&amp;CK tactic and technique; a sub-technique such as {@code T1003.007} becomes
 *       {@code technique} T1003 plus {@code sub_technique} T1003.007.</li>
 *   <li>{@code unmapped}: what OCSF has no attribute for: {@code rule}, {@code access}, {@code alias},
 *       {@code source}, {@code reasons}, {@code notes}, the {@code target} process (pid, uid, comm, exe,
 *       container, complete, start_time), the reader's {@code container} and {@code complete}, a sweep's
 *       {@code targets} (pids), {@code actor} (the parent blamed for a family's sweep, {@code {pid, start_time,
 *       comm, exe}}, or null) and {@code readers} (each {@code {pid, start_time, comm, exe}}), and
 *       {@code possible_readers}. {@code actor.process} stays the reader of the access, since it is who
 *       opened the file; a family's parent is also its {@code parent_process}.</li>
 * </ul>
 * A <b>lost-events alert</b> ({@code environ_events_lost}) has no reader and no file, so it cannot be a valid
 * File System Activity. It is a <b>Base Event</b> (class 0, category 0 Uncategorized), activity 99 Other named
 * {@code Events Lost}, {@code type_uid} 99, {@code status_id} 2 Failure with the first reason as
 * {@code status_detail}, {@code count} = the events lost, and {@code unmapped.lost} = the count by cause.
 * A SIEM rule for "the monitor went blind" matches {@code metadata.event_code = "environ_events_lost"}.
 *
 * <p>Like {@link AlertJson}, the line holds no line break and no environment value: command lines were
 * redacted when the {@link ProcessInfo} was built. Instances are immutable and thread-safe.
 */
public final class AlertOcsf {

    /** The OCSF schema version the events follow. */
    public static final String SCHEMA_VERSION = "1.3.0";
    /** The product name in {@code metadata.product}. */
    public static final String PRODUCT = "environ-guard";

    static final int CLASS_FILE_SYSTEM_ACTIVITY = 1001;
    static final int CATEGORY_SYSTEM_ACTIVITY = 1;
    static final int ACTIVITY_READ = 2;
    static final int CLASS_BASE_EVENT = 0;
    static final int CATEGORY_UNCATEGORIZED = 0;
    static final int ACTIVITY_OTHER = 99;
    private static final int FILE_TYPE_REGULAR = 1;
    private static final int OS_TYPE_LINUX = 200;

    private final String hostname;
    private final String productVersion;

    /**
     * @param hostname       the host the alerts come from ({@code device.hostname}), or {@code null} if unknown
     * @param productVersion environ-guard's version ({@code metadata.product.version}), or {@code null} to leave it out
     */
    public AlertOcsf(String hostname, String productVersion) {
        this.hostname = blankToNull(hostname);
        this.productVersion = blankToNull(productVersion);
    }

    /**
     * @param alert the alert
     * @return the alert as one line of OCSF JSON, without a trailing newline
     */
    public String toJson(Alert alert) {
        StringBuilder out = new StringBuilder(1536);
        appendTo(alert, out);
        return out.toString();
    }

    /**
     * Appends the alert as one line of OCSF JSON, without a trailing newline, to {@code out}.
     *
     * @param alert the alert
     * @param out   where to append
     */
    public void appendTo(Alert alert, StringBuilder out) {
        JsonWriter w = new JsonWriter(out);
        w.beginObject();
        if (alert.hasAccess()) {
            accessEvent(w, alert, alert.access());
        } else {
            lostEvent(w, alert);
        }
        w.endObject();
    }

    private void accessEvent(JsonWriter w, Alert alert, EnvironAccess access) {
        w.field("activity_id", ACTIVITY_READ).field("activity_name", "Read")
                .field("category_uid", CATEGORY_SYSTEM_ACTIVITY).field("category_name", "System Activity")
                .field("class_uid", CLASS_FILE_SYSTEM_ACTIVITY).field("class_name", "File System Activity")
                .field("type_uid", CLASS_FILE_SYSTEM_ACTIVITY * 100L + ACTIVITY_READ)
                .field("type_name", "File System Activity: Read")
                .field("time", alert.time().toEpochMilli());
        severity(w, alert.severity());
        if (access.kind() == AccessKind.COMMAND_LINE) {
            w.field("status_id", 0).field("status", "Unknown");
        } else {
            w.field("status_id", 1).field("status", "Success");
        }
        w.field("action_id", 1).field("action", "Allowed")
                .field("message", AlertText.format(alert));
        if (!alert.targets().isEmpty()) {
            w.field("count", alert.count());
        }
        metadata(w, alert);
        device(w);

        w.name("actor").beginObject().name("process");
        process(w, access.reader(), true);
        w.endObject();

        w.name("file").beginObject();
        optional(w, "path", access.path());
        w.field("name", access.file().id())
                .field("type_id", FILE_TYPE_REGULAR).field("type", "Regular File");
        if (access.target().uid() != ProcessInfo.UNKNOWN) {
            w.name("owner").beginObject().field("uid", Integer.toString(access.target().uid())).endObject();
        }
        w.endObject();

        if (alert.mitre() != null) {
            w.name("attacks").beginArray();
            attack(w, alert.mitre());
            w.endArray();
        }

        w.name("unmapped").beginObject()
                .field("rule", alert.rule())
                .field("access", access.kind().id())
                .field("alias", access.alias().id())
                .field("source", access.source());
        w.name("reasons").value(alert.reasons());
        w.name("notes").value(access.notes());
        w.name("reader").beginObject()
                .field("container", access.reader().containerId())
                .field("complete", access.reader().complete())
                .endObject();
        w.name("target");
        target(w, access.target());
        if (!alert.targets().isEmpty()) {
            w.name("targets").beginArray();
            for (ProcessInfo t : alert.targets()) {
                w.valueOrNull(t.pid());
            }
            w.endArray();
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
        }
        if (!access.possibleReaders().isEmpty()) {
            w.name("possible_readers").beginArray();
            for (ProcessInfo p : access.possibleReaders()) {
                process(w, p, false);
            }
            w.endArray();
        }
        w.endObject();
    }

    private void lostEvent(JsonWriter w, Alert alert) {
        w.field("activity_id", ACTIVITY_OTHER).field("activity_name", "Events Lost")
                .field("category_uid", CATEGORY_UNCATEGORIZED).field("category_name", "Uncategorized")
                .field("class_uid", CLASS_BASE_EVENT).field("class_name", "Base Event")
                .field("type_uid", CLASS_BASE_EVENT * 100L + ACTIVITY_OTHER)
                .field("type_name", "Base Event: Other")
                .field("time", alert.time().toEpochMilli());
        severity(w, alert.severity());
        w.field("status_id", 2).field("status", "Failure");
        if (!alert.reasons().isEmpty()) {
            w.field("status_detail", alert.reasons().get(0));
        }
        w.field("message", AlertText.format(alert))
                .field("count", alert.count());
        metadata(w, alert);
        device(w);
        w.name("unmapped").beginObject().field("rule", alert.rule());
        w.name("reasons").value(alert.reasons());
        w.name("lost").beginObject();
        // Sorted, so that the same alert always yields the same line.
        for (Map.Entry<String, Long> e : new TreeMap<>(alert.lost()).entrySet()) {
            w.field(e.getKey(), e.getValue());
        }
        w.endObject().endObject();
    }

    private static void severity(JsonWriter w, Severity s) {
        switch (s) {
            case INFO: w.field("severity_id", 1).field("severity", "Informational"); break;
            case LOW: w.field("severity_id", 2).field("severity", "Low"); break;
            case MEDIUM: w.field("severity_id", 3).field("severity", "Medium"); break;
            case HIGH: w.field("severity_id", 4).field("severity", "High"); break;
            default: w.field("severity_id", 5).field("severity", "Critical");
        }
    }

    private void metadata(JsonWriter w, Alert alert) {
        w.name("metadata").beginObject()
                .field("version", SCHEMA_VERSION)
                .name("product").beginObject()
                .field("name", PRODUCT).field("vendor_name", PRODUCT);
        optional(w, "version", productVersion);
        w.endObject()
                .field("event_code", alert.rule())
                .name("profiles").beginArray().value("host").value("security_control").endArray()
                .endObject();
    }

    private void device(JsonWriter w) {
        w.name("device").beginObject();
        optional(w, "hostname", hostname);
        w.field("type_id", 0).field("type", "Unknown")
                .name("os").beginObject().field("name", "Linux").field("type_id", OS_TYPE_LINUX).field("type", "Linux").endObject()
                .endObject();
    }

    /**
     * An OCSF Process object; unknown values are left out rather than written as null. With {@code withLineage},
     * the lineage becomes the nested {@code parent_process} chain and the {@code lineage} list.
     */
    private static void process(JsonWriter w, ProcessInfo p, boolean withLineage) {
        w.beginObject();
        positive(w, "pid", p.pid());
        positive(w, "tid", p.tid());
        if (p.isKnown() && p.startTime() >= 0) {
            w.field("uid", p.pid() + ":" + p.startTime());
        }
        optional(w, "name", p.comm());
        if (!p.cmdline().isEmpty()) {
            w.field("cmd_line", String.join(" ", p.cmdline()));
        }
        executable(w, p.exe());
        if (p.uid() != ProcessInfo.UNKNOWN) {
            w.name("user").beginObject().field("uid", Integer.toString(p.uid())).endObject();
        }
        List<Ancestor> chain = p.ancestors();
        if (withLineage && !chain.isEmpty()) {
            w.name("parent_process");
            ancestors(w, chain, 0);
            w.name("lineage").beginArray();
            for (int i = chain.size() - 1; i >= 0; i--) {
                w.value(chain.get(i).exe() == null ? "unknown" : chain.get(i).exe());
            }
            w.value(p.exe() == null ? "unknown" : p.exe());
            w.endArray();
        } else if (p.ppid() > 0) {
            w.name("parent_process").beginObject().field("pid", p.ppid()).endObject();
        }
        w.endObject();
    }

    /** {@code chain[from]} as a Process object whose {@code parent_process} is {@code chain[from + 1]}, and so on. */
    private static void ancestors(JsonWriter w, List<Ancestor> chain, int from) {
        Ancestor a = chain.get(from);
        w.beginObject();
        positive(w, "pid", a.pid());
        if (a.pid() > 0 && a.startTime() >= 0) {
            w.field("uid", a.pid() + ":" + a.startTime());
        }
        optional(w, "name", a.comm());
        executable(w, a.exe());
        if (from + 1 < chain.size()) {
            w.name("parent_process");
            ancestors(w, chain, from + 1);
        }
        w.endObject();
    }

    private static void executable(JsonWriter w, String exe) {
        if (exe != null) {
            w.name("file").beginObject()
                    .field("path", exe)
                    .field("name", baseName(exe))
                    .field("type_id", FILE_TYPE_REGULAR).field("type", "Regular File")
                    .endObject();
        }
    }

    /** {@code {pid, start_time, comm, exe}} in environ-guard's own shape, for {@code unmapped}. */
    private static void brief(JsonWriter w, int pid, long startTime, String comm, String exe) {
        w.beginObject();
        w.name("pid").valueOrNull(pid);
        w.name("start_time").valueOrNull(startTime);
        w.field("comm", comm).field("exe", exe);
        w.endObject();
    }

    /** The target, in environ-guard's own shape (it has no place in the OCSF class). */
    private static void target(JsonWriter w, ProcessInfo p) {
        w.beginObject();
        w.name("pid").valueOrNull(p.pid());
        w.name("uid").valueOrNull(p.uid());
        w.field("comm", p.comm()).field("exe", p.exe())
                .field("container", p.containerId()).field("complete", p.complete());
        w.name("start_time").valueOrNull(p.startTime());
        w.endObject();
    }

    private static void attack(JsonWriter w, Mitre m) {
        w.beginObject();
        w.name("tactic").beginObject().field("uid", m.tacticId()).field("name", m.tacticName()).endObject();
        int dot = m.techniqueId().indexOf('.');
        if (dot < 0) {
            w.name("technique").beginObject().field("uid", m.techniqueId()).field("name", m.techniqueName()).endObject();
        } else {
            // ATT&CK names a sub-technique "Parent: Sub" (e.g. "OS Credential Dumping: Proc Filesystem").
            int colon = m.techniqueName().indexOf(": ");
            w.name("technique").beginObject().field("uid", m.techniqueId().substring(0, dot));
            if (colon > 0) {
                w.field("name", m.techniqueName().substring(0, colon));
            }
            w.endObject();
            w.name("sub_technique").beginObject().field("uid", m.techniqueId())
                    .field("name", colon > 0 ? m.techniqueName().substring(colon + 2) : m.techniqueName())
                    .endObject();
        }
        w.endObject();
    }

    private static String baseName(String path) {
        int slash = path.lastIndexOf('/');
        return slash >= 0 && slash < path.length() - 1 ? path.substring(slash + 1) : path;
    }

    private static void positive(JsonWriter w, String name, int n) {
        if (n > 0) {
            w.field(name, n);
        }
    }

    private static void optional(JsonWriter w, String name, String value) {
        if (value != null) {
            w.field(name, value);
        }
    }


    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
