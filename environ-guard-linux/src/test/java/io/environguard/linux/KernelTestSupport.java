package io.environguard.linux;

import static org.junit.jupiter.api.Assertions.fail;

import io.environguard.linux.fanotify.FanotifyHostSourceProvider;
import io.environguard.spi.Availability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions of the {@code *KernelTest} classes, which run against the real kernel. On a developer
 * machine without root or fanotify they are skipped; on CI ({@code CI=true}) a missing precondition fails
 * the test, so that a misconfigured runner cannot turn the kernel tests into silent skips.
 *
 * <pre>{@code
 * @BeforeAll
 * static void kernel() {
 *     KernelTestSupport.requireRootAndFanotify();
 * }
 * }</pre>
 */
public final class KernelTestSupport {

    /**
     * The fanotify host source's ignore marks limited to files of this JVM and what it started: these
     * machines are shared, and a test must not mark processes it did not start. Every test that runs the
     * host source adds it to its configuration.
     */
    public static final String IGNORE_MARKS_WITHIN = "environguard.source.fanotify.ignore-marks-within";

    private KernelTestSupport() {
    }

    /** {@link #IGNORE_MARKS_WITHIN} set to this JVM. */
    public static Map<String, String> ownProcessesOnly() {
        return Map.of(IGNORE_MARKS_WITHIN, Long.toString(ProcessHandle.current().pid()));
    }

    /** {@code config} plus {@link #ownProcessesOnly()}. */
    public static Map<String, String> ownProcessesOnly(Map<String, String> config) {
        Map<String, String> out = new java.util.HashMap<>(config);
        out.putAll(ownProcessesOnly());
        return Map.copyOf(out);
    }

    /** Skips (locally) or fails (on CI) unless this JVM runs as root and the fanotify host source can run. */
    public static void requireRootAndFanotify() {
        List<String> missing = new ArrayList<>();
        if (!isRoot()) {
            missing.add("root (uid 0): the kernel tests place fanotify filesystem marks and mount procfs");
        } else {
            Availability fanotify = new FanotifyHostSourceProvider().availability();
            if (!fanotify.available()) {
                missing.add("fanotify: " + fanotify.detail());
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "this kernel test needs " + String.join("; ", missing);
        if (isCi()) {
            fail(message + " (CI=true: kernel tests must run, not skip, on CI)");
        }
        Assumptions.abort(message);
    }

    /** Whether the environment variable {@code CI} is {@code true}. */
    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Whether the real user id of this JVM is 0. */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).trim().split("\\s+")[0].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
