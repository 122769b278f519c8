package io.environguard.sink;

import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code slf4j} sink: logs each alert as one line ({@link AlertText}) to the logger
 * {@value #LOGGER_NAME}, at ERROR for critical, WARN for high and medium, INFO for low and info alerts.
 * It runs by default; route or silence it with your logging configuration.
 *
 * <pre>{@code
 * // logback.xml: send alerts to their own file
 * // <logger name="io.environguard.alert" additivity="false"><appender-ref ref="ALERTS"/></logger>
 * }</pre>
 */
public final class Slf4jSinkProvider implements AlertSinkProvider {

    /** The sink's name in {@code environguard.sinks}. */
    public static final String NAME = "slf4j";
    /** The logger alerts go to. */
    public static final String LOGGER_NAME = "io.environguard.alert";

    @Override
    public String name() {
        return NAME;
    }

    /** Without an SLF4J backend, says so once on standard error (alerts would be discarded) and points to jsonl. */
    @Override
    public AlertSink create(GuardConfig config) {
        Slf4jBackend.warnIfMissing(System.err);
        return new Slf4jSink(LoggerFactory.getLogger(LOGGER_NAME));
    }

    /** Always: alerts reach the application's log unless {@code environguard.sinks} says otherwise. */
    @Override
    public boolean enabledByDefault(GuardConfig config) {
        return true;
    }

    /** Logs alerts; the text is always an argument, never part of the format string. */
    static final class Slf4jSink implements AlertSink {
        private final Logger log;

        Slf4jSink(Logger log) {
            this.log = log;
        }

        @Override
        public void publish(Alert alert) {
            switch (alert.severity()) {
                case CRITICAL:
                    if (log.isErrorEnabled()) {
                        log.error("{}", AlertText.format(alert));
                    }
                    break;
                case HIGH:
                case MEDIUM:
                    if (log.isWarnEnabled()) {
                        log.warn("{}", AlertText.format(alert));
                    }
                    break;
                default:
                    if (log.isInfoEnabled()) {
                        log.info("{}", AlertText.format(alert));
                    }
            }
        }

        /** Nothing to release: the logging framework owns its appenders. */
        @Override
        public void close() {
        }
    }
}
