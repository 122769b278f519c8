package io.environguard.spi;

import java.util.Objects;

/**
 * Whether an event source can run here, and if not, exactly why: the missing capability, kernel
 * feature or operating system, and what to do instead.
 *
 * @param available whether {@code create(...).start(...)} is expected to work
 * @param detail    when available: what it will cover, or what is degraded; when not: why, naming the
 *                  capability or feature and the fallback (e.g. "needs CAP_SYS_ADMIN; the procfs source
 *                  runs without it")
 */
public record Availability(boolean available, String detail) {
    /**
     * Checks that there is a detail.
     *
     * @param available whether the source can run
     * @param detail    what it covers, or why it cannot run
     */
    public Availability {
        Objects.requireNonNull(detail, "detail");
    }

    /**
     * @param detail what the source will cover, or what is degraded
     * @return an availability that says yes
     */
    public static Availability available(String detail) {
        return new Availability(true, detail);
    }

    /**
     * @param reason why not, naming the capability or feature and the fallback
     * @return an availability that says no
     */
    public static Availability unavailable(String reason) {
        return new Availability(false, reason);
    }
}
