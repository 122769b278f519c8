package io.environguard.linux.nativeio;

import com.sun.jna.Memory;
import java.io.IOException;

/**
 * An {@code eventfd} used to wake a thread blocked in {@code poll}: closing a descriptor does not wake a
 * thread that waits on it, so a source that stops signals this first. Signalling is thread-safe.
 *
 * <pre>{@code
 * try (Wakeup wakeup = Wakeup.create()) {
 *     PollSet poll = new PollSet(fanotifyFd, wakeup.fd());   // the waiting thread
 *     wakeup.signal();                                        // any other thread
 * }
 * }</pre>
 */
public final class Wakeup implements AutoCloseable {

    private final int fd;
    private final Memory drained = new Memory(8);
    private volatile boolean closed;

    private Wakeup(int fd) {
        this.fd = fd;
    }

    /** Creates a non-blocking, close-on-exec eventfd. */
    public static Wakeup create() throws IOException {
        int fd = LinuxLibC.eventfd(0, LinuxLibC.EFD_CLOEXEC | LinuxLibC.EFD_NONBLOCK);
        if (fd < 0) {
            throw new IOException("eventfd: " + Errno.describe(LinuxLibC.errno()));
        }
        return new Wakeup(fd);
    }

    public int fd() {
        return fd;
    }

    /** Makes the descriptor readable until {@link #drain drained} or closed; waiters stay woken until then. */
    public void signal() {
        if (closed) {
            return;
        }
        Memory one = new Memory(8);
        one.setLong(0, 1);
        LinuxLibC.write(fd, one, 8);
    }

    /**
     * Makes the descriptor unreadable again (a non-blocking read of the counter), for a waiter that uses it as a
     * repeatable signal. Confined to the waiting thread.
     */
    public void drain() {
        if (!closed) {
            LinuxLibC.read(fd, drained, 8);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LinuxLibC.close(fd);
        }
    }
}
