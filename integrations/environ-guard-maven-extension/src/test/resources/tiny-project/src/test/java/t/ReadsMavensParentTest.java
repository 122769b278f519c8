package t;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A test that does what a compromised test or plugin does: it finds the Maven JVM above it, then reads the environ of
 * the process that started Maven (with -Dread=true). It writes the pid it read to readFile, for the test that runs
 * this build to check the report against.
 */
class ReadsMavensParentTest {

    @Test
    void readsTheEnvironOfTheProcessThatStartedMaven() throws Exception {
        if (!Boolean.getBoolean("read")) {
            return;
        }
        ProcessHandle maven = ProcessHandle.current().parent().orElseThrow();
        while (!isMaven(maven)) {
            maven = maven.parent().orElseThrow(() -> new AssertionError("no Maven JVM above this test"));
        }
        long target = maven.parent().orElseThrow().pid();
        Files.writeString(Path.of(System.getProperty("readFile")), Long.toString(target), StandardCharsets.UTF_8);
        try (InputStream in = Files.newInputStream(Path.of("/proc/" + target + "/environ"))) {
            in.readAllBytes();
            Thread.sleep(1000); // held open a moment: without root, the guard names the holders as possible readers
        }
    }

    private static boolean isMaven(ProcessHandle p) {
        Optional<String[]> args = p.info().arguments();
        return args.isPresent() && String.join(" ", args.get()).contains("org.codehaus.plexus.classworlds.launcher.Launcher");
    }
}
