package io.environguard.sink;

import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/** Generators for alerts of every shape, with strings that try to break a serializer. */
final class AlertArbitraries {

    private AlertArbitraries() {
    }

    /** Any alert: single access, sweep (of a reader or a family, or its end) or lost events. */
    static Arbitrary<Alert> alerts() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, singleAlerts()),
                Tuple.of(2, sweepAlerts()),
                Tuple.of(1, lostAlerts()));
    }

    /**
     * Strings made of fragments a serializer gets wrong: quotes, backslashes, C0/C1 controls, line
     * separators, bidi overrides, lone surrogates of both kinds, emoji (valid pairs) and anything at all.
     */
    static Arbitrary<String> nastyStrings() {
        Arbitrary<String> fragment = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.strings().ascii().ofMaxLength(8)),
                Tuple.of(2, Arbitraries.strings().withCharRange('\u0000', '\u001f').ofMinLength(1).ofMaxLength(3)),
                Tuple.of(2, Arbitraries.of("\"", "\\", "\\u0041", "\u2028", "\u2029", "\u007f", "\u0085", "\u009b",
                        "\u202e", "\u2066", "\ufffd", "\ufeff", "\uffff", "é", "</script>", "\r\n")),
                Tuple.of(2, Arbitraries.chars().range('\ud800', '\udfff').map(String::valueOf)),
                Tuple.of(2, Arbitraries.integers().between(0x1f300, 0x1faff).map(Character::toString)),
                Tuple.of(2, Arbitraries.strings().all().ofMaxLength(6)));
        return fragment.list().ofMaxSize(6).map(parts -> String.join("", parts));
    }

    static Arbitrary<String> nullableStrings() {
        return nastyStrings().injectNull(0.2);
    }

    /** Process ids and user ids: often unknown (-1), usually plausible, sometimes any int. */
    static Arbitrary<Integer> ids() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(ProcessInfo.UNKNOWN)),
                Tuple.of(5, Arbitraries.integers().between(0, 4_194_304)),
                Tuple.of(1, Arbitraries.integers()));
    }

    static Arbitrary<Instant> instants() {
        return Combinators.combine(
                        Arbitraries.longs().between(0, 7_258_118_400L), // 1970 to 2200
                        Arbitraries.integers().between(0, 999_999_999))
                .as(Instant::ofEpochSecond);
    }

    /** Start times: often unknown (-1), usually plausible clock ticks, sometimes huge. */
    static Arbitrary<Long> startTimes() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(-1L)),
                Tuple.of(4, Arbitraries.longs().between(0, 100_000_000L)),
                Tuple.of(1, Arbitraries.longs().between(-1, Long.MAX_VALUE)));
    }

    /** Lineages of 0 to more than {@value ProcessInfo#MAX_ANCESTORS} ancestors (the record cuts them), any names. */
    static Arbitrary<List<Ancestor>> lineages() {
        Arbitrary<Ancestor> ancestor = Combinators.combine(ids(), startTimes(), nullableStrings(), nullableStrings())
                .as(Ancestor::new);
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(List.<Ancestor>of())),
                Tuple.of(3, ancestor.list().ofMinSize(1).ofMaxSize(ProcessInfo.MAX_ANCESTORS + 2)));
    }

    static Arbitrary<ProcessInfo> processes() {
        Arbitrary<int[]> numbers = Combinators.combine(ids(), ids(), ids(), ids(), ids())
                .as((pid, tid, ppid, uid, gid) -> new int[] {pid, tid, ppid, uid, gid});
        return Combinators.combine(numbers, nullableStrings(), nullableStrings(), nastyStrings().list().ofMaxSize(4),
                        nastyStrings().injectNull(0.6), startTimes(), Arbitraries.of(true, false), lineages())
                .as((n, comm, exe, cmdline, container, start, complete, lineage) ->
                        new ProcessInfo(n[0], n[1], n[2], n[3], n[4], comm, exe, cmdline, container, start, complete,
                                lineage));
    }

    static Arbitrary<EnvironAccess> accesses() {
        return Builders.withBuilder(EnvironAccess::builder)
                .use(instants()).in(EnvironAccess.Builder::time)
                .use(nastyStrings()).in(EnvironAccess.Builder::source)
                .use(Arbitraries.of(AccessKind.class)).in(EnvironAccess.Builder::kind)
                .use(Arbitraries.of(ProcFile.class)).in(EnvironAccess.Builder::file)
                .use(nastyStrings().injectNull(0.1)).in(EnvironAccess.Builder::path)
                .use(Arbitraries.of(AliasKind.class)).in(EnvironAccess.Builder::alias)
                .use(processes()).in(EnvironAccess.Builder::reader)
                .use(processes()).in(EnvironAccess.Builder::target)
                .use(processes().list().ofMaxSize(3)).in(EnvironAccess.Builder::possibleReaders)
                .use(nastyStrings().list().ofMaxSize(3)).in(EnvironAccess.Builder::notes)
                .build(EnvironAccess.Builder::build);
    }

    static Arbitrary<String> rules() {
        return Arbitraries.oneOf(
                Arbitraries.of(Rules.ENVIRON_READ, Rules.ENVIRON_SWEEP, Rules.ENVIRON_SWEEP_ENDED, Rules.PROTECTED_TARGET,
                        Rules.KNOWN_READER, Rules.MEM_READ, Rules.EVENTS_LOST),
                nastyStrings());
    }

    static Arbitrary<Mitre> mitres() {
        Arbitrary<Mitre> any = Combinators.combine(nastyStrings(), nastyStrings(), nastyStrings(), nastyStrings())
                .as(Mitre::new);
        return Arbitraries.oneOf(
                Arbitraries.of(Mitre.SYSTEM_INFORMATION_DISCOVERY, Mitre.PROC_FILESYSTEM_CREDENTIAL_DUMPING), any)
                .injectNull(0.2);
    }

    static Arbitrary<List<String>> reasons() {
        return nastyStrings().list().ofMaxSize(3);
    }

    static Arbitrary<Alert> singleAlerts() {
        return Combinators.combine(accesses(), rules(), Arbitraries.of(Severity.class), mitres(), reasons())
                .as((access, rule, severity, mitre, reasons) -> Alert.of(access, rule, severity, mitre, reasons));
    }

    /** Sweeps and their ends, of one reader (no actor) or of a family (the parent as actor), with their readers. */
    static Arbitrary<Alert> sweepAlerts() {
        Arbitrary<String> rule = Arbitraries.of(Rules.ENVIRON_SWEEP, Rules.ENVIRON_SWEEP_ENDED);
        Arbitrary<List<ProcessInfo>> targets = processes().list().ofMinSize(1).ofMaxSize(8);
        Arbitrary<ProcessInfo> actor = processes().injectNull(0.4);
        Arbitrary<List<ProcessInfo>> readers = processes().list().ofMaxSize(5);
        Arbitrary<Alert> withoutActor = Combinators.combine(accesses(), Arbitraries.of(Severity.class), mitres(),
                        reasons(), targets, Arbitraries.longs().between(1, Long.MAX_VALUE))
                .as((access, severity, mitre, reasons, t, count) ->
                        new Alert(access.time(), Rules.ENVIRON_SWEEP, severity, reasons, mitre, access, t, count, null));
        Arbitrary<Alert> withActor = Combinators.combine(accesses(), rule, Arbitraries.of(Severity.class), mitres(),
                        reasons(), targets, Arbitraries.longs().between(1, Long.MAX_VALUE), Combinators.combine(actor, readers)
                                .as(Tuple::of))
                .as((access, r, severity, mitre, reasons, t, count, who) -> new Alert(access.time(), r, severity, reasons,
                        mitre, access, t, count, null, who.get1(), who.get2()));
        return Arbitraries.oneOf(withoutActor, withActor);
    }

    static Arbitrary<Alert> lostAlerts() {
        return Combinators.combine(instants(), Arbitraries.of(Severity.class), mitres(), reasons(),
                        Arbitraries.maps(nastyStrings(), Arbitraries.longs().between(1, Long.MAX_VALUE)).ofMaxSize(4)
                                // distinct causes stay distinct in JSON: no two differ only in broken surrogates
                                .filter(m -> m.keySet().stream().map(AlertArbitraries::clean).distinct().count() == m.size()),
                        Arbitraries.longs().between(0, Long.MAX_VALUE))
                .as((time, severity, mitre, reasons, lost, count) ->
                        new Alert(time, Rules.EVENTS_LOST, severity, reasons, mitre, null, null, count, lost));
    }

    /** The documented replacement: a surrogate outside a valid pair becomes U+FFFD; everything else is kept. */
    static String clean(String s) {
        if (s == null) {
            return null;
        }
        int[] codePoints = s.codePoints().map(cp -> cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp).toArray();
        return new String(codePoints, 0, codePoints.length);
    }
}
