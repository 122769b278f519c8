package io.environguard.linux.targeted;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reader processes a test starts: each opens one path and closes it again (what is read is discarded, never
 * looked at). All are destroyed by {@link #close}; tests touch no process they did not start.
 */
final class Readers implements AutoCloseable {

    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    /** Opens argv[1], reads a byte if it can (mem at offset 0 cannot), and closes it. */
    private static final String OPEN_ONCE = "import sys\n"
            + "try:\n"
            + "    f = open(sys.argv[1], 'rb', buffering=0)\n"
            + "except OSError as e:\n"
            + "    sys.exit(3)\n"
            + "try:\n"
            + "    f.read(1)\n"
            + "except OSError:\n"
            + "    pass\n"
            + "f.close()\n";
    /** Opens argv[1] and holds it open until stdin closes. */
    private static final String HOLD = "import sys\n"
            + "f = open(sys.argv[1], 'rb', buffering=0)\n"
            + "print('open', flush=True)\n"
            + "sys.stdin.read()\n";

    private final List<Process> processes = new ArrayList<>();
    private final List<String> prefix;

    /** Readers run as this JVM's user. */
    Readers() {
        this(List.of());
    }

    /** Readers run through {@code prefix}, e.g. {@code setpriv --reuid 65534 ...}. */
    Readers(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /** Opens {@code path} once in a new process and waits (bounded) for it to finish; returns the process. */
    Process openOnce(String path) {
        Process p = start(List.of(PYTHON, "-c", OPEN_ONCE, path), ProcessBuilder.Redirect.DISCARD);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("reader of " + path + " did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return p;
    }

    /** A process that opens {@code path} and holds it open until closed; returns once it is open. */
    Process holdOpen(String path) throws IOException {
        Process p = start(List.of(PYTHON, "-c", HOLD, path), ProcessBuilder.Redirect.PIPE);
        String line = new String(p.getInputStream().readNBytes(5), java.nio.charset.StandardCharsets.US_ASCII);
        if (!line.equals("open\n")) {
            throw new IllegalStateException("holder of " + path + " did not open it (exit " + (p.isAlive() ? "-" : p.exitValue()) + ")");
        }
        return p;
    }

    /** The pid of the reader itself: through setpriv, the same process (setpriv execs). */
    private Process start(List<String> command, ProcessBuilder.Redirect out) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(all).redirectOutput(out).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        try {
            Process p = pb.start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
