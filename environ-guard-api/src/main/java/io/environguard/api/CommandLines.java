package io.environguard.api;

import java.util.AbstractList;
import java.util.List;
import java.util.Locale;
import java.util.RandomAccess;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Redacts obvious secrets from command lines and caps their size, so that an alert never carries
 * a password that a careless caller put on a command line.
 *
 * <p>Redacted: the value of {@code key=value} arguments whose key looks secret ({@code --password=x},
 * {@code token=x}, {@code AWS_SECRET_ACCESS_KEY=x}), the argument after a secret-looking flag
 * ({@code --password x}, {@code -p x} is left alone: too ambiguous), and the password of URLs
 * ({@code https://user:pw@host}). Example: {@code [mysql, --password=hunter2]} becomes
 * {@code [mysql, --password=***]}.
 */
public final class CommandLines {

    /** What replaces a redacted value. */
    public static final String MASK = "***";
    /** At most this many arguments are kept; a last element {@code "…(N more)"} says how many were cut. */
    public static final int MAX_ARGS = 64;
    /** Each argument is cut to this many characters. */
    public static final int MAX_ARG_CHARS = 512;

    private static final Pattern SECRET_WORD = Pattern.compile(
            "(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?|auth|session|cookie|bearer|signature)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern URL_PASSWORD = Pattern.compile("(\\w[\\w+.-]*://[^/\\s:@]*:)([^@/\\s]+)(@)");

    private CommandLines() {
    }

    /**
     * Redacts and caps {@code args}; returns an unmodifiable list. Idempotent: a list this method returned
     * comes back as it is, so records that redact on construction pay once however often they are copied.
     *
     * @param args a command line, program first; {@code null} counts as empty
     * @return the redacted, capped arguments, unmodifiable; empty for {@code null} or empty
     */
    public static List<String> redact(List<String> args) {
        if (args instanceof Redacted) {
            return args;
        }
        if (args == null || args.isEmpty()) {
            return List.of();
        }
        int keep = Math.min(args.size(), MAX_ARGS);
        String[] out = new String[keep + (args.size() > keep ? 1 : 0)];
        boolean maskNext = false;
        for (int i = 0; i < keep; i++) {
            String arg = args.get(i) == null ? "" : args.get(i);
            if (maskNext && !arg.startsWith("-")) {
                out[i] = MASK;
                maskNext = false;
                continue;
            }
            maskNext = false;
            String redacted = redactArgument(arg);
            if (redacted.equals(arg) && isSecretFlag(arg)) {
                maskNext = true;
            }
            out[i] = cap(redacted);
        }
        if (args.size() > keep) {
            out[keep] = "…(" + (args.size() - keep) + " more)";
        }
        return new Redacted(out);
    }

    private static String redactArgument(String arg) {
        String result = arg;
        int eq = result.indexOf('=');
        if (eq > 0 && SECRET_WORD.matcher(result.substring(0, eq)).find()) {
            result = result.substring(0, eq + 1) + MASK;
        }
        Matcher url = result.contains("://") ? URL_PASSWORD.matcher(result) : null;
        if (url != null && url.find()) {
            result = url.replaceAll("$1" + Matcher.quoteReplacement(MASK) + "$3");
        }
        return result;
    }

    /** {@code --password}, {@code --api-key}, {@code -token}: a flag whose value is the next argument. */
    private static boolean isSecretFlag(String arg) {
        if (!arg.startsWith("-") || arg.indexOf('=') >= 0 || arg.length() < 4) {
            return false;
        }
        int dashes = 0;
        while (dashes < arg.length() && arg.charAt(dashes) == '-') {
            dashes++;
        }
        String name = arg.substring(dashes).toLowerCase(Locale.ROOT);
        return SECRET_WORD.matcher(name).find() && name.length() <= 40;
    }

    /** What {@link #redact} returns, and only it: unmodifiable, and known to be redacted already. */
    private static final class Redacted extends AbstractList<String> implements RandomAccess {
        private final String[] items;

        Redacted(String[] items) {
            this.items = items;
        }

        @Override
        public String get(int index) {
            return items[index];
        }

        @Override
        public int size() {
            return items.length;
        }
    }

    private static String cap(String arg) {
        if (arg.length() <= MAX_ARG_CHARS) {
            return arg;
        }
        return arg.substring(0, MAX_ARG_CHARS) + "…";
    }
}
