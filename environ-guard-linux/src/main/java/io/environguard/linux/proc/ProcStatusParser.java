package io.environguard.linux.proc;

import io.environguard.linux.proc.ProcParseException.FileType;
import io.environguard.linux.proc.ProcParseException.Problem;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code /proc/P/status}: {@code Key:\tvalue} lines.
 *
 * <p>Rules: the content must end with a newline (the kernel always writes one; otherwise
 * {@link Problem#TRUNCATED}); every line must hold a {@code ':'}; {@code Pid} and {@code Tgid} are required
 * ({@link Problem#MISSING_FIELD}); {@code PPid}, {@code Uid}, {@code Gid} are {@code -1} and {@code NSpid}
 * empty when absent; values of the keys used must be decimal numbers (a uid or gid above
 * {@code Integer.MAX_VALUE} reads as {@code -1}). Other keys are not looked at. The
 * kernel escapes a newline in {@code Name} as {@code \n} and a backslash as {@code \\}; both are undone,
 * so {@code name} equals the {@code comm} bytes (decoded as UTF-8 with replacement).
 *
 * <pre>{@code
 * ProcStatus s = ProcStatusParser.parse("Name:\tbash\nTgid:\t7\nPid:\t7\nPPid:\t1\nUid:\t0\t0\t0\t0\n".getBytes(UTF_8));
 * }</pre>
 */
public final class ProcStatusParser {

    private static final FileType FILE = FileType.STATUS;

    private ProcStatusParser() {
    }

    /**
     * Parses a whole {@code status} file.
     *
     * @param bytes the file's content
     * @return the fields environ-guard uses; those absent are -1 (or {@code null}, empty)
     * @throws ProcParseException when the bytes are empty, cut short or malformed; the message never holds them
     */
    public static ProcStatus parse(byte[] bytes) throws ProcParseException {
        if (bytes == null || bytes.length == 0) {
            throw new ProcParseException(FILE, Problem.EMPTY, null);
        }
        if (bytes[bytes.length - 1] != '\n') {
            throw new ProcParseException(FILE, Problem.TRUNCATED, "no final newline");
        }
        String name = null;
        int tgid = -1;
        int pid = -1;
        int ppid = -1;
        int uid = -1;
        int gid = -1;
        List<Integer> nsPid = List.of();
        int line = 0;
        int from = 0;
        while (from < bytes.length) {
            line++;
            int end = ParseSupport.indexOf(bytes, from, bytes.length, (byte) '\n');
            int colon = ParseSupport.indexOf(bytes, from, end, (byte) ':');
            if (colon < 0) {
                throw new ProcParseException(FILE, Problem.MALFORMED, "line " + line + " has no ':'");
            }
            int value = colon + 1;
            if (is(bytes, from, colon, "Name")) {
                if (name == null) {
                    name = unescapeName(bytes, value < end && bytes[value] == '\t' ? value + 1 : value, end);
                }
            } else if (is(bytes, from, colon, "Tgid")) {
                tgid = firstNumber(bytes, value, end, "Tgid");
            } else if (is(bytes, from, colon, "Pid")) {
                pid = firstNumber(bytes, value, end, "Pid");
            } else if (is(bytes, from, colon, "PPid")) {
                ppid = firstNumber(bytes, value, end, "PPid");
            } else if (is(bytes, from, colon, "Uid")) {
                uid = firstId(bytes, value, end, "Uid");
            } else if (is(bytes, from, colon, "Gid")) {
                gid = firstId(bytes, value, end, "Gid");
            } else if (is(bytes, from, colon, "NSpid")) {
                nsPid = numbers(bytes, value, end, "NSpid");
            }
            from = end + 1;
        }
        if (pid < 0) {
            throw new ProcParseException(FILE, Problem.MISSING_FIELD, "Pid");
        }
        if (tgid < 0) {
            throw new ProcParseException(FILE, Problem.MISSING_FIELD, "Tgid");
        }
        return new ProcStatus(name, tgid, pid, ppid, uid, gid, nsPid);
    }

    private static boolean is(byte[] bytes, int from, int to, String key) {
        if (to - from != key.length()) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            if (bytes[from + i] != key.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int firstNumber(byte[] bytes, int from, int to, String field) throws ProcParseException {
        long value = firstLong(bytes, from, to, field);
        if (value > Integer.MAX_VALUE) {
            throw new ProcParseException(FILE, Problem.OUT_OF_RANGE, field);
        }
        return (int) value;
    }

    /**
     * A uid or gid: 32 bits unsigned in the kernel. Ids above {@code Integer.MAX_VALUE} (never allocated by
     * common tools, but legal) become {@code -1}, unknown, rather than failing the whole file: the file's
     * other fields (Tgid above all) are still needed.
     */
    private static int firstId(byte[] bytes, int from, int to, String field) throws ProcParseException {
        long value = firstLong(bytes, from, to, field);
        if (value > 0xFFFF_FFFFL) {
            throw new ProcParseException(FILE, Problem.OUT_OF_RANGE, field);
        }
        return value > Integer.MAX_VALUE ? -1 : (int) value;
    }

    private static long firstLong(byte[] bytes, int from, int to, String field) throws ProcParseException {
        int start = skipBlanks(bytes, from, to);
        int stop = start;
        while (stop < to && !isBlank(bytes[stop])) {
            stop++;
        }
        if (start == stop) {
            throw new ProcParseException(FILE, Problem.MALFORMED, field + " has no value");
        }
        return ParseSupport.parseUnsignedLong(bytes, start, stop, FILE, field);
    }

    private static List<Integer> numbers(byte[] bytes, int from, int to, String field) throws ProcParseException {
        List<Integer> values = new ArrayList<>(2);
        int i = skipBlanks(bytes, from, to);
        while (i < to) {
            int stop = i;
            while (stop < to && !isBlank(bytes[stop])) {
                stop++;
            }
            values.add(ParseSupport.parseUnsignedInt(bytes, i, stop, FILE, field));
            i = skipBlanks(bytes, stop, to);
        }
        if (values.isEmpty()) {
            throw new ProcParseException(FILE, Problem.MALFORMED, field + " has no value");
        }
        return List.copyOf(values);
    }

    private static int skipBlanks(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to && isBlank(bytes[i])) {
            i++;
        }
        return i;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t';
    }

    /** Undoes {@code proc_task_name}'s escaping: {@code \n} and {@code \\}; any other backslash stays. */
    private static String unescapeName(byte[] bytes, int from, int to) {
        if (ParseSupport.indexOf(bytes, from, to, (byte) '\\') < 0) {
            return ParseSupport.utf8(bytes, from, to);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (b == '\\' && i + 1 < to && (bytes[i + 1] == 'n' || bytes[i + 1] == '\\')) {
                out.write(bytes[i + 1] == 'n' ? '\n' : '\\');
                i++;
            } else {
                out.write(b);
            }
        }
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }
}
