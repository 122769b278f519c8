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
}
