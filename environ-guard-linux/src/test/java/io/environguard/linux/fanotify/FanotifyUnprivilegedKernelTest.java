package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import io.environguard.linux.ChildJvm;
import io.environguard.linux.KernelTestSupport;
import io.environguard.spi.EventSourceProvider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The source refuses to start for an ordinary user and says why. A child JVM runs as nobody
 * ({@code setpriv}: a fresh exec, so its {@code /proc/self} is its own) from a world-readable copy of the
 * classpath, since Maven's repository under {@code /root} is not readable to it ({@link ChildJvm}).
 */
@Tag("kernel")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FanotifyUnprivilegedKernelTest {

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void refusesToStartWithoutCapSysAdminAndSaysSo() throws Exception {
        try (ChildJvm child = ChildJvm.start(UnprivilegedProbeMain.class, true, Map.of(),
                List.of(FanotifyHostSourceProvider.class, EventSourceProvider.class, Native.class, LoggerFactory.class))) {
            // "start=" is the probe's last line: once it is said, everything before it is too.
            child.awaitSaid("about start", l -> l.startsWith("start="), Duration.ofSeconds(60));
            assertTrue(child.process().waitFor(60, TimeUnit.SECONDS), "child JVM finished");
            String out = String.join("\n", child.said());
            assertEquals(0, child.process().exitValue(), out);
            Map<String, String> said = new LinkedHashMap<>();
            child.said().stream().filter(l -> l.contains("=")).forEach(l -> said.put(l.substring(0, l.indexOf('=')),
                    l.substring(l.indexOf('=') + 1)));
            assertEquals("100", said.get("priority"), out);
            assertEquals("false", said.get("available"), out);
            assertTrue(said.getOrDefault("detail", "").contains("CAP_SYS_ADMIN"), out);
            assertTrue(said.getOrDefault("detail", "").contains("procfs source"), out);
            assertTrue(said.getOrDefault("start", "").contains("CAP_SYS_ADMIN"), out);
        }
    }
}
