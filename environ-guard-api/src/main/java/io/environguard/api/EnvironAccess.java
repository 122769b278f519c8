package io.environguard.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One observed access by a reader to a target process's {@code environ} (or {@code mem}) file.
 * Sources build these; the policy judges them. It never holds the file's contents.
 *
 * <pre>{@code
 * EnvironAccess access = EnvironAccess.builder()
 *         .source("fanotify-host").path("/proc/42/environ").alias(AliasKind.PROCESS)
 *         .reader(ProcessInfo.builder(4242).exe("/usr/bin/cat").build())
 *         .target(ProcessInfo.builder(42).exe("/usr/bin/sleep").build())
 *         .build();
 * }</pre>
 *
 * @param time            when the access was observed
 * @param source          the name of the event source that saw it
 * @param kind            how it was observed
 * @param file            environ or mem
 * @param path            the path as reported by the source (after the kernel resolved symlinks)
 * @param alias           which alias of the file the path is
 * @param reader          the process that opened the file; {@link ProcessInfo#unknown()} if hidden
 * @param target          the process whose file it is (its thread group leader, for thread aliases)
 * @param possibleReaders when the reader is unknown: best-effort candidates (e.g. processes holding
 *                        the file open at the time), never proof; empty otherwise
 * @param notes           facts a person should know about this record (e.g. "pid is local to the pid
 *                        namespace of /run/ctr/proc"); never secrets
 */
public record EnvironAccess(Instant time, String source, AccessKind kind, ProcFile file, String path,
                            AliasKind alias, ProcessInfo reader, ProcessInfo target,
                            List<ProcessInfo> possibleReaders, List<String> notes) {

    /**
     * Checks the required fields, puts {@link ProcessInfo#unknown()} for a missing reader or target and keeps
     * unmodifiable copies of the lists.
     *
     * @param time            when the access was observed
     * @param source          the name of the event source that saw it
     * @param kind            how it was observed
     * @param file            environ or mem
     * @param path            the path as reported by the source; may be {@code null} when the source saw none
     * @param alias           which alias of the file the path is
     * @param reader          the process that opened the file; {@code null} for unknown
     * @param target          the process whose file it is; {@code null} for unknown
     * @param possibleReaders candidates for an unknown reader; {@code null} for none
     * @param notes           facts a person should know; {@code null} for none
     * @throws NullPointerException when {@code time}, {@code source}, {@code kind}, {@code file} or {@code alias} is
     *                              {@code null}
     */
    public EnvironAccess {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(alias, "alias");
        reader = reader == null ? ProcessInfo.unknown() : reader;
        target = target == null ? ProcessInfo.unknown() : target;
        possibleReaders = possibleReaders == null ? List.of() : List.copyOf(possibleReaders);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /**
     * Starts a builder; defaults: the time of {@link Builder#build()}, source {@code unknown}, kind OPEN, file
     * ENVIRON, alias UNKNOWN, unknown reader and target, no possible readers, no notes.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return whether the reader and the target are the same known process: never an alert */
    public boolean isSelfRead() {
        return reader.isKnown() && reader.pid() == target.pid();
    }

    /** Builds {@link EnvironAccess} records. */
    public static final class Builder {
        private Instant time;
        private String source = "unknown";
        private AccessKind kind = AccessKind.OPEN;
        private ProcFile file = ProcFile.ENVIRON;
        private String path;
        private AliasKind alias = AliasKind.UNKNOWN;
        private ProcessInfo reader;
        private ProcessInfo target;
        private List<ProcessInfo> possibleReaders = List.of();
        private List<String> notes = List.of();

        private Builder() {
        }

        /**
         * @param time when the access was observed; {@code null} for the time of {@link #build()}
         * @return this builder
         */
        public Builder time(Instant time) { this.time = time; return this; }

        /**
         * @param source the name of the event source that saw the access
         * @return this builder
         */
        public Builder source(String source) { this.source = source; return this; }

        /**
         * @param kind how the access was observed
         * @return this builder
         */
        public Builder kind(AccessKind kind) { this.kind = kind; return this; }

        /**
         * @param file environ or mem
         * @return this builder
         */
        public Builder file(ProcFile file) { this.file = file; return this; }

        /**
         * @param path the path as the source reported it
         * @return this builder
         */
        public Builder path(String path) { this.path = path; return this; }

        /**
         * @param alias which alias of the file the path is
         * @return this builder
         */
        public Builder alias(AliasKind alias) { this.alias = alias; return this; }

        /**
         * @param reader the process that opened the file; {@code null} for unknown
         * @return this builder
         */
        public Builder reader(ProcessInfo reader) { this.reader = reader; return this; }

        /**
         * @param target the process whose file it is; {@code null} for unknown
         * @return this builder
         */
        public Builder target(ProcessInfo target) { this.target = target; return this; }

        /**
         * @param possibleReaders when the reader is unknown: best-effort candidates, never proof
         * @return this builder
         */
        public Builder possibleReaders(List<ProcessInfo> possibleReaders) { this.possibleReaders = possibleReaders; return this; }

        /**
         * @param notes facts a person should know about the access; never secrets
         * @return this builder
         */
        public Builder notes(List<String> notes) { this.notes = notes; return this; }

        /**
         * @return the access
         * @throws NullPointerException when a field the record requires was set to {@code null}
         */
        public EnvironAccess build() {
            return new EnvironAccess(time == null ? Instant.now() : time, source, kind, file, path, alias,
                    reader, target, possibleReaders, notes);
        }
    }
}
