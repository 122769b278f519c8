package io.environguard.ci;

import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.api.UntrustedText;
import io.environguard.sink.AlertText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The words of a guarded run's report, for people: one block per finding (who read, the reader's lineage, whose
 * file, which file, when, why), and a summary (what was found, how it was watched, what that cannot see, what was
 * not held against the run). Names and paths from processes are escaped ({@link UntrustedText#escape}), so every line is
 * one line; no environment value is ever part of an alert, so none is part of a report.
 *
 * <pre>{@code
 * Reports.findingLines(finding, 1, 2, tree, "the command").forEach(line -> System.err.println("environ-guard: " + line));
 * }</pre>
 */
public final class Reports {

    private Reports() {
    }

    /**
     * The report's lines for one finding: a head line, then indented details.
     *
     * @param f         the finding
     * @param index     its number, from 1
     * @param total     how many findings the run has
     * @param tree      the judged tree, to show the reader's lineage against; may be {@code null}
     * @param rootLabel how the tree is called ({@code the command}, {@code this build})
     * @return the lines, without line breaks
     */
    public static List<String> findingLines(Finding f, int index, int total, CommandTree tree, String rootLabel) {
        Alert alert = f.alert();
        EnvironAccess access = alert.access();
        List<String> out = new ArrayList<>();
        out.add("finding " + index + " of " + total + " (" + kindWords(f.kind(), rootLabel) + "): "
                + alert.severity().name() + " " + UntrustedText.escape(alert.rule()) + " at " + access.time());
        if (f.kind() == FindingKind.UNATTRIBUTED_READ) {
            out.add("  reader:   " + (access.reader().isKnown()
                    ? process(access.reader()) + ", whose lineage could not be traced"
                    : "not named (the kernel hides the reader from an unprivileged listener)"));
            if (f.possibleReaders().isEmpty()) {
                out.add("  possible: no process of " + rootLabel + " held the file open when the event was read"
                        + (access.possibleReaders().isEmpty() ? "" : " (other holders: " + processes(access.possibleReaders()) + ")"));
            } else {
                for (ProcessInfo p : f.possibleReaders()) {
                    out.add("  possible: " + lineage(p, tree, rootLabel) + " (held the file open; a hint, not proof)");
                }
            }
        } else {
            out.add("  reader:   " + process(f.reader()));
            out.add("  lineage:  " + lineage(f.reader(), tree, rootLabel));
        }
        String targetWords = process(access.target());
        if (f.target() != null) {
            targetWords += ": " + (tree != null && f.target().id().equals(tree.guard().id()) ? "the guard itself"
                    : "a process above " + rootLabel);
        }
        out.add("  target:   " + targetWords);
        out.add("  file:     " + access.file().id() + " " + (access.path() == null ? "(path unknown)" : UntrustedText.escape(access.path()))
                + " (" + access.kind().id() + ", seen by " + UntrustedText.escape(access.source()) + ")");
        if (!alert.targets().isEmpty()) {
            out.add("  sweep:    " + alert.targets().size() + " targets in " + alert.count() + " accesses: " + processes(alert.targets()));
        }
        for (String reason : alert.reasons()) {
            out.add("  why:      " + UntrustedText.escape(reason));
        }
        for (String note : access.notes()) {
            out.add("  note:     " + UntrustedText.escape(note));
        }
        return out;
    }

    /**
     * @param f         the finding
     * @param rootLabel how the tree is called ({@code the command}, {@code this build})
     * @return one line for a finding as it is made (the live line on stderr)
     */
    public static String liveLine(Finding f, String rootLabel) {
        return "finding (" + kindWords(f.kind(), rootLabel) + "): " + AlertText.format(f.alert());
    }

    /**
     * @param v         the run's outcome
     * @param rootLabel how the tree is called ({@code the command}, {@code this build})
     * @return the summary lines: what was found, how it was watched, what it cannot see, what was left out
     */
    public static List<String> summary(RunVerdict v, String rootLabel) {
        List<String> out = new ArrayList<>();
        RunJudge.Tally t = v.tally();
        int n = t.findings().size();
        out.add(n == 0 ? "no process of " + rootLabel + " read another process's environ or mem (as far as mode "
                + v.mode().id() + " sees)" : n + (n == 1 ? " finding: a process of " : " findings: processes of ")
                + rootLabel + " read another process's environ or mem");
        if (v.judgeMissed() > 0) {
            out.add(v.judgeMissed() + " alert(s) never reached the judge (its queue was full): a finding among them"
                    + " cannot be ruled out, so the run fails");
        }
        out.add("mode " + v.mode().id() + " (source " + UntrustedText.escape(v.source()) + ")"
                + (v.watching().isEmpty() ? "" : ". Watching: " + escapeAll(v.watching())));
        out.add("cannot see: " + escapeAll(v.cannotSee()));
        List<String> notHeld = new ArrayList<>();
        if (t.outsideCount() > 0) {
            notHeld.add(t.outsideCount() + " alert(s) of readers outside the tree (e.g. " + samples(t.outsideSamples()) + ")");
        }
        if (t.knownReaderCount() > 0) {
            notHeld.add(t.knownReaderCount() + " ordinary read(s) by known readers of the tree (a plain ps or top)");
        }
        if (t.unplacedCount() > 0) {
            notHeld.add(t.unplacedCount() + " alert(s) whose reader could not be placed, of processes not guarded (e.g. "
                    + samples(t.unplacedSamples()) + ")");
        }
        if (!notHeld.isEmpty()) {
            out.add("not held against " + rootLabel + ": " + String.join("; ", notHeld));
        }
        if (t.lostTotal() > 0) {
            StringBuilder causes = new StringBuilder();
            for (Map.Entry<String, Long> e : new java.util.TreeMap<>(t.lost()).entrySet()) {
                causes.append(causes.length() == 0 ? "" : ", ").append(UntrustedText.escape(e.getKey())).append(' ').append(e.getValue());
            }
            out.add(t.lostTotal() + " event(s) lost (" + causes + "): reads in that time may have been missed");
        }
        return out;
    }

    /** {@code comm[pid] (exe, uid N)}. */
    static String process(ProcessInfo p) {
        if (p == null || (!p.isKnown() && p.comm() == null && p.exe() == null)) {
            return "an unknown process";
        }
        StringBuilder b = new StringBuilder();
        b.append(UntrustedText.escape(p.comm() == null ? "?" : p.comm())).append('[').append(p.pid() < 0 ? "?" : p.pid()).append(']');
        List<String> details = new ArrayList<>(2);
        if (p.exe() != null) {
            details.add(UntrustedText.escape(p.exe()));
        }
        if (p.uid() >= 0) {
            details.add("uid " + p.uid());
        }
        if (!details.isEmpty()) {
            b.append(" (").append(String.join(", ", details)).append(')');
        }
        return b.toString();
    }

    /** The reader and its ancestors, parent first, with the tree's root and guard marked. */
    static String lineage(ProcessInfo p, CommandTree tree, String rootLabel) {
        StringBuilder b = new StringBuilder(UntrustedText.escape(p.comm() == null ? "?" : p.comm())).append('[').append(p.pid()).append(']');
        mark(b, ProcessId.of(p), tree, rootLabel);
        if (p.ancestors().isEmpty()) {
            return b.append(" (the source recorded no lineage)").toString();
        }
        for (Ancestor a : p.ancestors()) {
            b.append(" <- ").append(UntrustedText.escape(a.comm() == null ? "?" : a.comm())).append('[').append(a.pid()).append(']');
            mark(b, ProcessId.of(a), tree, rootLabel);
        }
        return b.toString();
    }

    private static void mark(StringBuilder b, ProcessId id, CommandTree tree, String rootLabel) {
        if (tree == null) {
            return;
        }
        if (tree.root().is(id) || (!tree.root().hasStartTime() && tree.root().pid() == id.pid())) {
            b.append(" (").append(rootLabel).append(')');
        } else if (tree.guard().id().is(id)) {
            b.append(" (the guard)");
        }
    }

    /** Names of guarded processes: {@code sh[4100] (/usr/bin/dash)}. */
    static String names(List<GuardedProcess> processes) {
        List<String> out = new ArrayList<>();
        for (GuardedProcess g : processes) {
            out.add(UntrustedText.escape(g.comm() == null ? "?" : g.comm()) + "[" + g.id().pid() + "]"
                    + (g.exe() == null ? "" : " (" + UntrustedText.escape(g.exe()) + ")"));
        }
        return String.join(", ", out);
    }

    private static String processes(List<ProcessInfo> ps) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ps.size() && i < 10; i++) {
            out.add(process(ps.get(i)));
        }
        if (ps.size() > 10) {
            out.add("+" + (ps.size() - 10) + " more");
        }
        return String.join(", ", out);
    }

    private static String samples(List<Alert> alerts) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < alerts.size() && i < 3; i++) {
            EnvironAccess a = alerts.get(i).access();
            out.add(process(a.reader()) + " read " + (a.path() == null ? a.file().id() : UntrustedText.escape(a.path())));
        }
        return String.join("; ", out);
    }

    private static String escapeAll(List<String> items) {
        List<String> out = new ArrayList<>(items.size());
        items.forEach(s -> out.add(UntrustedText.escape(s)));
        return String.join("; ", out);
    }

    private static String kindWords(FindingKind kind, String rootLabel) {
        switch (kind) {
            case ANCESTOR_READ: return "read of the guard or a process above " + rootLabel;
            case UNATTRIBUTED_READ: return "read of the guard or a process above " + rootLabel + " by a reader not placed";
            default: return "read by " + rootLabel;
        }
    }
}
