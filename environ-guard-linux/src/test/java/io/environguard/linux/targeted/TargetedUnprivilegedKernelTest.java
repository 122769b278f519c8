package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import io.environguard.linux.ChildJvm;
import io.environguard.linux.KernelTestSupport;
import io.environguard.spi.EventSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The targeted source as an ordinary user: a child JVM runs as nobody and guards itself; readers, also
 * nobody, open each of its aliases, including those of a thread created after the guard started. Each open
 * must arrive with the reader unknown (the kernel hides it), the hidden-reader note, and, for a reader that
 * holds the file open, that reader among the possible readers.
 */
@Tag("kernel")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TargetedUnprivilegedKernelTest {

    static final List<Class<?>> CLASSPATH = List.of(TargetedFanotifySource.class, EventSource.class, Native.class,
            LoggerFactory.class, org.slf4j.simple.SimpleLogger.class);

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    private static void assertHiddenReaderAccess(ChildJvm child, String path) {
        String line = child.awaitSaid("about " + path, l -> l.startsWith("access path=" + path + " "), ChildJvm.WAIT);
        assertTrue(line.contains(" reader=-1 "), line);
        assertTrue(line.contains(" hidden-note=true "), line);
        assertTrue(line.endsWith(" target=" + child.pid()), line);
    }

    @Test
    void guardsItselfWithoutPrivilegeAndAttributesBestEffort() throws Exception {
        try (ChildJvm child = ChildJvm.start(SelfGuardProbeMain.class, true, Map.of(), CLASSPATH);
             Readers nobody = new Readers(ChildJvm.AS_NOBODY)) {
            long pid = child.pid();
            child.expect("ready", ChildJvm.WAIT);
            child.send("guard");
            String guarding = child.expect("guarding", ChildJvm.WAIT);
            assertTrue(guarding.matches("guarding marks=\\d+"), guarding);

            // A reader that holds the file open is found by the best-effort scan.
            String environ = "/proc/" + pid + "/environ";
            Process holder = nobody.holdOpen(environ);
            String held = child.awaitSaid("about the holder", l -> l.startsWith("access path=" + environ + " ")
                    && l.contains("possible=") && List.of(l.replaceAll(".* possible=([0-9,]*) .*", "$1").split(","))
                    .contains(Long.toString(holder.pid())), ChildJvm.WAIT);
            assertTrue(held.contains(" reader=-1 "), held);
            assertTrue(held.contains(" hidden-note=true "), held);

            assertEquals(0, nobody.openOnce("/proc/" + pid + "/task/" + pid + "/environ").exitValue());
            assertHiddenReaderAccess(child, "/proc/" + pid + "/task/" + pid + "/environ");
            assertEquals(0, nobody.openOnce("/proc/" + pid + "/mem").exitValue());
            assertHiddenReaderAccess(child, "/proc/" + pid + "/mem");

            // A thread created after the guard started: marked at the next listing, then every alias alerts.
            child.send("thread");
            String thread = child.expect("thread", ChildJvm.WAIT);
            assertTrue(thread.endsWith(" marked=true"), thread);
            String tid = thread.replaceAll("thread tid=(\\d+) .*", "$1");
            for (String path : List.of("/proc/" + tid + "/environ", "/proc/" + pid + "/task/" + tid + "/environ",
                    "/proc/" + tid + "/task/" + pid + "/environ")) {
                assertEquals(0, nobody.openOnce(path).exitValue(), path);
                assertHiddenReaderAccess(child, path);
            }

            child.send("coverage");
            String coverage = child.expect("coverage", ChildJvm.WAIT);
            assertTrue(coverage.contains("unprivileged: the kernel hides readers"), coverage);
            // No CAP_NET_ADMIN: the process table is polled, and coverage says what that loses.
            assertTrue(coverage.contains("process table: polled from /proc every"), coverage);
            assertTrue(coverage.contains("a reader that starts and exits between two polls is named by pid only"),
                    coverage);
        }
    }

    @Test
    void aNonDumpableUnprivilegedGuardCannotMarkNewThreadsAndSaysSo() throws Exception {
        try (ChildJvm child = ChildJvm.start(SelfGuardProbeMain.class, true, Map.of(), CLASSPATH)) {
            child.expect("ready", ChildJvm.WAIT);
            child.send("guard");
            child.expect("guarding", ChildJvm.WAIT);
            child.send("nondumpable");
            assertEquals("nondumpable dumpable=false", child.expect("nondumpable", ChildJvm.WAIT));
            child.send("thread");
            String thread = child.expect("thread", ChildJvm.WAIT);
            assertTrue(thread.endsWith(" marked=false"), thread);
            child.send("coverage");
            String coverage = child.expect("coverage", ChildJvm.WAIT);
            assertTrue(coverage.contains("EACCES") && coverage.contains("non-dumpable"), coverage);
        }
    }
}
