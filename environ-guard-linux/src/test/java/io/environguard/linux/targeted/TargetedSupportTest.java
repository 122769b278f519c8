package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.FanotifyProbe;
import org.junit.jupiter.api.Test;

/** The targeted source explains the errors every fanotify group can meet as the host source does: one text each. */
class TargetedSupportTest {

    @Test
    void sharedInitFailuresReadTheSameForEverySource() {
        for (int errno : new int[] {Errno.ENOSYS, Errno.EMFILE, Errno.ENOMEM}) {
            assertEquals(FanotifyProbe.describeInitFailure(errno), TargetedSupport.describeInitFailure(errno));
        }
        assertTrue(TargetedSupport.describeInitFailure(Errno.EPERM).contains("unprivileged fanotify needs Linux 5.13+"));
    }
}
