package io.environguard.linux.fanotify;

import io.environguard.linux.nativeio.LinuxLibC;

/**
 * fanotify constants from {@code <linux/fanotify.h>}, including those newer than the C headers on many
 * build machines ({@code FAN_REPORT_FD_ERROR} is 6.13). Values are part of the kernel ABI.
 */
final class Fanotify {
    static final int FAN_CLOEXEC = 0x1;
    static final int FAN_NONBLOCK = 0x2;
    static final int FAN_CLASS_NOTIF = 0x0;
    static final int FAN_UNLIMITED_QUEUE = 0x10;
    static final int FAN_REPORT_PIDFD = 0x80;
    static final int FAN_REPORT_FD_ERROR = 0x2000;

    static final int FAN_MARK_ADD = 0x1;
    static final int FAN_MARK_FILESYSTEM = 0x100;

    static final long FAN_OPEN = 0x20;
    static final long FAN_Q_OVERFLOW = 0x4000;

    static final int FANOTIFY_METADATA_VERSION = 3;
    /** {@code sizeof(struct fanotify_event_metadata)}. */
    static final int METADATA_LEN = 24;
    static final int INFO_TYPE_PIDFD = 4;
    /** {@code FAN_NOFD} and {@code FAN_NOPIDFD}: no descriptor (overflow record; reader already gone). */
    static final int FAN_NOFD = -1;
    /** {@code FAN_EPIDFD}: the kernel failed to create a pidfd for a live reader. */
    static final int FAN_EPIDFD = -2;

    /** Flags for the event descriptors the kernel opens in the listener. */
    static final int EVENT_FILE_FLAGS = LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC;

    private Fanotify() {
    }
}
