package io.environguard.linux.targeted;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.ProcIds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one getdents64 walker sees every entry of a directory, across batches, and nothing else. */
class DirentsTest {

    @Test
    void walksEveryEntryOfADirectoryLargerThanOneBatch(@TempDir Path dir) throws Exception {
        assumeTrue(Dirents.supported(), "getdents64 is known on this architecture");
        Set<String> made = new TreeSet<>();
        for (int i = 0; i < 3000; i++) {                     // about 3 batches of 32 KiB
            String name = i % 3 == 0 ? "0" + i : Integer.toString(i);
            Files.createFile(dir.resolve(name));
            made.add(name);
        }
        Files.createFile(dir.resolve("self"));
        made.add("self");
        int fd = LinuxLibC.open(dir.toString(), LinuxLibC.O_RDONLY | LinuxLibC.O_DIRECTORY | LinuxLibC.O_CLOEXEC, 0);
        assertTrue(fd >= 0);
        Set<String> seen = new TreeSet<>();
        Set<Integer> ids = new TreeSet<>();
        int batches = 0;
        try {
            Dirents entries = new Dirents();
            for (long n = entries.read(fd); n > 0; n = entries.read(fd)) {
                batches++;
                entries.load();
                for (int r = entries.next(-1); r >= 0; r = entries.next(r)) {
                    int at = Dirents.name(r);
                    int end = at;
                    while (entries.bytes()[end] != 0) {
                        end++;
                    }
                    seen.add(new String(entries.bytes(), at, end - at, StandardCharsets.UTF_8));
                    int id = ProcIds.parseNulTerminated(entries.bytes(), at);
                    if (id >= 0) {
                        ids.add(id);
                    }
                }
                assertFalse(entries.malformed());
            }
        } finally {
            LinuxLibC.close(fd);
        }
        seen.remove(".");
        seen.remove("..");
        assertEquals(made, seen);
        assertTrue(batches > 1, "the directory took several batches: " + batches);
        Set<Integer> expected = new TreeSet<>();
        made.forEach(m -> {
            if (ProcIds.parse(m) >= 0) {
                expected.add(ProcIds.parse(m));
            }
        });
        assertEquals(expected, ids, "names with a leading zero are no ids");
        assertEquals(2000, ids.size());
    }
}
