package io.environguard.linux.proc;

import io.environguard.linux.proc.ProcParseException.FileType;
import io.environguard.linux.proc.ProcParseException.Problem;

/**
 * Parses {@code /proc/P/stat}. The command name (field 2) is the one field that can hold any byte but
 * NUL, spaces, {@code ")"} and newlines included ({@code prctl(PR_SET_NAME, "a) S 1 (")}), so the
 * fields after it are found from the <em>last</em> {@code ')'} of the line, never the first.
 *
 * <p>Rules: the line must end with the newline the kernel always writes (without it the read was cut
 * short: {@link Problem#TRUNCATED}); it must reach field 22 (start time); every field after the command
 * name must be a decimal number except the one-letter state. Fields 50 and 51 ({@code env_start},
 * {@code env_end}) are read when present. Any other input raises {@link ProcParseException}, never an
 * unchecked exception.
 *
 * <pre>{@code
 * byte[] line = "42 (Web Content (pid 7)) S 1 42 42 0 -1 ... 35021 ...\n".getBytes(UTF_8);
 * ProcStat stat = ProcStatParser.parse(line);   // comm "Web Content (pid 7)", ppid 1
 * }</pre>
 */
public final class ProcStatParser {

    private static final FileType FILE = FileType.STAT;
    private static final int STATE = 3;
    private static final int PPID = 4;
    private static final int START_TIME = 22;
    private static final int ENV_START = 50;
    private static final int ENV_END = 51;

    private ProcStatParser() {
    }

    /**
     * Parses a whole {@code stat} file; the name is what lies between the first {@code (} and the last {@code )}.
     *
     * @param bytes the file's content
     * @return the fields environ-guard uses
     * @throws ProcParseException when the bytes are empty, cut short or malformed; the message never holds them
     */
    public static ProcStat parse(byte[] bytes) throws ProcParseException {
        if (bytes == null || bytes.length == 0) {
            throw new ProcParseException(FILE, Problem.EMPTY, null);
        }
        int length = bytes.length;
        int open = ParseSupport.indexOf(bytes, 0, length, (byte) '(');
        if (open < 0) {
            throw new ProcParseException(FILE, looksLikePidPrefix(bytes, 0, length) ? Problem.TRUNCATED : Problem.MALFORMED,
                    "no command name");
        }
        if (open < 2 || bytes[open - 1] != ' ') {
            throw new ProcParseException(FILE, Problem.MALFORMED, "pid");
        }
        int pid = ParseSupport.parseUnsignedInt(bytes, 0, open - 1, FILE, "pid");
        int close = lastIndexOf(bytes, open + 1, length, (byte) ')');
        if (close < 0) {
            throw new ProcParseException(FILE, Problem.TRUNCATED, "command name not closed");
        }
        if (bytes[length - 1] != '\n') {
            throw new ProcParseException(FILE, Problem.TRUNCATED, "no final newline");
        }
        int end = length - 1;
        if (close + 1 >= end) {
            throw new ProcParseException(FILE, Problem.TRUNCATED, "no fields after the command name");
        }
        if (bytes[close + 1] != ' ') {
            throw new ProcParseException(FILE, Problem.MALFORMED, "no space after the command name");
        }
        String comm = ParseSupport.utf8(bytes, open + 1, close);

        char state = 0;
        int ppid = -1;
        long startTime = -1;
        long envStart = -1;
        long envEnd = -1;
        int field = STATE;
        int from = close + 2;
        while (from <= end) {
            int to = ParseSupport.indexOf(bytes, from, end, (byte) ' ');
            if (to < 0) {
                to = end;
            }
            switch (field) {
                case STATE:
                    if (to - from != 1 || !isLetter(bytes[from])) {
                        throw new ProcParseException(FILE, Problem.MALFORMED, "field 3 (state)");
                    }
                    state = (char) bytes[from];
                    break;
                case PPID:
                    ppid = ParseSupport.parseUnsignedInt(bytes, from, to, FILE, "field 4 (ppid)");
                    break;
                case START_TIME:
                    startTime = ParseSupport.parseUnsignedLong(bytes, from, to, FILE, "field 22 (starttime)");
                    break;
                case ENV_START:
                    envStart = ParseSupport.parseUnsignedLong(bytes, from, to, FILE, "field 50 (env_start)");
                    break;
                case ENV_END:
                    envEnd = ParseSupport.parseUnsignedLong(bytes, from, to, FILE, "field 51 (env_end)");
                    break;
                default:
                    if (!ParseSupport.isSignedDecimal(bytes, from, to)) {
                        throw new ProcParseException(FILE, Problem.MALFORMED, "field " + field + " is not a number");
                    }
            }
            field++;
            from = to + 1;
        }
        if (field <= START_TIME) {
            throw new ProcParseException(FILE, Problem.TRUNCATED, "ends at field " + (field - 1) + ", before field 22");
        }
        if (envEnd < 0) {
            envStart = -1; // a line cut between fields 50 and 51 tells nothing reliable about the block
        }
        return new ProcStat(pid, comm, state, ppid, startTime, envStart, envEnd);
    }

    private static boolean looksLikePidPrefix(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if ((b < '0' || b > '9') && !(b == ' ' && i == to - 1 && i > from)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLetter(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
    }

    private static int lastIndexOf(byte[] bytes, int from, int to, byte b) {
        for (int i = to - 1; i >= from; i--) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
