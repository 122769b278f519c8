package io.environguard.linux.proc;

/**
 * The one parser of the ids that name {@code /proc} entries: pids and thread ids ({@code /proc/P},
 * {@code /proc/P/task/T}) and descriptor numbers ({@code /proc/P/fd/N}).
 *
 * <p>It accepts exactly what the kernel accepts when it looks such a name up ({@code name_to_int} in
 * {@code fs/proc/base.c}): decimal digits only, no sign, and no leading zero unless the name is {@code 0} itself.
 * The kernel prints these ids with {@code %d}, so every name it lists parses, and {@code /proc/007} or
 * {@code fd/03} is no entry at all (the kernel answers ENOENT), never pid 7 or descriptor 3. {@code 0} parses (it is
 * a descriptor number); callers that need a pid or thread id check for a positive result.
 *
 * <pre>{@code
 * ProcIds.parse("4242");    // 4242
 * ProcIds.parse("0");       // 0, descriptor 0
 * ProcIds.parse("007");     // -1: the kernel would not find it
 * ProcIds.parse("self");    // -1
 * }</pre>
 */
public final class ProcIds {

    /** More digits than any {@code int} has. */
    private static final int MAX_DIGITS = 10;

    private ProcIds() {
    }

    /**
     * Parses a whole name.
     *
     * @param name a directory entry name
     * @return the id, or -1 when the kernel would not read {@code name} as one
     */
    public static int parse(CharSequence name) {
        return parse(name, 0, name.length());
    }

    /**
     * Parses {@code text[from, to)}.
     *
     * @param text the text holding the name
     * @param from where the name starts
     * @param to   where it ends (exclusive)
     * @return the id, or -1 when the kernel would not read that part as one
     */
    public static int parse(CharSequence text, int from, int to) {
        int n = to - from;
        if (n <= 0 || n > MAX_DIGITS || (n > 1 && text.charAt(from) == '0')) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value > Integer.MAX_VALUE ? -1 : (int) value;
    }

    /**
     * Parses the NUL-terminated name at {@code bytes[from]}, as {@code getdents64} returns names.
     *
     * @param bytes the bytes holding the name and its terminating NUL
     * @param from  where the name starts
     * @return the id, or -1 when the kernel would not read the name as one
     */
    public static int parseNulTerminated(byte[] bytes, int from) {
        long value = 0;
        int i = from;
        for (; i < bytes.length && bytes[i] != 0; i++) {
            byte b = bytes[i];
            if (b < '0' || b > '9' || i - from >= MAX_DIGITS) {
                return -1;
            }
            value = value * 10 + (b - '0');
        }
        int n = i - from;
        if (n == 0 || i == bytes.length || (n > 1 && bytes[from] == '0')) {
            return -1;
        }
        return value > Integer.MAX_VALUE ? -1 : (int) value;
    }
}
