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
    /**
     * {@code getdents64}, whose number differs by architecture (it predates the unified table); {@code -1}
     * on an architecture not listed here, where callers list directories through {@code java.nio} instead.
     */
    public static final long SYS_GETDENTS64 = getdents64Number(Platform.ARCH);
    /** {@code perf_event_open}, whose number differs by architecture; {@code -1} where not listed. */
    public static final long SYS_PERF_EVENT_OPEN = perfEventOpenNumber(Platform.ARCH);
    /** {@code gettid}, whose number differs by architecture; {@code -1} where not listed. */
    public static final long SYS_GETTID = gettidNumber(Platform.ARCH);
    public static final int PRIO_PROCESS = 0;

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x1;

    public static final int SEEK_SET = 0;

    /** {@code fcntl} command: duplicate a descriptor with close-on-exec set. */
    public static final int F_DUPFD_CLOEXEC = 1030;

    public static final int AT_FDCWD = -100;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    /**
     * {@code statx}: answer from cached attributes, never ask the file system (a FUSE server, say) for fresh
     * ones. The only safe way to stat a file a process we do not trust may serve.
     */
    public static final int AT_STATX_DONT_SYNC = 0x4000;

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

    public static final int AF_UNIX = 1;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = O_NONBLOCK;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    public static final int NETLINK_CONNECTOR = 11;
    public static final int SOL_SOCKET = 1;
    public static final int SO_ATTACH_FILTER = 26;
    public static final int SO_RCVBUF = 8;
    /** {@code SO_RCVBUF} beyond {@code net.core.rmem_max}; needs CAP_NET_ADMIN. */
    public static final int SO_RCVBUFFORCE = 33;

    public static final int CLOCK_MONOTONIC = 1;
    public static final int CLOCK_BOOTTIME = 7;
    /** {@code sysconf} name of the clock ticks per second ({@code USER_HZ}) that {@code /proc} counts in. */
    public static final int SC_CLK_TCK = 2;

    public static final int PR_GET_DUMPABLE = 3;
    public static final int PR_SET_DUMPABLE = 4;

    /** {@code sizeof(struct statfs)} on the 64-bit Linux ABIs, and where {@code f_fsid} sits in it. */
    public static final int STATFS_SIZE = 120;
    public static final int STATFS_FSID_OFFSET = 56;

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

    static long getdents64Number(String arch) {
        switch (arch) {
            case "x86-64": return 217;
            case "aarch64":
            case "riscv64":
            case "loongarch64": return 61;
            case "ppc64le":
            case "ppc64": return 202;
            case "s390x": return 220;
            default: return -1;
        }
    }

    static long perfEventOpenNumber(String arch) {
        switch (arch) {
            case "x86-64": return 298;
            case "aarch64":
            case "riscv64":
            case "loongarch64": return 241;
            case "ppc64le":
            case "ppc64": return 319;
            case "s390x": return 331;
            default: return -1;
        }
    }

    static long gettidNumber(String arch) {
        switch (arch) {
            case "x86-64": return 186;
            case "aarch64":
            case "riscv64":
            case "loongarch64": return 178;
            case "ppc64le":
            case "ppc64": return 207;
            case "s390x": return 236;
            default: return -1;
        }
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

    /** {@code fcntl} is variadic in C; as for {@link #syscall}, an integer third argument travels in a register. */
    public static native int fcntl(int fd, int cmd, long arg);

    public static native long lseek(int fd, long offset, int whence);

    public static native int memcmp(Pointer a, Pointer b, long n);

    public static native int socket(int domain, int type, int protocol);

    /** Two connected sockets, their descriptors in {@code sv[0]} and {@code sv[1]} (two ints). */
    public static native int socketpair(int domain, int type, int protocol, Pointer sv);

    public static native int bind(int fd, Pointer address, int addressLength);

    public static native long send(int fd, Pointer buf, long length, int flags);

    public static native long recv(int fd, Pointer buf, long length, int flags);

    /**
     * Receives up to {@code vlen} datagrams in one call into {@code struct mmsghdr msgvec[vlen]}; on a non-blocking
     * socket it returns what is queued (at least one) or fails with {@code EAGAIN}. An error met after the first
     * datagram is kept by the kernel for the next call.
     */
    public static native int recvmmsg(int fd, Pointer msgvec, int vlen, int flags, Pointer timeout);

    public static native int setsockopt(int fd, int level, int option, Pointer value, int length);

    public static native int clock_gettime(int clock, Pointer timespec);

    /** With {@link #PRIO_PROCESS} and a thread id, sets that one thread's nice value. */
    public static native int setpriority(int which, int who, int priority);

    /** Returns {@code MAP_FAILED} ({@code (void *) -1}) on failure. */
    public static native Pointer mmap(Pointer address, long length, int protection, int flags, int fd, long offset);

    public static native int munmap(Pointer address, long length);

    public static native long sysconf(int name);

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

    /** As above, with a fifth argument ({@code perf_event_open}). */
    public static native long syscall(long number, long a, long b, long c, long d, long e);

    public static native int poll(Pointer fds, long nfds, int timeoutMillis);

    public static native int eventfd(int initval, int flags);

    public static native int statx(int dirfd, Pointer path, int flags, int mask, Pointer buf);

    public static native int statx(int dirfd, String path, int flags, int mask, Pointer buf);

    public static native int getrlimit(int resource, Pointer rlim);

    public static native int setrlimit(int resource, Pointer rlim);

    /** {@code openat} is variadic in C; see {@link #open}. */
    public static native int openat(int dirfd, String path, int flags, int mode);

    /** {@code fstatfs}; works on {@code O_PATH} descriptors. {@code buf} holds {@link #STATFS_SIZE} bytes. */
    public static native int fstatfs(int fd, Pointer buf);

    /**
     * {@code prctl} is variadic in C; as for {@link #syscall}, fixed integer parameters travel in the same
     * registers on the 64-bit Linux ABIs.
     */
    public static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    public static native int fanotify_init(int flags, int eventFileFlags);

    public static native int fanotify_mark(int fanotifyFd, int flags, long mask, int dirfd, String path);

    /** With a {@code null} path, marks the object {@code dirfd} refers to (not an {@code O_PATH} descriptor). */
    public static native int fanotify_mark(int fanotifyFd, int flags, long mask, int dirfd, Pointer path);
}
