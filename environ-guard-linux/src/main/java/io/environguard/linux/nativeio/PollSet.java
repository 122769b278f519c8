package io.environguard.linux.nativeio;

import com.sun.jna.Memory;

/**
 * A fixed set of descriptors for {@code poll(2)}, with a reused native {@code struct pollfd} array.
 * Confined to the one thread that waits.
 *
 * <pre>{@code
 * PollSet set = new PollSet(2);
 * set.watch(0, fanotifyFd, LinuxLibC.POLLIN);
 * set.watch(1, wakeup.fd(), LinuxLibC.POLLIN);
 * if (set.await(-1) > 0 && set.ready(1) != 0) { ... stop ... }
 * }</pre>
 */
public final class PollSet {

    private static final int POLLFD_SIZE = 8;

    private final Memory fds;
    private final int count;

    public PollSet(int count) {
        this.count = count;
        this.fds = new Memory((long) count * POLLFD_SIZE);
        fds.clear();
    }

    /** Watches {@code fd} in slot {@code index} for {@code events} ({@code POLLIN}, {@code POLLPRI}...). */
    public void watch(int index, int fd, short events) {
        long at = (long) index * POLLFD_SIZE;
        fds.setInt(at, fd);
        fds.setShort(at + 4, events);
        fds.setShort(at + 6, (short) 0);
    }

    /**
     * Waits until a descriptor is ready or the timeout passes.
     *
     * @param timeoutMillis {@code -1} for no timeout
     * @return the number of ready descriptors, 0 on timeout, or {@code -errno} ({@code -EINTR} is normal)
     */
    public int await(int timeoutMillis) {
        int n = LinuxLibC.poll(fds, count, timeoutMillis);
        return n < 0 ? -LinuxLibC.errno() : n;
    }

    /** The events reported for slot {@code index} by the last {@link #await}. */
    public short ready(int index) {
        return fds.getShort((long) index * POLLFD_SIZE + 6);
    }
}
