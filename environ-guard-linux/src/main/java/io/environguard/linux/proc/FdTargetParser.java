package io.environguard.linux.proc;

import io.environguard.linux.proc.ProcParseException.FileType;
import io.environguard.linux.proc.ProcParseException.Problem;

import java.nio.charset.StandardCharsets;

/**
 * Parses the target of a {@code /proc/P/fd/N} link (the result of {@code readlink}).
 *
 * <p>Rules: an absolute path is {@link FdTarget.Kind#PATH} (a trailing {@code " (deleted)"} is split off
 * into {@link FdTarget#deleted()}); {@code anon_inode:...} is {@link FdTarget.Kind#ANON_INODE};
 * {@code type:[digits]} is a socket, a pipe or {@link FdTarget.Kind#OTHER}. Empty input, a NUL byte
 * ({@code readlink} never returns one), a bracketed inode that is not a number, or any other shape raises
 * {@link ProcParseException}.
 *
 * <pre>{@code
 * FdTarget t = FdTargetParser.parse("/proc/42/environ");
 * ProcPaths.classify(t.text(), List.of("/proc"));   // PROCESS, pid 42
 * }</pre>
 */
public final class FdTargetParser {

    private static final FileType FILE = FileType.FD_LINK;
    private static final String DELETED = " (deleted)";

    private FdTargetParser() {
    }

    /**
     * Parses link-target bytes; bytes that are not UTF-8 become U+FFFD.
     *
     * @param bytes a {@code readlink} result
     * @return what the descriptor refers to
     * @throws ProcParseException when the bytes are empty or malformed
     */
    public static FdTarget parse(byte[] bytes) throws ProcParseException {
        if (bytes == null || bytes.length == 0) {
            throw new ProcParseException(FILE, Problem.EMPTY, null);
        }
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * Parses a link target as Java's {@code Files.readSymbolicLink(...).toString()} returns it.
     *
     * @param target the link target
     * @return what the descriptor refers to
     * @throws ProcParseException when the target is empty or malformed
     */
    public static FdTarget parse(String target) throws ProcParseException {
        if (target == null || target.isEmpty()) {
            throw new ProcParseException(FILE, Problem.EMPTY, null);
        }
        if (target.indexOf('\0') >= 0) {
            throw new ProcParseException(FILE, Problem.MALFORMED, "NUL byte");
        }
        if (target.charAt(0) == '/') {
            boolean deleted = target.endsWith(DELETED) && target.length() > DELETED.length();
            return new FdTarget(FdTarget.Kind.PATH,
                    deleted ? target.substring(0, target.length() - DELETED.length()) : target, -1, deleted);
        }
        int colon = target.indexOf(':');
        if (colon <= 0) {
            throw new ProcParseException(FILE, Problem.MALFORMED, "neither a path nor type:[inode]");
        }
        String type = target.substring(0, colon);
        if (type.equals("anon_inode")) {
            return new FdTarget(FdTarget.Kind.ANON_INODE, target, -1, false);
        }
        if (colon + 2 >= target.length() || target.charAt(colon + 1) != '[' || target.charAt(target.length() - 1) != ']') {
            throw new ProcParseException(FILE, Problem.MALFORMED, "expected type:[inode]");
        }
        for (int i = 0; i < colon; i++) {
            char c = target.charAt(i);
            if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_') {
                throw new ProcParseException(FILE, Problem.MALFORMED, "type name");
            }
        }
        byte[] digits = target.substring(colon + 2, target.length() - 1).getBytes(StandardCharsets.UTF_8);
        long inode = ParseSupport.parseUnsignedLong(digits, 0, digits.length, FILE, "inode");
        FdTarget.Kind kind = switch (type) {
            case "socket" -> FdTarget.Kind.SOCKET;
            case "pipe" -> FdTarget.Kind.PIPE;
            default -> FdTarget.Kind.OTHER;
        };
        return new FdTarget(kind, target, inode, false);
    }
}
