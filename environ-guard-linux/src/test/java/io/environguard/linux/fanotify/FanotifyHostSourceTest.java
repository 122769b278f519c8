package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the source reads outside the kernel-read path, checked without privileges. */
class FanotifyHostSourceTest {

    /**
     * The queue bound that coverage() names is the whole number: an integer sysctl read from a non-zero offset
     * returns end of file, and {@code Files.readString} reads a file of size 0 a byte at a time, which gave "1"
     * for 16384.
     */
    @Test
    void maxQueuedEventsIsTheNumberCatPrints() throws IOException, InterruptedException {
        Path sysctl = Path.of("/proc/sys/fs/fanotify/max_queued_events");
        assumeTrue(Files.isReadable(sysctl), "no fanotify sysctls on this machine");
        Process cat = new ProcessBuilder("cat", sysctl.toString()).start();
        String printed = new String(cat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertEquals(0, cat.waitFor());
        assertEquals(printed, FanotifyHostSource.maxQueuedEvents());
    }

    @Test
    void aSysctlThatCannotBeReadIsUnknown(@TempDir Path dir) {
        assertEquals("unknown", FanotifyHostSource.readSysctl(dir.resolve("missing")));
    }
}
