package io.environguard.spi;

import io.environguard.api.Alert;

/**
 * Receives alerts. The guard calls {@link #publish} from one thread dedicated to this sink, so an
 * implementation need not be thread-safe; a sink that blocks or throws delays or loses only its own alerts.
 */
public interface AlertSink extends AutoCloseable {

    /**
     * Delivers one alert.
     *
     * @param alert the alert
     * @throws Exception to have the alert counted as failed
     */
    void publish(Alert alert) throws Exception;

    /** Releases resources; called once, after the last {@link #publish}. */
    @Override
    default void close() throws Exception {
    }
}
