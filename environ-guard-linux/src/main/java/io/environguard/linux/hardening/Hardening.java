package io.environguard.linux.hardening;

import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.ProcParseException;
import io.environguard.linux.proc.ProcStat;
import io.environguard.linux.proc.ProcStatParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Makes this JVM's environment harder to read from outside. Both measures are opt-in and change the whole
 * process; read the trade-offs before using them.
 *
 * <pre>{@code
 * System.getenv();                              // the JVM caches its environment here (scrub does it too)
 * Hardening.scrub("DB_PASSWORD", "API_TOKEN");  // /proc/<pid>/environ now shows DB_PASSWORD=**********
 * Hardening.makeNonDumpable();                  // other processes of the same user get EACCES
 * String password = System.getenv("DB_PASSWORD");   // still the real value
 * }</pre>
 *
 * <p><b>{@link #makeNonDumpable()}</b> ({@code prctl(PR_SET_DUMPABLE, 0)}): the kernel refuses
 * {@code /proc/<pid>/environ} ({@code EACCES}), {@code /proc/<pid>/mem} and {@code process_vm_readv}
 * ({@code EPERM}) to processes of the same user that lack {@code CAP_SYS_PTRACE}; root still reads all
 * three. The price: no core dumps; {@code jcmd}, {@code jstack} and other attach tools of the same
 * non-root user stop working (the attach mechanism needs ptrace access); {@code /proc/<pid>/*} files
 * belong to root, so an <em>unprivileged</em> targeted guard can no longer mark aliases of threads that
 * start afterwards (start the guard first; the marks already placed stay); it lasts until exec, and
 * a {@code setuid} or capability change may reset it.
 *
 * <p><b>{@link #scrub(String...)}</b> overwrites, in place, the values of the named variables in the
 * process's <em>original</em> environment block (from {@code env_start} to {@code env_end}, fields 50 and
 * 51 of {@code /proc/self/stat}, written through {@code /proc/self/mem}), which is what
 * {@code /proc/<pid>/environ} and {@code /proc/<pid>/mem} show to everyone, root included. Each value byte
 * becomes {@code '*'}: the block keeps its layout, so C {@code getenv} (whose {@code environ} pointers point
 * into this block) still finds the variable and gets the mask, and tools that parse the file still parse
 * it; a reader learns the value's length, nothing else. {@link System#getenv()} keeps the real values: the
 * JVM copied the block into its own map when it first read the environment, which {@code scrub} forces
 * before writing. Native code in this process that reads the variable through C {@code getenv} afterwards
 * gets the mask. A copy made before the scrub (a child process started earlier, a core dump, a
 * {@code /proc} read already done) keeps the value.
 *
 * <p>Neither method ever logs, returns or puts into an exception message a value of the environment.
 */
public final class Hardening {

    /** Larger blocks are refused rather than read whole; the kernel's own limit on argv plus envp is far less. */
    static final long MAX_BLOCK_BYTES = 64L * 1024 * 1024;

    private Hardening() {
    }

    /**
     * Makes this process non-dumpable ({@code prctl(PR_SET_DUMPABLE, 0)}); see the class comment for what it
     * costs. Idempotent.
     *
     * @throws UnsupportedOperationException on a platform other than Linux
     * @throws IllegalStateException         when the kernel refuses
     */
    public static void makeNonDumpable() {
        requireLinux();
        LinuxLibC.ensureLinked();
        if (LinuxLibC.prctl(LinuxLibC.PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
            throw new IllegalStateException("prctl(PR_SET_DUMPABLE, 0) failed: " + Errno.describe(LinuxLibC.errno()));
        }
        if (isDumpable()) {
            throw new IllegalStateException("prctl(PR_SET_DUMPABLE, 0) returned success but the process is still dumpable");
        }
    }

    /** @return whether this process is dumpable ({@code prctl(PR_GET_DUMPABLE)}) */
    public static boolean isDumpable() {
        requireLinux();
        LinuxLibC.ensureLinked();
        int r = LinuxLibC.prctl(LinuxLibC.PR_GET_DUMPABLE, 0, 0, 0, 0);
        if (r < 0) {
            throw new IllegalStateException("prctl(PR_GET_DUMPABLE) failed: " + Errno.describe(LinuxLibC.errno()));
        }
        return r != 0;
    }

    /**
     * Masks the values of {@code names} in this process's original environment block, so that
     * {@code /proc/<pid>/environ} no longer shows them to anyone, while {@link System#getenv(String)} keeps
     * returning them. All or nothing: it writes only when every name is in the block and the block parses.
     *
     * @param names the variables to mask, at least one
     * @return what was masked (names and counts, never values)
     * @throws UnsupportedOperationException on a platform other than Linux
     * @throws IllegalArgumentException      when no name is given, or a name is empty or holds {@code '='} or NUL
     * @throws IllegalStateException         when it cannot work here, saying why: the block at
     *                                       {@code env_start..env_end} is not a {@code NAME=VALUE} list (it was
     *                                       moved or rewritten), a name is not in it, or {@code /proc/self/mem}
     *                                       cannot be read or written
     */
    public static ScrubResult scrub(String... names) {
        Objects.requireNonNull(names, "names");
        if (names.length == 0) {
            throw new IllegalArgumentException("name at least one environment variable to scrub");
        }
        Set<String> wanted = new LinkedHashSet<>();
        for (String name : names) {
            if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an environment variable name is non-empty and holds no '=' or NUL");
            }
            wanted.add(name);
        }
        requireLinux();
        // Forces the JVM to copy the environment into its own map, if it has not yet, before the block changes.
        Map<String, String> cached = System.getenv();
        List<String> notCached = wanted.stream().filter(n -> !cached.containsKey(n)).toList();
        if (!notCached.isEmpty()) {
            throw new IllegalStateException("not in this JVM's environment: " + notCached + "; nothing was scrubbed");
        }
        ProcStat stat = selfStat();
        long start = stat.envStart();
        long end = stat.envEnd();
        if (start <= 0 || end <= start) {
            throw new IllegalStateException("/proc/self/stat gives no environment block (env_start " + start
                    + ", env_end " + end + "); the kernel is older than 3.5 or hides it; nothing was scrubbed");
        }
        if (end - start > MAX_BLOCK_BYTES) {
            throw new IllegalStateException("the environment block is " + (end - start) + " bytes, more than the "
                    + MAX_BLOCK_BYTES + " this reads; nothing was scrubbed");
        }
        try (RandomAccessFile mem = new RandomAccessFile("/proc/self/mem", "rw")) {
            byte[] block = new byte[(int) (end - start)];
            mem.seek(start);
            mem.readFully(block);
            EnvironBlock parsed = EnvironBlock.parse(block).orElseThrow(() -> new IllegalStateException(
                    "the bytes at env_start..env_end are not a NAME=VALUE list: the environment block was moved or"
                            + " rewritten (by setproctitle-like code, or prctl PR_SET_MM); nothing was scrubbed"));
            List<EnvironBlock.Entry> entries = parsed.entriesNamed(wanted);
            List<String> missing = new ArrayList<>(wanted);
            entries.forEach(e -> missing.remove(e.name()));
            if (!missing.isEmpty()) {
                throw new IllegalStateException("not in the original environment block: " + missing
                        + " (set after the process started, or the block was rewritten); nothing was scrubbed");
            }
            long bytes = 0;
            for (EnvironBlock.Entry e : entries) {
                EnvironBlock.mask(block, e);
                mem.seek(start + e.valueOffset());
                mem.write(block, e.valueOffset(), e.valueLength());
                bytes += e.valueLength();
            }
            return new ScrubResult(new ArrayList<>(wanted), entries.size(), bytes);
        } catch (IOException e) {
            // The message of an IOException on /proc/self/mem names the file and errno, never the data.
            throw new IllegalStateException("cannot rewrite the environment block through /proc/self/mem ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "); nothing, or only part, was scrubbed", e);
        }
    }

    private static ProcStat selfStat() {
        try {
            return ProcStatParser.parse(Files.readAllBytes(Path.of("/proc/self/stat")));
        } catch (IOException | ProcParseException e) {
            throw new IllegalStateException("cannot read /proc/self/stat: " + e.getMessage(), e);
        }
    }

    private static void requireLinux() {
        String os = System.getProperty("os.name", "unknown");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            throw new UnsupportedOperationException("hardening needs Linux (os.name=" + os + ")");
        }
    }
}
