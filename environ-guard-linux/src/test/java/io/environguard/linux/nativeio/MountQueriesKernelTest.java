package io.environguard.linux.nativeio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.environguard.linux.KernelTestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code statmount}, {@code listmount} and {@code NS_GET_MNTNS_ID} against the real kernel: this process's own
 * mount namespace has an id, exists, lists a first mount that statmount describes, and among its mounts {@code statmount} finds
 * {@code /proc} as a procfs on the device {@code stat} gives; a namespace id that was never handed out does not
 * exist.
 */
@Tag("kernel")
class MountQueriesKernelTest {

    @BeforeAll
    static void kernel() {
        KernelTestSupport.requireRootAndFanotify();
    }

    @Test
    void ownNamespaceAndItsProcMount() throws IOException {
        MountQueries queries = new MountQueries();
        int nsFd = LinuxLibC.open("/proc/self/ns/mnt", LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        assertTrue(nsFd >= 0);
        long id;
        try {
            id = queries.namespaceId(nsFd);
        } finally {
            LinuxLibC.close(nsFd);
        }
        assertTrue(id > 0, "NS_GET_MNTNS_ID: " + id);
        assertEquals(1, queries.namespaceExists(id));
        assertEquals(0, queries.namespaceExists(Long.MAX_VALUE - 7), "an id never handed out");
        long first = queries.firstMount(id);
        assertTrue(first > 0, "listmount: " + first);
        assertEquals(0, queries.stat(first, id, MountStat.MNT_POINT));
        assertTrue(queries.lastStat().mountPoint().startsWith("/"), queries.lastStat().toString());

        FdInspector fds = new FdInspector();
        assertEquals(0, fds.stat("/proc"));
        String procDevice = FdInspector.deviceString(fds.device());
        MountStat proc = null;
        for (long mountId : listMounts(id)) {
            assertEquals(0, queries.stat(mountId, id, MountStat.SB_BASIC | MountStat.FS_TYPE | MountStat.MNT_POINT),
                    "statmount of mount " + mountId);
            MountStat s = queries.lastStat();
            if ("/proc".equals(s.mountPoint())) {
                proc = s;
            }
        }
        assertNotNull(proc, "/proc among this namespace's mounts");
        assertTrue(proc.isProc(), proc.toString());
        assertEquals("proc", proc.fsType());
        assertEquals(procDevice, proc.device());
        assertEquals(-Errno.ENOENT, queries.stat(Long.MAX_VALUE - 7, id, MountStat.SB_BASIC), "a mount id never handed out");
        assertEquals(-Errno.EINVAL, queries.stat(1, id, MountStat.SB_BASIC), "an old-style (mountinfo) id");
    }

    /** Every mount of namespace {@code id}, by {@code listmount} (the library only asks it for one). */
    private static long[] listMounts(long id) throws IOException {
        Memory request = new Memory(32);
        request.clear();
        request.setInt(0, 32);
        request.setLong(8, -1L);
        request.setLong(24, id);
        Memory ids = new Memory(8L * 1024);
        long n = LinuxLibC.syscall(MountQueries.SYS_LISTMOUNT, Pointer.nativeValue(request), Pointer.nativeValue(ids),
                1024, 0);
        assertTrue(n > 0, "listmount: " + Errno.describe(LinuxLibC.errno()));
        long[] out = new long[(int) n];
        for (int i = 0; i < n; i++) {
            out[i] = ids.getLong(8L * i);
        }
        assertTrue(Files.isDirectory(Path.of("/proc/self")));
        return out;
    }
}
