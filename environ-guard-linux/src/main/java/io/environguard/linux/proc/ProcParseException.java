package io.environguard.linux.proc;

import java.util.Objects;

/**
 * A {@code /proc} file whose bytes do not have the kernel's format: empty, cut short, or malformed.
 * Every parser in this package throws this (and only this) for bad input, whatever the bytes.
 *
 * <p>The message names the file and the problem, never the file's content: a command line or a
 * cgroup path may hold something a log should not.
 *
 * <pre>{@code
 * try {
 *     ProcStat stat = ProcStatParser.parse(bytes);
 * } catch (ProcParseException e) {
 *     if (e.problem() == ProcParseException.Problem.TRUNCATED) { ... }
 * }
 * }</pre>
 */
public final class ProcParseException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Which kind of file was being parsed. */
    public enum FileType {
        /** {@code /proc/P/stat}. */
        STAT,
        /** {@code /proc/P/status}. */
        STATUS,
        /** {@code /proc/P/cmdline}. */
        CMDLINE,
        /** {@code /proc/P/mountinfo}. */
        MOUNTINFO,
        /** {@code /proc/P/cgroup}. */
        CGROUP,
        /** The target of a {@code /proc/P/fd/N} link. */
        FD_LINK
    }

    /** What was wrong with it. */
    public enum Problem {
        /** No bytes at all. */
        EMPTY,
        /** The content ends before a field the format requires. */
        TRUNCATED,
        /** A field or line does not have the expected shape. */
        MALFORMED,
        /** A number does not fit its field. */
        OUT_OF_RANGE,
        /** A field the format requires is absent. */
        MISSING_FIELD
    }

    /** Which kind of file was being parsed. */
    private final FileType fileType;
    /** What was wrong with it. */
    private final Problem problem;

    /**
     * @param fileType which file
     * @param problem  what was wrong
     * @param detail   where (a field name or line number), never the content
     */
    public ProcParseException(FileType fileType, Problem problem, String detail) {
        super(Objects.requireNonNull(fileType, "fileType").name().toLowerCase(java.util.Locale.ROOT) + ": "
                + Objects.requireNonNull(problem, "problem").name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
        this.fileType = fileType;
        this.problem = problem;
    }

    /** @return which kind of file was being parsed */
    public FileType fileType() {
        return fileType;
    }

    /** @return what was wrong with it */
    public Problem problem() {
        return problem;
    }
}
