package io.environguard.linux.fanotify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a fanotify group of this JVM has marked, from {@code /proc/self/fdinfo/<fd>}: one line
 * {@code fanotify ino:<hex> sdev:<hex> mflags:<hex> mask:<hex> ignored_mask:<hex> ...} per inode mark, and
 * {@code fanotify mnt_ns:<inode> mflags:<hex> mask:<hex> ...} per mount namespace mark.
 */
final class GroupMarks {

    private static final Pattern INODE_MARK = Pattern.compile(
            "^fanotify ino:([0-9a-f]+) sdev:[0-9a-f]+ mflags:([0-9a-f]+) mask:([0-9a-f]+) ignored_mask:([0-9a-f]+)");

    private static final Pattern MOUNT_NAMESPACE_MARK = Pattern.compile("^fanotify mnt_ns:([0-9]+) ");

    private GroupMarks() {
    }

    /** The inodes of the mount namespaces group {@code fd} has a {@code FAN_MARK_MNTNS} mark on. */
    static Set<Long> mountNamespaces(int fd) {
        Set<Long> out = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                Matcher m = MOUNT_NAMESPACE_MARK.matcher(line);
                if (m.find()) {
                    out.add(Long.parseLong(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Inode numbers that carry an ignore mark for {@code FAN_OPEN} in group {@code fd}. */
    static Set<Long> ignoredOpens(int fd) {
        Set<Long> out = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
                Matcher m = INODE_MARK.matcher(line);
                if (m.find() && (Long.parseLong(m.group(4), 16) & 0x20) != 0) {
                    out.add(Long.parseLong(m.group(1), 16));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The inode number of {@code file} (a stat: it opens nothing, so makes no event). */
    static long inode(String file) {
        try {
            return ((Number) Files.getAttribute(Path.of(file), "unix:ino")).longValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
