package io.environguard.sink;

import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes an {@link Alert} as one short line for people: the {@code slf4j} sink's message and the host
 * monitor's {@code --format text}.
 *
 * <pre>{@code
 * AlertText.format(alert);
 * // HIGH environ_read_from_procfs: cat[4242] (/usr/bin/cat, uid 1000) opened /proc/42/environ of sleep[42] (/usr/bin/sleep) — no allow rule matches
 * // CRITICAL environ_sweep: python3[777] (/usr/bin/python3.12, uid 0) read the environ of 12 processes (1, 2, 3, 4, 5, +7 more) in 14 accesses — ...
 * // HIGH environ_events_lost: 17 events lost (queue_overflow 12, target_exited 5) — ...
 * }</pre>
 *
 * <p>Strings from processes (comm, exe, paths) may hold any character: control characters are shown as
 * {@code \n}, {@code \t}, {@code \}{@code u001b}..., backslashes doubled, bidirectional-override characters
 * escaped (so a crafted name cannot reorder the line on screen) and broken surrogates replaced by U+FFFD,
 * so the line is always one line and reads as what it is. Only the first reason is shown.
 */
public final class AlertText {

    /** Targets of a sweep listed by pid before the rest is summarized as "+N more". */
    private static final int MAX_LISTED_TARGETS = 5;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private AlertText() {
    }

    /** The alert as one line, without a trailing newline. */
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
        reader(out, access);
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

    /** The reader, or "an unknown process" with the best-effort candidates when the source could not tell. */
    private static void reader(StringBuilder out, EnvironAccess access) {
        ProcessInfo reader = access.reader();
        if (reader.isKnown() || access.possibleReaders().isEmpty()) {
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

    /** {@code comm[pid] (exe, uid N)}; unknown parts are left out. */
    private static void process(StringBuilder out, ProcessInfo p, boolean withUid) {
        if (!p.isKnown() && p.comm() == null && p.exe() == null) {
            out.append("an unknown process");
            return;
        }
        appendEscaped(out, p.comm() == null ? "?" : p.comm());
        out.append('[');
        pid(out, p.pid());
        out.append(']');
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

    private static void pid(StringBuilder out, int pid) {
        if (pid == ProcessInfo.UNKNOWN) {
            out.append('?');
        } else {
            out.append(pid);
        }
    }

    /**
     * {@code s} with every character that could break or disguise a line escaped, as in {@link #format}: control
     * characters as {@code \n}, {@code \t}, {@code \}{@code u001b}..., backslashes doubled, bidirectional controls
     * escaped, broken surrogates replaced by U+FFFD. For reports that show names and paths from processes.
     *
     * <pre>{@code
     * AlertText.escape("evil\nline");   // "evil\\nline": one line
     * }</pre>
     */
    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(s.length() + 8);
        appendEscaped(out, s);
        return out.toString();
    }

    /** Appends {@code s} with every character that could break or disguise the line escaped. */
    static void appendEscaped(StringBuilder out, String s) {
        int len = s.length();
        int copied = 0;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                continue;
            }
            if (c >= 0xa0 && !Character.isSurrogate(c) && !isLineOrBidiControl(c)) {
                continue;
            }
            out.append(s, copied, i);
            if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(i + 1));
                i++;
            } else if (Character.isSurrogate(c)) {
                out.append('\ufffd');
            } else {
                switch (c) {
                    case '\\': out.append("\\\\"); break;
                    case '\n': out.append("\\n"); break;
                    case '\r': out.append("\\r"); break;
                    case '\t': out.append("\\t"); break;
                    default:
                        out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                                .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
                }
            }
            copied = i + 1;
        }
        out.append(s, copied, len);
    }

    /** Line and paragraph separators, and the bidirectional embedding, override and isolate controls. */
    private static boolean isLineOrBidiControl(char c) {
        return c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c == '\u200e' || c == '\u200f' || c == '\u061c';
    }
}
