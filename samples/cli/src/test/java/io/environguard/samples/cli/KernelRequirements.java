package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * What a kernel test needs (root, fanotify): on a developer machine without it the test is skipped; on CI
 * ({@code CI=true}), where these tests are the proof that detection works, a missing requirement fails the test.
 */
final class KernelRequirements {

    private KernelRequirements() {
    }

    /** Skips (locally) or fails (on CI) unless {@code met}; {@code what} names the requirement. */
    static void require(boolean met, String what) {
        if (met) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("CI=true, so this kernel test must run, but it lacks " + what);
        }
        Assumptions.abort("skipped: needs " + what + " (on CI, with CI=true, this fails instead)");
    }

    /** Whether this process runs with effective uid 0, from the {@code Uid:} line of /proc/self/status. */
    static boolean isRoot() {
        try {
            List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
            for (String line : status) {
                if (line.startsWith("Uid:")) {
                    String[] f = line.substring(4).trim().split("\\s+");
                    return f.length > 1 && f[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Whether the kernel was built with fanotify (it then publishes its limits under /proc/sys/fs/fanotify). */
    static boolean hasFanotify() {
        return Files.isDirectory(Path.of("/proc/sys/fs/fanotify"));
    }
}
