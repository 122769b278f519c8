package io.environguard.api;

/**
 * The one escaping of untrusted text (process names, paths, ids: anything another process controls) that the
 * policy's reasons, the text format and the JSON formats share, so that a crafted name can neither break a
 * line of output nor disguise it.
 *
 * <p>Escaped: the backslash itself ({@code \\}), C0 controls ({@code \n}, {@code \r}, {@code \t}, {@code \b},
 * {@code \f}, others {@code \}{@code u001b}), DEL and the C1 controls, U+2028 and U+2029 (which end lines in
 * JavaScript and some viewers), and the bidirectional embedding, override, isolate and mark characters (which
 * reorder a line on screen). A surrogate that is not half of a valid pair becomes U+FFFD, since it has no
 * UTF-8 encoding. Every other character, non-ASCII letters and emoji included, is kept as it is. Every escape
 * used is also a valid JSON escape, so {@link #appendJsonStringContent} is the same text with {@code "}
 * escaped too. Unescaping gives back the original string, except for broken surrogates.
 *
 * <pre>{@code
 * UntrustedText.escape("x\nHIGH fake\u202e");        // x\nHIGH fake\u202e  (backslash-n, backslash-u202e)
 * StringBuilder line = new StringBuilder("comm=");
 * UntrustedText.appendEscaped(line, comm, 64);       // at most 64 characters of comm, then "…"
 * }</pre>
 */
public final class UntrustedText {

    /** Appended when {@link #appendEscaped(StringBuilder, CharSequence, int)} cuts a string. */
    public static final char ELLIPSIS = '\u2026';

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private UntrustedText() {
    }

    /**
     * @param s untrusted text
     * @return {@code s} with every character that could break or disguise a line escaped
     */
    public static String escape(String s) {
        return appendEscaped(new StringBuilder(s.length() + 8), s).toString();
    }

    /**
     * Appends {@code s} with every character that could break or disguise a line escaped.
     *
     * @param out where to append
     * @param s   untrusted text
     * @return {@code out}
     */
    public static StringBuilder appendEscaped(StringBuilder out, CharSequence s) {
        return append(out, s, s.length(), false);
    }

    /**
     * Appends at most the first {@code maxChars} characters of {@code s}, escaped, then {@link #ELLIPSIS} if
     * {@code s} was longer. A surrogate pair is never cut in half.
     *
     * @param out      where to append
     * @param s        untrusted text
     * @param maxChars the most characters of {@code s} to keep, before escaping; 0 or more
     * @return {@code out}
     * @throws IllegalArgumentException when {@code maxChars} is negative
     */
    public static StringBuilder appendEscaped(StringBuilder out, CharSequence s, int maxChars) {
        if (maxChars < 0) {
            throw new IllegalArgumentException("maxChars must not be negative");
        }
        if (s.length() <= maxChars) {
            return append(out, s, s.length(), false);
        }
        int end = maxChars;
        if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1)) && Character.isLowSurrogate(s.charAt(end))) {
            end--;
        }
        return append(out, s, end, false).append(ELLIPSIS);
    }

    /**
     * Appends {@code s} as the content of a JSON string (without the quotes): escaped as by
     * {@link #appendEscaped(StringBuilder, CharSequence)}, and {@code "} as {@code \"}.
     *
     * @param out where to append
     * @param s   untrusted text
     * @return {@code out}
     */
    public static StringBuilder appendJsonStringContent(StringBuilder out, CharSequence s) {
        return append(out, s, s.length(), true);
    }

    /**
     * Whether {@code c} is escaped (surrogates aside, which are kept in valid pairs): the backslash, C0 controls,
     * DEL, C1 controls, U+2028, U+2029 and the bidirectional controls.
     *
     * @param c a character
     * @return whether the escaping functions replace {@code c}
     */
    public static boolean isEscaped(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return c == '\\';
        }
        if (c < 0xa0) {
            return true; // C0, DEL, C1
        }
        return c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c == '\u200e' || c == '\u200f' || c == '\u061c';
    }

    private static StringBuilder append(StringBuilder out, CharSequence s, int end, boolean json) {
        int copied = 0;
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            boolean plain = json ? c != '"' && !isEscaped(c) : !isEscaped(c);
            if (plain && !Character.isSurrogate(c)) {
                continue;
            }
            out.append(s, copied, i);
            if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(i + 1));
                i++;
            } else if (Character.isSurrogate(c)) {
                out.append('\ufffd');
            } else {
                appendEscape(out, c);
            }
            copied = i + 1;
        }
        return out.append(s, copied, end);
    }

    private static void appendEscape(StringBuilder out, char c) {
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            default:
                out.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf])
                        .append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
        }
    }
}
