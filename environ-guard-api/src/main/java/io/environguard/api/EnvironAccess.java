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

    /** Starts a builder; defaults: now, kind OPEN, file ENVIRON, alias UNKNOWN. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether the reader and the target are the same known process: never an alert. */
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

        public Builder time(Instant time) { this.time = time; return this; }
        public Builder source(String source) { this.source = source; return this; }
        public Builder kind(AccessKind kind) { this.kind = kind; return this; }
        public Builder file(ProcFile file) { this.file = file; return this; }
        public Builder path(String path) { this.path = path; return this; }
        public Builder alias(AliasKind alias) { this.alias = alias; return this; }
        public Builder reader(ProcessInfo reader) { this.reader = reader; return this; }
        public Builder target(ProcessInfo target) { this.target = target; return this; }
        public Builder possibleReaders(List<ProcessInfo> possibleReaders) { this.possibleReaders = possibleReaders; return this; }
        public Builder notes(List<String> notes) { this.notes = notes; return this; }

        public EnvironAccess build() {
            return new EnvironAccess(time == null ? Instant.now() : time, source, kind, file, path, alias,
                    reader, target, possibleReaders, notes);
        }
    }
}
