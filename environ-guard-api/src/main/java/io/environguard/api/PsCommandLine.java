package io.environguard.api;

import java.util.List;

/**
 * Whether a {@code ps} command line asks ps to print other processes' environments. procps {@code ps} (version 4)
 * opens the {@code environ} file of every process it lists whatever its options, so the open alone tells nothing;
 * the command line tells whether the environments are shown: the BSD option {@code e} ({@code ps e},
 * {@code ps auxeww}, {@code ps axeo pid,args}) or the format specifier {@code environ} ({@code ps -o pid,environ}).
 *
 * <p>The arguments are read as procps reads them: an argument that starts with {@code -} is a UNIX or GNU option
 * ({@code -e} means every process, not the environment); one of letters only is a cluster of BSD options. The value
 * of an option that takes one ({@code -C sleep}, {@code -u steve}, {@code U steve}, {@code -o comm},
 * {@code --sort=etime}) is never read as options: {@code ps -C sleep} does not ask for environments, though
 * {@code sleep} holds an {@code e}. A format list ({@code -o}, {@code -O}, {@code o}, {@code O}, {@code --format})
 * that names {@code environ} does. argv[0] is not looked at: callers decide whether the program is ps (the policy by
 * its resolved executable, the procfs source by argv[0]). Not seen: the {@code PS_FORMAT} environment variable
 * (environments are never read) and an abbreviation of {@code environ} that a later procps might accept.
 *
 * <pre>{@code
 * PsCommandLine.environmentArgument(List.of("ps", "auxeww"));      // 1
 * PsCommandLine.environmentArgument(List.of("ps", "-C", "sleep"));  // -1
 * }</pre>
 */
public final class PsCommandLine {

    /** Short UNIX options whose value follows (attached, or as the next argument). */
    private static final String UNIX_WITH_VALUE = "CGgpqstUuoOkD";
    /** BSD options whose value follows. */
    private static final String BSD_WITH_VALUE = "oOpqtUk";
    /** Options whose value is a format list. */
    private static final String FORMAT_OPTIONS = "oO";
    /** GNU long options that take a value (as {@code --opt value} or {@code --opt=value}). */
    private static final List<String> LONG_WITH_VALUE = List.of("--sort", "--format", "--pid", "--ppid",
            "--quick-pid", "--sid", "--tty", "--user", "--User", "--group", "--Group", "--cols", "--columns",
            "--width", "--lines", "--rows", "--date-format", "--context");
    /** The longest run of letters taken as a BSD option cluster (procps's own options are far fewer letters). */
    private static final int MAX_CLUSTER = 32;

    private PsCommandLine() {
    }

    /**
     * @param cmdline the command line, argv[0] first; {@code null} and empty mean none
     * @return whether {@code cmdline} asks ps to print environments
     */
    public static boolean asksForEnvironments(List<String> cmdline) {
        return environmentArgument(cmdline) >= 0;
    }

    /**
     * The index of the first argument that asks ps to print environments, or {@code -1}. Allocation-free: the
     * policy calls it for every read by a {@code ps}.
     *
     * @param cmdline the command line, argv[0] first; {@code null} and empty mean none
     * @return the index in {@code cmdline} of that argument (at least 1), or {@code -1} when none asks
     */
    public static int environmentArgument(List<String> cmdline) {
        if (cmdline == null) {
            return -1;
        }
        int n = cmdline.size();
        for (int i = 1; i < n; i++) {
            String arg = cmdline.get(i);
            if (arg == null || arg.isEmpty()) {
                continue;
            }
            if (arg.startsWith("--")) {
                int eq = arg.indexOf('=');
                String name = eq < 0 ? arg : arg.substring(0, eq);
                if (!LONG_WITH_VALUE.contains(name)) {
                    continue;
                }
                String value = eq < 0 ? (i + 1 < n ? cmdline.get(i + 1) : null) : arg.substring(eq + 1);
                if (name.equals("--format") && namesEnviron(value)) {
                    return eq < 0 ? i + 1 : i;
                }
                if (eq < 0) {
                    i++; // the value is not an option
                }
                continue;
            }
            boolean unix = arg.charAt(0) == '-';
            if (!unix && !isLetters(arg)) {
                continue; // a bare value (a pid list) or a stray word: not options
            }
            String withValue = unix ? UNIX_WITH_VALUE : BSD_WITH_VALUE;
            for (int c = unix ? 1 : 0; c < arg.length(); c++) {
                char letter = arg.charAt(c);
                if (!unix && letter == 'e') {
                    return i;
                }
                if (withValue.indexOf(letter) >= 0) {
                    boolean attached = c + 1 < arg.length();
                    String value = attached ? arg.substring(c + 1) : (i + 1 < n ? cmdline.get(i + 1) : null);
                    if (FORMAT_OPTIONS.indexOf(letter) >= 0 && namesEnviron(value)) {
                        return attached ? i : i + 1;
                    }
                    if (!attached) {
                        i++; // the next argument is this option's value
                    }
                    break;
                }
            }
        }
        return -1;
    }

    /** {@code ps} letters: a BSD cluster is letters only, and not longer than any real one. */
    private static boolean isLetters(String arg) {
        if (arg.length() > MAX_CLUSTER) {
            return false;
        }
        for (int i = 0; i < arg.length(); i++) {
            char c = arg.charAt(i);
            if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')) {
                return false;
            }
        }
        return true;
    }

    /** Whether a format list ({@code pid,environ:40}, {@code "pid environ=ENV"}) holds the specifier environ. */
    private static boolean namesEnviron(String format) {
        if (format == null || format.length() < 7) {
            return false;
        }
        int start = 0;
        int len = format.length();
        while (start < len) {
            int end = start;
            while (end < len && format.charAt(end) != ',' && format.charAt(end) != ' ') {
                end++;
            }
            int nameEnd = start;
            while (nameEnd < end && format.charAt(nameEnd) != '=' && format.charAt(nameEnd) != ':') {
                nameEnd++;
            }
            if (nameEnd - start == 7 && format.regionMatches(true, start, "environ", 0, 7)) {
                return true;
            }
            if (nameEnd < end && format.charAt(nameEnd) == '=') {
                return false; // "a=header,with,commas": the rest is the header text
            }
            start = end + 1;
        }
        return false;
    }
}
