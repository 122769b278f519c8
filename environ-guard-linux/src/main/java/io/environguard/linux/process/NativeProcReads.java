package io.environguard.linux.process;

import com.sun.jna.Memory;
import io.environguard.linux.nativeio.Errno;
import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.proc.ProcReads;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@link ProcReads} with libc's {@code open}, {@code read} and {@code close} into a reused native buffer (one
 * per thread): three system calls for a small {@code /proc} file, where {@code FileInputStream} makes five
 * ({@code open}, an {@code fstat} to refuse directories, a read, a read that returns end of file,
 * {@code close}) and allocates a stream, a descriptor object, a cleaner and two 8 KiB arrays. On the fanotify
 * resolver's path, which reads a few such files for every environ access and often runs interpreted, each of
 * those costs latency.
 *
 * <p>A read that returns less than was asked for ends the file: procfs fills the caller's buffer with all it
 * has (a {@code seq_file}, {@code cmdline}), and a regular file (a simulated tree in tests) returns less only
 * at its end.
 *
 * <pre>{@code
 * byte[] stat = NativeProcReads.INSTANCE.read(Path.of("/proc/42/stat"), 4096);
 * }</pre>
 */
public final class NativeProcReads implements ProcReads {

    /** Thread-safe: each thread reads into its own buffer. */
    public static final NativeProcReads INSTANCE = new NativeProcReads();

    private static final int BUFFER_SIZE = 64 * 1024;
    private static final ThreadLocal<Memory> BUFFERS = ThreadLocal.withInitial(() -> new Memory(BUFFER_SIZE));

    private NativeProcReads() {
    }

    @Override
    public byte[] read(Path file, int maxBytes) throws IOException {
        String path = file.toString();
        int fd = LinuxLibC.open(path, LinuxLibC.O_RDONLY | LinuxLibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw failure(path, LinuxLibC.errno());
        }
        try {
            Memory buffer = BUFFERS.get();
            byte[] out = null;
            int total = 0;
            while (total < maxBytes) {
                int want = Math.min(BUFFER_SIZE, maxBytes - total);
                int n = LinuxLibC.read(fd, buffer, want);
                if (n < 0) {
                    int errno = LinuxLibC.errno();
                    if (errno == Errno.EINTR) {
                        continue;
                    }
                    throw failure(path, errno);
                }
                if (n == 0) {
                    break;
                }
                if (out == null) {
                    out = new byte[n];
                } else {
                    out = Arrays.copyOf(out, total + n);
                }
                buffer.read(0, out, total, n);
                total += n;
                if (n < want) {
                    break;
                }
            }
            return out == null ? new byte[0] : out;
        } finally {
            LinuxLibC.close(fd);
        }
    }

    @Override
    public String readLink(Path link) throws IOException {
        return ProcReads.FILES.readLink(link); // a readlink opens nothing: no faster way to be had
    }

    private static IOException failure(String path, int errno) {
        if (errno == Errno.ENOENT || errno == Errno.ESRCH) {
            // ESRCH: the process went away between the lookup and the read; to a caller the file is gone.
            return new NoSuchFileException(path, null, Errno.describe(errno));
        }
        if (errno == Errno.EACCES || errno == Errno.EPERM) {
            return new AccessDeniedException(path, null, Errno.describe(errno));
        }
        return new IOException(path + ": " + Errno.describe(errno));
    }
}
