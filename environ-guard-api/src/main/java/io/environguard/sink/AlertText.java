package io.environguard.sink;

import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.api.UntrustedText;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an {@link Alert} as one short line for people: the {@code slf4j} sink's message and the host
 * monitor's {@code --format text}.
 *
 * <pre>{@code
 * AlertText.format(alert);
 * // HIGH environ_read_from_procfs: bash[12] > python3[34] > cat[56] (/usr/bin/cat, uid 1000) opened /proc/42/environ of sleep[42] (/usr/bin/sleep) — ...
 * // CRITICAL environ_sweep: python3[777] (/usr/bin/python3.12, uid 0) read the environ of 12 processes (1, 2, 3, 4, 5, +7 more) in 14 accesses — ...
 * // CRITICAL environ_sweep: sshd[400] > bash[812] (/usr/bin/bash) through 10 readers (cat[901], cat[902], cat[903], +7 more) read the environ of 10 processes (...) in 10 accesses — ...
 * // HIGH environ_events_lost: 17 events lost (queue_overflow 12, target_exited 5) — ...
 * }</pre>
 *
 * <p>A process is {@code comm[pid]}, preceded by its parent and grandparent when the source gave its lineage
 * ({@code bash[12] > python3[34] > cat[56]}; {@code … > } in front when the lineage goes further: the whole
 * lineage is in the JSON and OCSF formats). A family's sweep names the parent it blames, then how many readers
 * it started. Unknown values print as {@code unknown} ({@code unknown[42]}, a pid of {@code unknown}).
 *
 * <p>Strings from processes (comm, exe, paths) may hold any character; they are escaped by
 * {@link UntrustedText}: control characters are shown as {@code \n}, {@code \t}, {@code \}{@code u001b}...,
 * backslashes doubled, bidirectional-override characters escaped (so a crafted name cannot reorder the line on
 * screen) and broken surrogates replaced by U+FFFD, so the line is always one line and reads as what it is.
 * Only the first reason is shown.
 */
public final class AlertText {

    /** Targets of a sweep listed by pid before the rest is summarized as "+N more". */
    private static final int MAX_LISTED_TARGETS = 5;
    /** Readers of a family's sweep listed before the rest is summarized as "+N more". */
    private static final int MAX_LISTED_READERS = 3;
    /** Ancestors shown in front of a process: its parent and grandparent. */
    static final int LINEAGE_SHOWN = 2;
    private static final String UNKNOWN = "unknown";

    private AlertText() {
    }

    /**
     * @param alert the alert
     * @return the alert as one line of text, without a trailing newline, untrusted names escaped
     */
    public static String format(Alert alert) {
        StringBuilder out = new StringBuilder(256);
        out.append(alert.severity().name()).append(' ');
        appendEscaped(out, alert.rule());
        out.append(": ");
        EnvironAccess access = alert.access();
        if (access == null) {
            lost(out, alert);
        } else if (!alert.targets().isEmpty()) {
            sweep(out, alert, access);
        } else {
            single(out, access);
        }
        if (!alert.reasons().isEmpty()) {
            out.append(" \u2014 ");
            appendEscaped(out, alert.reasons().get(0));
        }
        return out.toString();
    }

    private static void single(StringBuilder out, EnvironAccess access) {
        reader(out, access);
        String verb;
        String suffix = "";
        switch (access.kind()) {
            case READ: verb = " read "; break;
            case HELD_OPEN: verb = " held "; suffix = " open"; break;
            case COMMAND_LINE: verb = " named "; suffix = " on its command line"; break;
            default: verb = " opened ";
        }
        out.append(verb);
        if (access.path() == null) {
            out.append("the ").append(access.file().id());
        } else {
            appendEscaped(out, access.path());
        }
        out.append(" of ");
        process(out, access.target(), false);
        out.append(suffix);
    }

