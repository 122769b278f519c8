package io.environguard.policy;

import io.environguard.api.AccessKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.api.UntrustedText;

import java.util.List;

/**
 * The sentences of alert reasons. Only called when alerting: everything here allocates. Strings that come
 * from other processes ({@code comm}, paths) are escaped by {@link UntrustedText} and capped, so that a
 * process named with a newline cannot forge a line in a log, whatever sink shows the reason. Command lines
 * are left out altogether.
 */
final class Reasons {

    /** At most this many processes are named in one sentence; the alert's fields carry them all. */
    static final int MAX_LISTED = 5;
    private static final int MAX_TEXT = 256;

    private Reasons() {
    }

    /** "cat (pid 4242, /usr/bin/cat, uid 1000) opened /proc/42/environ of sleep (pid 42)". */
    static String access(EnvironAccess access) {
        // one builder for the whole sentence: this runs once per alert, and alerts should stay small
        StringBuilder out = new StringBuilder(128);
        if (access.kind() == AccessKind.COMMAND_LINE) {
            appendDescription(out.append("The command line of "), access.reader()).append(" names ");
        } else {
            if (!access.reader().isKnown()) {
                out.append("An unidentified process");
            } else {
                appendDescription(out, access.reader());
            }
            out.append(' ').append(verb(access.kind())).append(' ');
        }
        if (access.path() == null) {
            out.append("the ").append(access.file().id()).append(" file");
        } else {
            appendClean(out, access.path());
        }
        return appendBrief(out.append(" of "), access.target()).toString();
    }

    /** Facts about the reader that a person weighing the alert should know; none when it is fully known. */
    static void aboutReader(EnvironAccess access, List<String> out) {
        ProcessInfo reader = access.reader();
        if (!reader.isKnown()) {
            out.add("The source could not identify the reader");
            List<ProcessInfo> candidates = access.possibleReaders();
            if (!candidates.isEmpty()) {
                out.add("Possible readers (best effort, not proof): " + list(candidates, true));
            }
        } else if (!reader.complete()) {
            out.add("Some details of the reader could not be read (it may have exited)");
        }
    }

    static String commandLineCaveat() {
        return "Lower confidence: the command line names the file, which may not have been read; "
                + "severity is one step lower";
    }

    /** "cat (pid 4242, /usr/bin/cat, uid 1000)", or "an unidentified process". */
    static String describe(ProcessInfo p) {
        return appendDescription(new StringBuilder(64), p).toString();
    }

    private static StringBuilder appendDescription(StringBuilder out, ProcessInfo p) {
        if (!p.isKnown()) {
            return out.append("an unidentified process");
        }
        appendName(out, p).append(" (pid ").append(p.pid());
        if (p.exe() != null) {
            appendClean(out.append(", "), p.exe());
        }
        if (p.uid() >= 0) {
            out.append(", uid ").append(p.uid());
        }
        if (p.containerId() != null) {
            String id = p.containerId();
            appendClean(out.append(", container "), id.substring(0, Math.min(id.length(), AllowRule.MIN_CONTAINER_PREFIX)));
        }
        return out.append(')');
    }

    /** "sleep (pid 42)", or "an unidentified process". */
    static String brief(ProcessInfo p) {
        return appendBrief(new StringBuilder(32), p).toString();
    }

    private static StringBuilder appendBrief(StringBuilder out, ProcessInfo p) {
        if (!p.isKnown()) {
            return out.append("an unidentified process");
        }
        return appendName(out, p).append(" (pid ").append(p.pid()).append(')');
    }

    /** "sleep (pid 42), bash (pid 43) and 8 more". */
    static String list(List<ProcessInfo> processes, boolean detailed) {
        StringBuilder out = new StringBuilder();
        int shown = Math.min(processes.size(), MAX_LISTED);
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                out.append(", ");
            }
            out.append(detailed ? describe(processes.get(i)) : brief(processes.get(i)));
        }
        if (processes.size() > shown) {
            out.append(" and ").append(processes.size() - shown).append(" more");
        }
        return out.toString();
    }

    /** "10s", "1500ms", "2m". */
    static String duration(long nanos) {
        if (nanos % 60_000_000_000L == 0 && nanos >= 60_000_000_000L) {
            return nanos / 60_000_000_000L + "m";
        }
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        return nanos / 1000 + "us";
    }

    /** The comm, else the executable's file name, else "process"; cleaned. */
    private static StringBuilder appendName(StringBuilder out, ProcessInfo p) {
        if (p.comm() != null && !p.comm().isEmpty()) {
            return appendClean(out, p.comm());
        }
        if (p.exe() != null) {
            return appendClean(out, p.exe().substring(p.exe().lastIndexOf('/') + 1));
        }
        return out.append("process");
    }

    /** Escapes what could break or disguise a line ({@link UntrustedText}) and caps the length at 256 characters. */
    static String clean(String s) {
        return appendClean(new StringBuilder(Math.min(s.length(), MAX_TEXT) + 8), s).toString();
    }

    private static StringBuilder appendClean(StringBuilder out, String s) {
        return UntrustedText.appendEscaped(out, s, MAX_TEXT);
    }

    private static String verb(AccessKind kind) {
        switch (kind) {
            case READ: return "read";
            case HELD_OPEN: return "held open";
            default: return "opened";
        }
    }
}
