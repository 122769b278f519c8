package io.environguard.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

/**
 * The one escaping of untrusted text. The text format's copy ({@code AlertText}) is kept as it was (one change:
 * backspace and form feed print as {@code \b} and {@code \f} instead of {@code \u0008} and {@code \u000c}); the
 * JSON copy ({@code JsonWriter}) is kept and now also escapes bidirectional controls; the reasons' copy
 * ({@code Reasons.appendClean}) was wrong and is fixed: it masked controls with {@code ?}, which also stands for
 * itself, and let backslashes and bidirectional overrides through.
 */
class UntrustedTextTest {

    @Test
    void whatTheTextFormatEscapedBeforeIsEscapedTheSameWay() {
        assertEquals("x\\nHIGH fake alert\\u202e\\u001b[2J\\\\", UntrustedText.escape("x\nHIGH fake alert\u202e\u001b[2J\\"));
        assertEquals("a\\tb\\r\\u0085\\u2028\\u2029\\u2066\\u200e\\u061c", UntrustedText.escape("a\tb\r\u0085\u2028\u2029\u2066\u200e\u061c"));
        assertEquals("é😀\ufffdx\ufffd", UntrustedText.escape("é😀\ud800x\udc00"));
        assertEquals("\\b\\f\\u007f", UntrustedText.escape("\b\f\u007f"));
    }

    @Test
    void jsonContentAddsTheQuoteAndNothingElse() {
        StringBuilder out = new StringBuilder();
        UntrustedText.appendJsonStringContent(out, "a\"b\\c\n\u202e");
        assertEquals("a\\\"b\\\\c\\n\\u202e", out.toString());
        assertEquals("a\"b", UntrustedText.escape("a\"b"), "a quote is plain text outside JSON");
    }

    @Test
    void theQuestionMarkStandsOnlyForItself() {
        // Reasons used to print "x?y" for both of these; now they differ.
        assertEquals("x?y", UntrustedText.escape("x?y"));
        assertEquals("x\\ny", UntrustedText.escape("x\ny"));
    }

    @Test
    void aCutStringEndsWithAnEllipsisAndNeverHalfASurrogatePair() {
        assertEquals("abc\u2026", UntrustedText.appendEscaped(new StringBuilder(), "abcdef", 3).toString());
        assertEquals("abcdef", UntrustedText.appendEscaped(new StringBuilder(), "abcdef", 6).toString());
        assertEquals("a\u2026", UntrustedText.appendEscaped(new StringBuilder(), "a😀b", 2).toString());
        assertEquals("\\n\u2026", UntrustedText.appendEscaped(new StringBuilder(), "\n\n", 1).toString(),
                "the cap counts characters of the input, not of the escapes");
        assertThrows(IllegalArgumentException.class, () -> UntrustedText.appendEscaped(new StringBuilder(), "a", -1));
    }

    @Provide
    Arbitrary<String> anything() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.strings().all().ofMaxLength(20)),
                Tuple.of(2, Arbitraries.strings().withChars("\\\"?\n\r\t\b\f\u0000\u001b\u007f\u0085\u2028\u2029\u202e\u2066\u200f\u061cé")
                        .withCharRange('\ud800', '\udfff').ofMaxLength(12)));
    }

    @Property
    void theOutputIsOneSafeLineAndUnescapesToTheInput(@ForAll("anything") String s) {
        String escaped = UntrustedText.escape(s);
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            assertTrue(c == '\\' || !UntrustedText.isEscaped(c), () -> "unsafe character left in " + escaped);
            if (Character.isHighSurrogate(c)) {
                assertTrue(i + 1 < escaped.length() && Character.isLowSurrogate(escaped.charAt(i + 1)));
                i++;
            } else {
                assertFalse(Character.isLowSurrogate(c));
            }
        }
        assertEquals(withoutBrokenSurrogates(s), unescape(escaped));
    }

    /** The documented replacement: a surrogate outside a valid pair becomes U+FFFD. */
    private static String withoutBrokenSurrogates(String s) {
        int[] cps = s.codePoints().map(cp -> cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp).toArray();
        return new String(cps, 0, cps.length);
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case '\\': out.append('\\'); break;
                case 'u': out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
                default: throw new AssertionError("unknown escape in " + s);
            }
        }
        return out.toString();
    }
}
