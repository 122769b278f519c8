package io.environguard.linux.procfs;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;
import io.environguard.api.PsCommandLine;
import io.environguard.linux.proc.ProcPath;
import io.environguard.linux.proc.ProcPaths;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the {@code environ} and {@code mem} files a command line names: {@code cat /proc/123/environ},
 * {@code xargs -0 -a /proc/1/environ}, {@code dd if=/proc/7/mem}, {@code sh -c 'sleep 2; cat /proc/9/environ'},
 * {@code python3 -c "open('/proc/1/environ')"}, and the forms whose targets cannot be known from the text:
 * patterns ({@code /proc/*}{@code /environ}, {@code /proc/[0-9]*}{@code /task/*}{@code /environ}, {@code /proc/%d/environ}),
 * shell variables ({@code $p/environ}) and {@code ps} asked to print environments ({@code ps e}, {@code ps auxeww},
 * {@code ps -o pid,environ}: {@link PsCommandLine}, the rule the policy's known-reader exemption uses too).
 *
 * <p>A path is found anywhere inside an argument: it runs back from {@code /environ} (or {@code /mem}) to the
 * nearest space, quote, {@code =}, {@code ;}, {@code &}, {@code |}, {@code <}, {@code >} or parenthesis. It must lie
 * under one of the given procfs mount points, or (for {@code environ} only) start with a shell variable.
 * Not found: paths assembled by concatenation ({@code '/proc/' + pid + '/environ'}), paths in script files, and
 * relative paths after a {@code cd /proc/123}. Stateless.
 *
 * <pre>{@code
 * List<Mention> m = CommandLineMentions.find(List.of("sh", "-c", "sleep 2; cat /proc/42/environ"),
 *         List.of("/proc"), List.of("/proc"));
 * // one EXACT mention of /proc/42/environ, PROCESS alias, pid 42
 * }</pre>
 */
final class CommandLineMentions {

    /** At most this many mentions are taken from one command line; the rest are summarised in a note. */
    static final int MAX_MENTIONS = 256;

    private static final String ENVIRON = "environ";
    private static final String MEM = "mem";
    private static final byte[] ENVIRON_BYTES = ENVIRON.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MEM_BYTES = "/mem".getBytes(StandardCharsets.US_ASCII);

    /** How a mention names its target. */
    enum Shape {
        /** A path naming one process (or {@code self}): {@link Mention#path()} is set. */
        EXACT,
        /** A pattern or a path built at run time: the targets are not known. */
        PATTERN,
        /** {@code ps} asked to print environments ({@link PsCommandLine}): the environment of every process it lists. */
        PS_ENVIRONMENT
    }

    /**
     * One file a command line names.
     *
     * @param text  the path as written (for {@code ps}: the command and the option)
     * @param file  environ or mem
     * @param shape how it names the target
     * @param path  for {@link Shape#EXACT}: the classified path; {@code null} otherwise
     * @param alias the alias the path uses, as far as its shape tells
     */
    record Mention(String text, ProcFile file, Shape shape, ProcPath path, AliasKind alias) {
    }

    /** The mentions found, and how many more there were beyond {@link #MAX_MENTIONS}. */
    record Found(List<Mention> mentions, int omitted) {
        static final Found NONE = new Found(List.of(), 0);
    }

    private CommandLineMentions() {
    }

    /**
     * Whether the raw {@code cmdline} bytes could hold a mention at all: they contain {@code environ} or
     * {@code /mem}, or argv[0] ends with {@code ps}. A cheap test run on every new command line before it is parsed.
     */
    static boolean mayMention(byte[] cmdline, int length) {
        if (indexOf(cmdline, length, ENVIRON_BYTES) >= 0 || indexOf(cmdline, length, MEM_BYTES) >= 0) {
            return true;
        }
        int end = 0;
        while (end < length && cmdline[end] != 0) {
            end++;
        }
        return end >= 2 && cmdline[end - 2] == 'p' && cmdline[end - 1] == 's' && (end == 2 || cmdline[end - 3] == '/');
    }

    /**
     * The files {@code args} names.
     *
     * @param procMountPoints     the procfs mount points of the process's mount namespace
     * @param hostInstancePoints  those that show the instance the guard reads (pids there are the guard's pids)
     */
    static Found find(List<String> args, Collection<String> procMountPoints, Collection<String> hostInstancePoints) {
        if (args.isEmpty()) {
            return Found.NONE;
        }
        Set<Mention> out = new LinkedHashSet<>();
        int omitted = 0;
        String argv0 = args.get(0);
        boolean ps = argv0.equals("ps") || argv0.endsWith("/ps");
        int psEnvironment = ps ? PsCommandLine.environmentArgument(args) : -1;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            List<Mention> found = new ArrayList<>(2);
            if (i == psEnvironment) {
                found.add(new Mention("ps " + arg, ProcFile.ENVIRON, Shape.PS_ENVIRONMENT, null, AliasKind.UNKNOWN));
            }
            findPaths(arg, ENVIRON, ProcFile.ENVIRON, procMountPoints, hostInstancePoints, found);
            findPaths(arg, MEM, ProcFile.MEM, procMountPoints, hostInstancePoints, found);
            for (Mention m : found) {
                if (out.size() < MAX_MENTIONS) {
                    out.add(m);
                } else if (!out.contains(m)) {
                    omitted++;
                }
            }
        }
        return out.isEmpty() && omitted == 0 ? Found.NONE : new Found(List.copyOf(out), omitted);
    }

    private static void findPaths(String arg, String name, ProcFile file, Collection<String> mounts,
                                  Collection<String> hostPoints, List<Mention> out) {
        String needle = "/" + name;
        int from = 0;
        while (true) {
            int slash = arg.indexOf(needle, from);
            if (slash < 0) {
                return;
            }
            from = slash + 1;
            int end = slash + needle.length();
            if (end < arg.length() && isPathChar(arg.charAt(end))) {
                continue; // "/environment", "/memory", "/mem/x": another name
            }
            int start = slash;
            while (start > 0 && isPathChar(arg.charAt(start - 1))) {
                start--;
            }
            Mention m = classify(arg.substring(start, end), slash - start, file, mounts, hostPoints);
            if (m != null) {
                out.add(m);
            }
        }
    }

    /**
     * @param token      a path ending in {@code /environ} or {@code /mem}
     * @param nameSlash  the index of the {@code '/'} before the file name
     */
    private static Mention classify(String token, int nameSlash, ProcFile file, Collection<String> mounts,
                                    Collection<String> hostPoints) {
        if (token.startsWith("$")) {
            // "$p/environ", "${dir}/environ": built at run time. Not for mem: "$HOME/mem" is just a file name.
            return file == ProcFile.ENVIRON && nameSlash > 1
                    ? new Mention(token, file, Shape.PATTERN, null, AliasKind.UNKNOWN) : null;
        }
        String mount = null;
        for (String m : mounts) {
            String prefix = m.equals("/") ? "/" : m + "/";
            if (token.startsWith(prefix) && prefix.length() <= nameSlash && (mount == null || m.length() > mount.length())) {
                mount = m;
            }
        }
        if (mount == null) {
            return null;
        }
        var exact = ProcPaths.classify(token, mounts, hostPoints);
        if (exact.isPresent()) {
            return new Mention(token, file, Shape.EXACT, exact.get(), exact.get().alias());
        }
        // Not one process: "/proc/*/environ", "/proc/%d/environ", "/proc/$pid/task/*/environ"...
        String middle = token.substring(mount.equals("/") ? 1 : mount.length() + 1, nameSlash);
        String[] parts = middle.split("/", -1);
        boolean host = hostPoints.contains(mount);
        if (parts.length == 1 && !parts[0].isEmpty()) {
            return new Mention(token, file, Shape.PATTERN, null, host ? AliasKind.PROCESS : AliasKind.OTHER_PROC_MOUNT);
        }
        if (parts.length == 3 && !parts[0].isEmpty() && parts[1].equals("task") && !parts[2].isEmpty()) {
            return new Mention(token, file, Shape.PATTERN, null, host ? AliasKind.TASK : AliasKind.OTHER_PROC_MOUNT);
        }
        return null;
    }

    /** Characters that can be part of a path token on a command line (globs and {@code $} included). */
    private static boolean isPathChar(char c) {
        if (Character.isWhitespace(c)) {
            return false;
        }
        switch (c) {
            case '\'': case '"': case '`': case ';': case '&': case '|': case '<': case '>': case '(': case ')':
            case '=':
                return false;
            default:
                return c >= ' ';
        }
    }

    private static int indexOf(byte[] haystack, int length, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
