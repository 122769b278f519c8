package io.environguard.sink.kafka;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** This host's name, as the kernel knows it: what record keys and OCSF's {@code device.hostname} carry. */
final class HostName {

    private HostName() {
    }

    /** The kernel's host name; the JDK's only as a fallback, since it may wait on DNS; {@code "localhost"} if neither works. */
    static String local() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no procfs: fall through
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "localhost";
        }
    }
}
