package io.environguard.linux.proc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Parses {@code /proc/P/cmdline}: arguments separated by NUL bytes.
 *
 * <p>Every input has a result, so this parser throws nothing: empty input (kernel threads, zombies)
 * gives an empty list; trailing NULs are dropped (the kernel writes one after the last argument, and
 * programs that rewrite their title pad with more); NULs inside are separators, so an empty argument in
 * the middle stays an empty string; bytes that are not UTF-8 become U+FFFD. A process that overwrote its
 * argument area with one string ({@code setproctitle}) shows as one argument holding spaces.
 *
 * <pre>{@code
 * List<String> args = CmdlineParser.parse("sleep\0600\0".getBytes(UTF_8));   // [sleep, 600]
 * }</pre>
 */
public final class CmdlineParser {

    private CmdlineParser() {
    }

    /**
     * Splits {@code bytes} into arguments.
     *
     * @param bytes a {@code cmdline} file's content; {@code null} or empty for none
     * @return the arguments, unmodifiable; empty when there are none (a kernel thread, a zombie)
     */
    public static List<String> parse(byte[] bytes) {
        if (bytes == null) {
            return List.of();
        }
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        if (end == 0) {
            return List.of();
        }
        List<String> args = new ArrayList<>();
        int from = 0;
        while (true) {
            int nul = ParseSupport.indexOf(bytes, from, end, (byte) 0);
            if (nul < 0) {
                args.add(ParseSupport.utf8(bytes, from, end));
                return Collections.unmodifiableList(args);
            }
            args.add(ParseSupport.utf8(bytes, from, nul));
            from = nul + 1;
        }
    }
}
