package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FanotifySupportTest {

    @TempDir
    Path dir;

    private Path status(String capEff) throws IOException {
        return Files.writeString(dir.resolve("status"),
                "Name:\tjava\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapEff:\t" + capEff + "\n");
    }

    @Test
    void readsCapSysAdminFromTheEffectiveSet() throws IOException {
        assertEquals(Optional.of(true), FanotifySupport.hasEffectiveCapability(status("000001fffeffffff"), 21));
        assertEquals(Optional.of(false), FanotifySupport.hasEffectiveCapability(status("0000000000000000"), 21));
        assertEquals(Optional.of(false), FanotifySupport.hasEffectiveCapability(status("00000000001fffff"), 21));
        assertEquals(Optional.of(true), FanotifySupport.hasEffectiveCapability(status("0000000000200000"), 21));
        assertEquals(Optional.empty(), FanotifySupport.hasEffectiveCapability(dir.resolve("missing"), 21));
    }

    @Test
    void anUnprivilegedProbeNamesCapSysAdmin() throws IOException {
        FanotifySupport s = FanotifySupport.probe(status("0000000000000000"));
        if (!System.getProperty("os.name", "").toLowerCase().startsWith("linux")) {
            assertTrue(s.reason().startsWith("not Linux"), s.reason());
            return;
        }
        assertEquals(false, s.available());
        assertEquals(FanotifySupport.NEEDS_CAP_SYS_ADMIN, s.reason());
    }

    @Test
    void initFailuresNameTheirCauseAndTheFallback() {
        assertEquals(FanotifySupport.NEEDS_CAP_SYS_ADMIN,
                FanotifySupport.describeInitFailure(Errno.EPERM, Optional.of(false)));
        String seccomp = FanotifySupport.describeInitFailure(Errno.EPERM, Optional.of(true));
        assertTrue(seccomp.contains("seccomp") && seccomp.contains("procfs source"), seccomp);
        String nosys = FanotifySupport.describeInitFailure(Errno.ENOSYS, Optional.empty());
        assertTrue(nosys.contains("ENOSYS") && nosys.contains("CONFIG_FANOTIFY"), nosys);
        assertEquals(FanotifyProbe.describeInitFailure(Errno.ENOSYS), nosys, "one text for every fanotify source");
        String mark = FanotifySupport.describeMarkFailure(Errno.EPERM);
        assertTrue(mark.contains("user namespace") && mark.contains("CAP_SYS_ADMIN"), mark);
        assertTrue(FanotifySupport.describeMarkFailure(Errno.EINVAL).contains("FAN_MARK_FILESYSTEM"));
    }
}