    private static void sweep(StringBuilder out, Alert alert, EnvironAccess access) {
        if (alert.actor() != null) {
            lineage(out, alert.actor());
            process(out, alert.actor(), true);
            List<ProcessInfo> readers = alert.readers();
            out.append(" through ").append(readers.size()).append(readers.size() == 1 ? " reader (" : " readers (");
            int listed = Math.min(readers.size(), MAX_LISTED_READERS);
            for (int i = 0; i < listed; i++) {
                if (i > 0) {
                    out.append(", ");
                }
                name(out, readers.get(i));
            }
            if (readers.size() > listed) {
                out.append(", +").append(readers.size() - listed).append(" more");
            }
            out.append(')');
        } else {
            reader(out, access);
        }
        List<ProcessInfo> targets = alert.targets();
        out.append(access.kind() == AccessKind.OPEN || access.kind() == AccessKind.READ ? " read the " : " touched the ")
                .append(access.file().id()).append(" of ").append(targets.size())
                .append(targets.size() == 1 ? " process (" : " processes (");
        int listed = Math.min(targets.size(), MAX_LISTED_TARGETS);
        for (int i = 0; i < listed; i++) {
            if (i > 0) {
                out.append(", ");
            }
            pid(out, targets.get(i).pid());
        }
        if (targets.size() > listed) {
            out.append(", +").append(targets.size() - listed).append(" more");
        }
        out.append(") in ").append(alert.count()).append(alert.count() == 1 ? " access" : " accesses");
    }

    private static void lost(StringBuilder out, Alert alert) {
        out.append(alert.count()).append(alert.count() == 1 ? " event lost" : " events lost");
        if (!alert.lost().isEmpty()) {
            out.append(" (");
            boolean first = true;
            for (Map.Entry<String, Long> e : new TreeMap<>(alert.lost()).entrySet()) {
                if (!first) {
                    out.append(", ");
                }
                first = false;
                appendEscaped(out, e.getKey());
                out.append(' ').append(e.getValue());
            }
            out.append(')');
        }
    }

    /** The reader with its lineage, or "an unknown process" with the best-effort candidates when the source could not tell. */
    private static void reader(StringBuilder out, EnvironAccess access) {
        ProcessInfo reader = access.reader();
        if (reader.isKnown() || access.possibleReaders().isEmpty()) {
            lineage(out, reader);
            process(out, reader, true);
            return;
        }
        out.append("an unknown process (possibly ");
        List<ProcessInfo> candidates = access.possibleReaders();
        for (int i = 0; i < candidates.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            process(out, candidates.get(i), true);
        }
        out.append(')');
    }

    /** {@code … > grandparent[pid] > parent[pid] > }: the nearest {@value #LINEAGE_SHOWN} ancestors, oldest first. */
    private static void lineage(StringBuilder out, ProcessInfo p) {
        List<Ancestor> chain = p.ancestors();
        if (chain.isEmpty()) {
            return;
        }
        int shown = Math.min(chain.size(), LINEAGE_SHOWN);
        if (chain.size() > shown) {
            out.append("\u2026 > ");
        }
        for (int i = shown - 1; i >= 0; i--) {
            Ancestor a = chain.get(i);
            appendEscaped(out, a.comm() == null ? UNKNOWN : a.comm());
            out.append('[');
            pid(out, a.pid());
            out.append("] > ");
        }
    }

    /** {@code comm[pid] (exe, uid N)}; unknown parts are left out, an unknown name is {@code unknown}. */
    private static void process(StringBuilder out, ProcessInfo p, boolean withUid) {
        if (!p.isKnown() && p.comm() == null && p.exe() == null) {
            out.append("an unknown process");
            return;
        }
        name(out, p);
        boolean exe = p.exe() != null;
        boolean uid = withUid && p.uid() != ProcessInfo.UNKNOWN;
        if (exe || uid) {
            out.append(" (");
            if (exe) {
                appendEscaped(out, p.exe());
            }
            if (uid) {
                out.append(exe ? ", uid " : "uid ").append(p.uid());
            }
            out.append(')');
        }
    }

    /** {@code comm[pid]}. */
    private static void name(StringBuilder out, ProcessInfo p) {
        appendEscaped(out, p.comm() == null ? UNKNOWN : p.comm());
        out.append('[');
        pid(out, p.pid());
        out.append(']');
    }

    private static void pid(StringBuilder out, int pid) {
        if (pid == ProcessInfo.UNKNOWN) {
            out.append(UNKNOWN);
        } else {
            out.append(pid);
        }
    }

    /** Appends {@code s} with every character that could break or disguise the line escaped ({@link UntrustedText}). */
    static void appendEscaped(StringBuilder out, String s) {
        UntrustedText.appendEscaped(out, s);
    }
}
