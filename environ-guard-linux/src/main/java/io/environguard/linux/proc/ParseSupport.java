package io.environguard.linux.proc;

import io.environguard.linux.proc.ProcParseException.FileType;
import io.environguard.linux.proc.ProcParseException.Problem;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Byte-level helpers shared by the parsers: bounds-checked, allocation-light, never unchecked exceptions. */
final class ParseSupport {

    private ParseSupport() {
    }

    /** Parses {@code bytes[from, to)} as an unsigned decimal that fits in an {@code int}. */
    static int parseUnsignedInt(byte[] bytes, int from, int to, FileType file, String field) throws ProcParseException {
        long value = parseUnsignedLong(bytes, from, to, file, field);
        if (value > Integer.MAX_VALUE) {
            throw new ProcParseException(file, Problem.OUT_OF_RANGE, field);
        }
        return (int) value;
    }

    /** Parses {@code bytes[from, to)} as an unsigned decimal that fits in a (signed) {@code long}. */
    static long parseUnsignedLong(byte[] bytes, int from, int to, FileType file, String field) throws ProcParseException {
        if (from >= to) {
            throw new ProcParseException(file, Problem.MALFORMED, field + " is empty");
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = bytes[i] - '0';
            if (digit < 0 || digit > 9) {
                throw new ProcParseException(file, Problem.MALFORMED, field + " is not a number");
            }
            if (value > (Long.MAX_VALUE - digit) / 10) {
                throw new ProcParseException(file, Problem.OUT_OF_RANGE, field);
            }
            value = value * 10 + digit;
        }
        return value;
    }

    /** Whether {@code bytes[from, to)} is an optionally negative decimal. */
    static boolean isSignedDecimal(byte[] bytes, int from, int to) {
        int i = from;
        if (i < to && bytes[i] == '-') {
            i++;
        }
        if (i >= to) {
            return false;
        }
        for (; i < to; i++) {
            if (bytes[i] < '0' || bytes[i] > '9') {
                return false;
            }
        }
        return true;
    }

    /** Decodes UTF-8; malformed sequences become U+FFFD (the JDK's replacement behaviour). */
    static String utf8(byte[] bytes, int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }

    static int indexOf(byte[] bytes, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Decodes the kernel's {@code \ooo} octal escapes ({@code seq_file} {@code mangle}: space, tab, newline,
     * backslash in mountinfo). A backslash not followed by three octal digits is kept as is.
     */
    static String decodeOctalEscapes(byte[] bytes, int from, int to) {
        if (indexOf(bytes, from, to, (byte) '\\') < 0) {
            return utf8(bytes, from, to);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (b == '\\' && isOctal(bytes, i + 1, to) && isOctal(bytes, i + 2, to) && isOctal(bytes, i + 3, to)) {
                int value = (bytes[i + 1] - '0') * 64 + (bytes[i + 2] - '0') * 8 + (bytes[i + 3] - '0');
                if (value <= 0xFF) {
                    out.write(value);
                    i += 3;
                    continue;
                }
            }
            out.write(b);
        }
        byte[] decoded = out.toByteArray();
        return utf8(decoded, 0, decoded.length);
    }

    private static boolean isOctal(byte[] bytes, int i, int to) {
        return i < to && bytes[i] >= '0' && bytes[i] <= '7';
    }
}
