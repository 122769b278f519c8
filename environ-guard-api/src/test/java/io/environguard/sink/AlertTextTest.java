package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class AlertTextTest {

    @Test
    void singleAccess() {
        assertEquals("HIGH environ_read_from_procfs: cat[4242] (/usr/bin/cat, uid 1000) opened /proc/42/environ of "
                + "sleep[42] (/usr/bin/sleep) \u2014 no allow rule matches", AlertText.format(SampleAlerts.single()));
    }

    @Test
    void eachAccessKindReadsAsASentence() {
        assertEquals("INFO r: cat[4242] (/usr/bin/cat, uid 1000) read /proc/42/environ of sleep[42] (/usr/bin/sleep)",
                text(AccessKind.READ));
        assertEquals("INFO r: cat[4242] (/usr/bin/cat, uid 1000) held /proc/42/environ of sleep[42] (/usr/bin/sleep) open",
                text(AccessKind.HELD_OPEN));
        assertEquals("INFO r: cat[4242] (/usr/bin/cat, uid 1000) named /proc/42/environ of sleep[42] (/usr/bin/sleep) "
                + "on its command line", text(AccessKind.COMMAND_LINE));
    }

    private static String text(AccessKind kind) {
        return AlertText.format(Alert.of(SampleAlerts.access().kind(kind).build(), "r", Severity.INFO, null, List.of()));
    }

    @Test
    void sweepListsAFewTargetsAndCountsTheRest() {
        assertEquals("CRITICAL environ_sweep: cat[4242] (/usr/bin/cat, uid 1000) read the environ of 7 processes "
                + "(100, 101, 102, 103, 104, +2 more) in 9 accesses \u2014 one reader, many targets",
                AlertText.format(SampleAlerts.sweep(7)));
    }

    @Test
    void lostEvents() {
        assertEquals("HIGH environ_events_lost: 17 events lost (queue_overflow 12, target_exited 5) \u2014 events may have been missed",
                AlertText.format(SampleAlerts.lost()));
    }

    @Test
    void unknownReaderShowsCandidatesAndUnknownFields() {
        Alert alert = Alert.of(SampleAlerts.access().reader(ProcessInfo.unknown())
                        .possibleReaders(List.of(ProcessInfo.builder(7).comm("bash").build()))
                        .target(ProcessInfo.builder(42).build()).build(),
                Rules.ENVIRON_READ, Severity.MEDIUM, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of());
        assertEquals("MEDIUM environ_read_from_procfs: an unknown process (possibly bash[7]) opened /proc/42/environ of unknown[42]",
                AlertText.format(alert));
    }

    @Test
    void unknownValuesPrintAsUnknownNeverAsAQuestionMark() {
        ProcessInfo nameless = ProcessInfo.builder(9).exe("/usr/bin/cat").ancestors(List.of(
                new Ancestor(8, -1, null, null), new Ancestor(ProcessInfo.UNKNOWN, -1, "init?", null))).build();
        Alert read = Alert.of(SampleAlerts.access().reader(nameless).build(), Rules.ENVIRON_READ, Severity.HIGH, null, List.of());
        assertEquals("HIGH environ_read_from_procfs: init?[unknown] > unknown[8] > unknown[9] (/usr/bin/cat) opened "
                + "/proc/42/environ of sleep[42] (/usr/bin/sleep)", AlertText.format(read));
        Alert sweep = new Alert(SampleAlerts.TIME, Rules.ENVIRON_SWEEP, Severity.CRITICAL, List.of(), null,
                SampleAlerts.access().build(), List.of(ProcessInfo.unknown(), ProcessInfo.builder(5).build()), 2, null);
        assertTrue(AlertText.format(sweep).contains("read the environ of 2 processes (unknown, 5) in 2 accesses"),
                AlertText.format(sweep));
    }

    @Test
    void aReaderWithLineageShowsItsParentAndGrandparentThenAnEllipsis() {
        Alert alert = Alert.of(SampleAlerts.access().reader(SampleAlerts.catOfShell(901)).build(), Rules.ENVIRON_READ,
                Severity.HIGH, null, List.of("r"));
        assertEquals("HIGH environ_read_from_procfs: \u2026 > sshd[400] > bash[812] > cat[901] (/usr/bin/cat, uid 0) opened "
                + "/proc/42/environ of sleep[42] (/usr/bin/sleep) \u2014 r", AlertText.format(alert));

        ProcessInfo child = ProcessInfo.builder(34).comm("python3").ancestors(List.of(
                new Ancestor(12, 5, "bash", "/usr/bin/bash"))).build();
        Alert near = Alert.of(SampleAlerts.access().reader(child).build(), Rules.ENVIRON_READ, Severity.HIGH, null, List.of());
        assertTrue(AlertText.format(near).startsWith("HIGH environ_read_from_procfs: bash[12] > python3[34] opened"),
                AlertText.format(near));
    }

    @Test
    void aFamilySweepBlamesTheParentAndCountsItsReaders() {
        assertEquals("CRITICAL environ_sweep: systemd[1] > sshd[400] > bash[812] (/usr/bin/bash) through 5 readers "
                        + "(cat[901], cat[902], cat[903], +2 more) read the environ of 5 processes (100, 101, 102, 103, 104) "
                        + "in 5 accesses \u2014 a family of readers",
                AlertText.format(SampleAlerts.familySweep(Rules.ENVIRON_SWEEP, 5)));
        String ended = AlertText.format(SampleAlerts.familySweep(Rules.ENVIRON_SWEEP_ENDED, 1));
        assertTrue(ended.startsWith("CRITICAL environ_sweep_ended: systemd[1] > sshd[400] > bash[812] (/usr/bin/bash) "
                + "through 1 reader (cat[901]) read the environ of 1 process (100) in 1 access"), ended);
    }

    @Test
    void controlCharactersInProcessNamesCannotBreakOrDisguiseTheLine() {
        ProcessInfo evil = ProcessInfo.builder(6).comm("x\nHIGH fake alert\u202e\u001b[2J\\").exe("/tmp/a\tb").uid(0).build();
        Alert alert = Alert.of(SampleAlerts.access().reader(evil).build(), Rules.ENVIRON_READ, Severity.HIGH, null,
                List.of("r\r\n"));
        assertEquals("HIGH environ_read_from_procfs: x\\nHIGH fake alert\\u202e\\u001b[2J\\\\[6] (/tmp/a\\tb, uid 0) opened "
                + "/proc/42/environ of sleep[42] (/usr/bin/sleep) \u2014 r\\r\\n", AlertText.format(alert));
    }

    @Provide
    Arbitrary<Alert> alerts() {
        return AlertArbitraries.alerts();
    }

    @Property
    void anyAlertIsOneLineOfPrintableText(@ForAll("alerts") Alert alert) {
        String text = AlertText.format(alert);
        assertTrue(text.startsWith(alert.severity().name() + " "), text);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            assertTrue(c >= 0x20 && (c < 0x7f || c > 0x9f), () -> "control character in " + text);
            assertTrue(c != '\u2028' && c != '\u2029' && !(c >= '\u202a' && c <= '\u202e') && !(c >= '\u2066' && c <= '\u2069'),
                    () -> "line or bidi control in " + text);
            if (Character.isHighSurrogate(c)) {
                assertTrue(i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)), () -> "lone surrogate in " + text);
                i++;
            } else {
                assertTrue(!Character.isLowSurrogate(c), () -> "lone surrogate in " + text);
            }
        }
    }
}
