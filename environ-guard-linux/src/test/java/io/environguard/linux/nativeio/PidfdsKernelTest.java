package io.environguard.linux.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import io.environguard.linux.ChildJvm;
import io.environguard.linux.KernelTestSupport;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A process that may not signal another (another user's process, no CAP_KILL: a service under a bounded capability
 * set) still sees it alive through its pidfd: EPERM means "there, but not yours"; only ESRCH means reaped.
 */
@Tag("kernel")
class PidfdsKernelTest {

    @Test
    void anotherUsersLiveProcessIsAliveUntilItIsReaped() throws Exception {
        KernelTestSupport.requireRootAndFanotify();
        Process sleep = new ProcessBuilder("sleep", "120").start();
        try (ChildJvm child = ChildJvm.start(PidfdAliveProbeMain.class, true, Map.of(),
                List.of(Pidfds.class, Native.class), Long.toString(sleep.pid()))) {
            String opened = child.expect("opened=", ChildJvm.WAIT);
            assertTrue(Integer.parseInt(opened.substring("opened=".length())) >= 0, opened);
            child.send("check");
            assertEquals("alive=true", child.expect("alive=", ChildJvm.WAIT), "nobody may not signal root's sleep: EPERM");
            sleep.destroy();
            assertTrue(sleep.waitFor(10, TimeUnit.SECONDS));
            child.send("check");
            assertEquals("alive=false", child.expect("alive=", ChildJvm.WAIT), "reaped: ESRCH");
        } finally {
            sleep.destroyForcibly();
        }
    }
}
