package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
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
        assertEquals("MEDIUM environ_read_from_procfs: an unknown process (possibly bash[7]) opened /proc/42/environ of ?[42]",
                AlertText.format(alert));
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
