package io.environguard.linux.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import io.environguard.linux.ChildJvm;
import io.environguard.linux.KernelTestSupport;
import io.environguard.linux.targeted.SelfGuardProbeMain;
import io.environguard.spi.EventSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Hardening on the real kernel, always in a child JVM this test starts (never the test JVM's own
 * environment). The test reads the child's environ only to check that the scrubbed value is absent.
 */
@Tag("kernel")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HardeningKernelTest {

    private static final List<Class<?>> CLASSPATH = List.of(Hardening.class, EventSource.class, Native.class,
            LoggerFactory.class, org.slf4j.simple.SimpleLogger.class);
    private static final String NAME = "EG_SCRUB_TEST_SECRET";

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void scrubHidesTheValueFromProcButNotFromGetenv() throws Exception {
        String value = "some-test-value-" + UUID.randomUUID();
        try (ChildJvm child = ChildJvm.start(SelfGuardProbeMain.class, false,
                Map.of(NAME, value, "EG_OTHER", "kept"), CLASSPATH)) {
            child.expect("ready", ChildJvm.WAIT);
            child.send("scrub " + NAME);
            String said = child.expect("scrubbed", ChildJvm.WAIT);
            assertEquals("scrubbed entries=1 bytes=" + value.length() + " present=true unchanged=true", said);

            byte[] environ = Files.readAllBytes(Path.of("/proc/" + child.pid() + "/environ"));
            String text = new String(environ, StandardCharsets.ISO_8859_1);
            assertFalse(text.contains(value), "the value is gone from /proc/<pid>/environ");
            assertFalse(text.contains("some-test-value"), "no part of it is left");
            assertTrue(text.contains("\0" + NAME + "=" + "*".repeat(value.length()) + "\0")
                    || text.startsWith(NAME + "=" + "*".repeat(value.length()) + "\0"), "masked in place, same length");
            assertTrue(text.contains("EG_OTHER=kept\0"), "other variables untouched");

            child.send("scrub EG_NOT_SET_ANYWHERE");
            String refused = child.expect("error", ChildJvm.WAIT);
            assertTrue(refused.contains("IllegalStateException") && refused.contains("EG_NOT_SET_ANYWHERE")
                    && refused.contains("nothing was scrubbed"), refused);
        }
    }

    @Test
    void nonDumpableRefusesSameUidReadersButNotRoot() throws Exception {
        try (ChildJvm child = ChildJvm.start(SelfGuardProbeMain.class, true, Map.of(), CLASSPATH)) {
            child.expect("ready", ChildJvm.WAIT);
            String environ = "/proc/" + child.pid() + "/environ";
            assertEquals(0, openAs(true, environ), "before: a same-uid reader opens it");
            child.send("nondumpable");
            assertEquals("nondumpable dumpable=false", child.expect("nondumpable", ChildJvm.WAIT));
            assertNotEquals(0, openAs(true, environ), "after: the kernel refuses a same-uid reader");
            assertEquals(0, openAs(false, environ), "root still opens it: non-dumpable is no defence against root");
        }
    }

    /** Opens {@code path} in a new process (as nobody, or as this JVM's user) and returns its exit code; reads nothing. */
    private static int openAs(boolean nobody, String path) throws Exception {
        List<String> command = new java.util.ArrayList<>(nobody ? ChildJvm.AS_NOBODY : List.of());
        command.addAll(List.of("/usr/bin/python3", "-c", "import sys; open(sys.argv[1], 'rb').close()", path));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "reader finished");
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }
}
