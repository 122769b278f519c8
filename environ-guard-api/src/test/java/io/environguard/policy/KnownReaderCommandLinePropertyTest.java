package io.environguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AliasKind;
import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.PsCommandLine;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The known-readers exemption and {@code ps}: a {@code ps} that lists processes is ordinary (procps opens every
 * process's environ for any listing), one asked to print environments ({@code ps e}, {@code ps -o pid,environ}) is
 * judged as any other reader. Command lines are generated from ps's own grammar, with a model of whether they ask:
 * options whose values hold an {@code e} ({@code -C sleep}, {@code U steve}, {@code --sort=etime}) must not count.
 */
class KnownReaderCommandLinePropertyTest {

    private static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");
    private static final ProcessInfo TARGET = ProcessInfo.builder(42).comm("sleep").exe("/usr/bin/sleep").uid(1000)
            .startTime(100).build();

    /** One ps command line and whether, by the model, it asks for environments. */
    record PsLine(List<String> cmdline, boolean asks) {
    }

    /** Some arguments and whether they ask. */
    record Part(List<String> args, boolean asks) {
    }

    @Provide
    Arbitrary<PsLine> psLines() {
        Arbitrary<String> argv0 = Arbitraries.of("ps", "/usr/bin/ps", "/bin/ps", "procps");
        return Combinators.combine(argv0, part().list().ofMaxSize(6)).as((zero, parts) -> {
            List<String> cmdline = new ArrayList<>();
            cmdline.add(zero);
            boolean asks = false;
            for (Part p : parts) {
                cmdline.addAll(p.args());
                asks |= p.asks();
            }
            return new PsLine(List.copyOf(cmdline), asks);
        });
    }

    private static Arbitrary<Part> part() {
        Arbitrary<String> words = Arbitraries.of("sleep", "steve", "etime", "root", "1,2", "pts/0", "e", "eww",
                "environ", "-e", "start_time", "bash", "Web Content", "x) (y", "");
        Arbitrary<String> formats = Arbitraries.of("pid,comm", "pid,args", "user,pid,%cpu", "comm=e", "args:40",
                "pid environ", "pid,environ", "environ", "ENVIRON=E", "pid,environ:80", "environ=", "pid,args=environ",
                "etime,env", "environment");
        Arbitrary<String> unixFlags = Arbitraries.strings().withChars("aAdefFHjlLMNTwxyZc").ofMinLength(1).ofMaxLength(4);
        Arbitrary<String> bsdFlags = Arbitraries.strings().withChars("acfhjlmnrsuvwxHLSTXZ").ofMinLength(1).ofMaxLength(5);
        return Arbitraries.oneOf(
                // -ef, -aux: UNIX flags; -e is every process, never the environment
                unixFlags.map(f -> new Part(List.of("-" + f), false)),
                // aux, auxww: BSD flags without e
                bsdFlags.map(f -> new Part(List.of(f), false)),
                // auxe, eww, axeww: BSD flags with e somewhere
                Combinators.combine(bsdFlags, Arbitraries.integers().between(0, 5))
                        .as((f, at) -> new Part(List.of(f.substring(0, Math.min(at, f.length())) + "e"
                                + f.substring(Math.min(at, f.length()))), true)),
                // -C sleep, -u steve, -Csleep: a UNIX option's value is not options
                Combinators.combine(Arbitraries.of("-C", "-G", "-g", "-p", "-q", "-s", "-t", "-U", "-u", "-k"), words,
                                Arbitraries.of(true, false))
                        .as((o, w, attached) -> new Part(attached && !w.isEmpty() ? List.of(o + w) : List.of(o, w), false)),
                // U steve, p 1,2, auxU root: a BSD option's value is not options (flags before it may hold an e)
                Combinators.combine(bsdFlags, Arbitraries.of("p", "q", "t", "U", "k"), words, Arbitraries.of(true, false))
                        .as((f, o, w, withE) -> new Part(List.of((withE ? "e" : "") + f + o, w), withE)),
                // --sort etime, --user=steve, --forest
                Combinators.combine(Arbitraries.of("--sort", "--user", "--pid", "--tty", "--group", "--cols"), words,
                                Arbitraries.of(true, false))
                        .as((o, w, eq) -> new Part(eq ? List.of(o + "=" + w) : List.of(o, w), false)),
                Arbitraries.of("--forest", "--headers", "--no-headers", "--help").map(o -> new Part(List.of(o), false)),
                // -o pid,environ, O environ, --format=pid,environ: a format list that names environ asks
                Combinators.combine(Arbitraries.of("-o", "-O", "o", "O", "--format", "-ao", "axo", "--format="), formats)
                        .as((o, f) -> {
                            boolean bsdWithE = false;
                            List<String> args = o.endsWith("=") ? List.of(o + f) : List.of(o, f);
                            return new Part(args, bsdWithE || namesEnviron(f));
                        }),
                // bare pid lists
                Arbitraries.integers().between(1, 99999).map(p -> new Part(List.of(Integer.toString(p)), false)));
    }

    /** The model's own reading of a format list: a specifier named environ, before any header text. */
    private static boolean namesEnviron(String format) {
        for (String spec : format.split("[, ]")) {
            int eq = spec.indexOf('=');
            int colon = spec.indexOf(':');
            int end = eq >= 0 ? eq : colon >= 0 ? colon : spec.length();
            if (spec.substring(0, end).equalsIgnoreCase("environ")) {
                return true;
            }
            if (eq >= 0) {
                return false;
            }
        }
        return false;
    }

    @Property
    void psAsksForEnvironmentsExactlyWhenTheModelSaysSo(@ForAll("psLines") PsLine line) {
        assertEquals(line.asks(), PsCommandLine.asksForEnvironments(line.cmdline()), () -> line.cmdline().toString());
        Statistics.label("asks").collect(line.asks());
        Statistics.label("asks").coverage(c -> {
            c.check(true).percentage(p -> p > 20);
            c.check(false).percentage(p -> p > 20);
        });
    }

    @Property
    void aPsIsAKnownReaderUnlessItPrintsEnvironments(@ForAll("psLines") PsLine line) {
        ProcessInfo ps = ProcessInfo.builder(5000).comm("ps").exe("/usr/bin/ps").uid(0).startTime(600)
                .cmdline(line.cmdline()).build();
        Alert alert = new Policy(PolicyConfig.defaults(), 777).evaluate(read(ps, ProcFile.ENVIRON)).orElseThrow();
        if (line.asks()) {
            assertEquals(Rules.ENVIRON_READ, alert.rule(), () -> line.cmdline() + ": " + alert.reasons());
            assertEquals(Severity.HIGH, alert.severity());
            assertTrue(alert.reasons().stream().anyMatch(r -> r.contains("asks it to print environments")), alert::toString);
        } else {
            assertEquals(Rules.KNOWN_READER, alert.rule(), () -> line.cmdline() + ": " + alert.reasons());
            assertEquals(Severity.LOW, alert.severity());
        }
    }

    @Property
    void aProtectedTargetReadByAPsThatPrintsEnvironmentsIsCritical(@ForAll("psLines") PsLine line) {
        ProcessInfo ps = ProcessInfo.builder(5000).comm("ps").exe("/bin/ps").uid(0).cmdline(line.cmdline()).build();
        Policy policy = new Policy(PolicyConfig.builder().protectPid(42).build(), 777);
        Alert alert = policy.evaluate(read(ps, ProcFile.ENVIRON)).orElseThrow();
        assertEquals(Rules.PROTECTED_TARGET, alert.rule());
        assertEquals(line.asks() ? Severity.CRITICAL : Severity.HIGH, alert.severity(), () -> line.cmdline().toString());
    }

    @Property
    void onlyPsIsRefined(@ForAll("psLines") PsLine line) {
        // top with the same arguments: its command line has no such meaning, and the exemption stays
        List<String> cmdline = new ArrayList<>(line.cmdline());
        cmdline.set(0, "top");
        ProcessInfo top = ProcessInfo.builder(5001).comm("top").exe("/usr/bin/top").cmdline(cmdline).build();
        Alert alert = new Policy(PolicyConfig.defaults(), 777).evaluate(read(top, ProcFile.ENVIRON)).orElseThrow();
        assertEquals(Rules.KNOWN_READER, alert.rule());
        assertTrue(PolicyConfig.defaults().coversKnownReader(top));
    }

    @Property
    void memIsNeverDiscountedWhateverTheCommandLine(@ForAll("psLines") PsLine line) {
        ProcessInfo ps = ProcessInfo.builder(5000).exe("/usr/bin/ps").cmdline(line.cmdline()).build();
        Alert alert = new Policy(PolicyConfig.defaults(), 777).evaluate(read(ps, ProcFile.MEM)).orElseThrow();
        assertEquals(Rules.MEM_READ, alert.rule());
    }

    @Example
    void examples() {
        assertTrue(PsCommandLine.asksForEnvironments(List.of("ps", "eww")));
        assertTrue(PsCommandLine.asksForEnvironments(List.of("ps", "auxe")));
        assertTrue(PsCommandLine.asksForEnvironments(List.of("ps", "-o", "pid,environ")));
        assertTrue(PsCommandLine.asksForEnvironments(List.of("ps", "axo", "pid,environ=ENV")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps", "aux")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps", "-e")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps", "-ef")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps", "-C", "sleep")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps", "U", "steve")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps", "--sort=etime")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps", "-o", "pid,args=environ")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of("ps")));
        assertFalse(PsCommandLine.asksForEnvironments(List.of()));
        assertFalse(PsCommandLine.asksForEnvironments(null));
        assertEquals(2, PsCommandLine.environmentArgument(List.of("ps", "aux", "e")));
    }

    private static EnvironAccess read(ProcessInfo reader, ProcFile file) {
        return EnvironAccess.builder().time(T0).source("test").file(file)
                .path("/proc/42/" + file.id()).alias(AliasKind.PROCESS).reader(reader).target(TARGET).build();
    }
}
