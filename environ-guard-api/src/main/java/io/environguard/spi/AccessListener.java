package io.environguard.spi;

import io.environguard.api.EnvironAccess;
import io.environguard.api.LossReport;

/**
 * Where an {@link EventSource} delivers what it sees. Thread-safe: a source may call it from any
 * thread. It returns quickly (policy plus an enqueue per sink) and never throws for a well-formed access.
 */
public interface AccessListener {

    /** @param access one observed access, already resolved to reader and target */
    void onAccess(EnvironAccess access);

    /** @param loss events the source lost; batch them (one report per kernel read, say), do not report one by one */
    void onLoss(LossReport loss);

    /**
     * A hint that an access will probably follow within a fraction of a millisecond: the source has seen an open it is
     * now resolving. The listener may get ready for it (the guard's pipeline wakes its sink threads, so that their
     * wake-up overlaps the resolution instead of following it). It returns at once and never throws; an access need
     * not follow (the open may turn out to be none of the listener's business). The default does nothing.
     *
     * <pre>{@code
     * listener.accessExpected();       // on seeing a lone environ open
     * listener.onAccess(resolve(open)); // a few tens of microseconds later
     * }</pre>
     */
    default void accessExpected() {
    }
}
