package io.environguard.linux.nativeio;

/**
 * The Linux errno values the sources act on, and their symbolic names for messages. Values are those of
 * the generic Linux ABI (x86-64, arm64, riscv64 share them).
 *
 * <pre>{@code
 * String why = Errno.describe(LinuxLibC.errno());   // "EPERM (operation not permitted)"
 * }</pre>
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    public static final int EOVERFLOW = 75;
    public static final int EOPNOTSUPP = 95;
    public static final int EPROTONOSUPPORT = 93;
    public static final int ENOBUFS = 105;
    public static final int EXDEV = 18;

    private Errno() {
    }

    /** The symbolic name, e.g. {@code EPERM}, or {@code errno N} for one not listed here. */
    public static String name(int errno) {
        switch (errno) {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case ESRCH: return "ESRCH";
            case EINTR: return "EINTR";
            case EBADF: return "EBADF";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EACCES: return "EACCES";
            case EFAULT: return "EFAULT";
            case EBUSY: return "EBUSY";
            case EEXIST: return "EEXIST";
            case EXDEV: return "EXDEV";
            case ENODEV: return "ENODEV";
            case ENOTDIR: return "ENOTDIR";
            case EINVAL: return "EINVAL";
            case ENFILE: return "ENFILE";
            case EMFILE: return "EMFILE";
            case ENOTTY: return "ENOTTY";
            case ENOSPC: return "ENOSPC";
            case ENOSYS: return "ENOSYS";
            case EOVERFLOW: return "EOVERFLOW";
            case EOPNOTSUPP: return "EOPNOTSUPP";
            case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
            case ENOBUFS: return "ENOBUFS";
            default: return "errno " + errno;
        }
    }

    /** The name with a short explanation, for messages: {@code EPERM (operation not permitted)}. */
    public static String describe(int errno) {
        String text;
        switch (errno) {
            case EPERM: text = "operation not permitted"; break;
            case ENOENT: text = "no such file or directory"; break;
            case ESRCH: text = "no such process"; break;
            case EACCES: text = "permission denied"; break;
            case EINVAL: text = "invalid argument"; break;
            case EMFILE: text = "too many open files in this process"; break;
            case ENFILE: text = "too many open files in the system"; break;
            case ENOSYS: text = "function not implemented"; break;
            case EOPNOTSUPP: text = "operation not supported"; break;
            case ENOTTY: text = "inappropriate ioctl"; break;
            case ENOMEM: text = "out of memory"; break;
            case ENOBUFS: text = "no buffer space available"; break;
            case EPROTONOSUPPORT: text = "protocol not supported"; break;
            default: return name(errno);
        }
        return name(errno) + " (" + text + ")";
    }
}
