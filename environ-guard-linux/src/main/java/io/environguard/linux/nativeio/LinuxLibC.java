package io.environguard.linux.nativeio;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.util.Optional;

/**
 * The few libc functions the Linux sources call, bound by JNA <em>direct mapping</em>
 * ({@link Native#register}): each call costs about as much as a JNI call, against roughly ten times that
 * for interface mapping, which matters on the fanotify read path (several calls per {@code /proc} open
 * on the machine). Only primitives and {@link Pointer}s cross the boundary on hot paths; strings are
 * accepted only where a call happens once (marks, probes).
 *
 * <p>Functions return what libc returns ({@code -1} on failure); read {@link #errno()} right after a
 * failed call, on the same thread. No method throws for an errno: callers on hot paths must not pay for
 * exceptions, and every caller has to decide what each errno means anyway.
 *
 * <pre>{@code
 * LinuxLibC.ensureLinked();
 * int fd = LinuxLibC.fanotify_init(flags, eventFlags);
 * if (fd < 0) {
 *     throw new IOException("fanotify_init: " + Errno.describe(LinuxLibC.errno()));
 * }
 * }</pre>
 *
 * <p>Binding happens once, when this class is initialized. On a platform where it fails (not Linux, no
 * JNA native library, a libc without {@code statx}) {@link #linkError()} says why and every native method
 * throws {@link UnsatisfiedLinkError}.
 */
@SuppressWarnings({"checkstyle:MethodName", "unused"})
public final class LinuxLibC {

    /** Syscall numbers shared by every Linux architecture (the unified table from 424 on). */
    public static final long SYS_PIDFD_SEND_SIGNAL = 424;
    public static final long SYS_PIDFD_OPEN = 434;

    public static final int AT_FDCWD = -100;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;

    public static final int O_RDONLY = 0;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_PATH = 0x200000;

    public static final int EFD_CLOEXEC = O_CLOEXEC;
    public static final int EFD_NONBLOCK = O_NONBLOCK;

    public static final short POLLIN = 0x1;
    public static final short POLLPRI = 0x2;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    public static final int RLIMIT_NOFILE = 7;

    private static final Throwable LINK_ERROR;

    static {
        Throwable error = null;
        if (!Platform.isLinux()) {
            error = new UnsatisfiedLinkError("not Linux (os.name=" + System.getProperty("os.name") + ")");
        } else {
            try {
                Native.register(LinuxLibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | IllegalArgumentException e) {
                error = e;
            }
        }
        LINK_ERROR = error;
    }

    private LinuxLibC() {
    }

    /** Why binding failed, if it did. */
    public static Optional<Throwable> linkError() {
        return Optional.ofNullable(LINK_ERROR);
    }

    /** Throws the binding error, if any, so that callers fail with the cause rather than a bare link error later. */
    public static void ensureLinked() {
        if (LINK_ERROR != null) {
            UnsatisfiedLinkError e = new UnsatisfiedLinkError("libc bindings unavailable: " + LINK_ERROR.getMessage());
            e.initCause(LINK_ERROR);
            throw e;
        }
    }

    /** The errno of the last failed call on this thread (JNA saves it after every call). */
    public static int errno() {
        return Native.getLastError();
    }

    public static native int read(int fd, Pointer buf, long count);

    public static native int write(int fd, Pointer buf, long count);

    public static native int close(int fd);

    /** {@code open} is variadic in C; a fixed third argument is passed the same way on x86-64 and arm64. */
    public static native int open(String path, int flags, int mode);

    public static native int readlink(Pointer path, Pointer buf, long size);

    public static native int readlink(String path, Pointer buf, long size);

    public static native int ioctl(int fd, long request, Pointer arg);

    /**
     * {@code syscall} is variadic in C. Direct mapping cannot declare varargs, but on the 64-bit Linux ABIs
     * the first six integer arguments travel in registers either way, and glibc's {@code syscall} only moves
     * registers, so fixed integer parameters are passed correctly.
     */
    public static native long syscall(long number, long a, long b, long c, long d);

    public static native int poll(Pointer fds, long nfds, int timeoutMillis);

    public static native int eventfd(int initval, int flags);

    public static native int statx(int dirfd, Pointer path, int flags, int mask, Pointer buf);

    public static native int getrlimit(int resource, Pointer rlim);

    public static native int setrlimit(int resource, Pointer rlim);

    public static native int fanotify_init(int flags, int eventFileFlags);

    public static native int fanotify_mark(int fanotifyFd, int flags, long mask, int dirfd, String path);

    /** With a {@code null} path, marks the object {@code dirfd} refers to (not an {@code O_PATH} descriptor). */
    public static native int fanotify_mark(int fanotifyFd, int flags, long mask, int dirfd, Pointer path);
}
