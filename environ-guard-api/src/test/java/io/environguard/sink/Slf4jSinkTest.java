package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.api.Mitre;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.spi.AlertSinkProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;

class Slf4jSinkTest {

    /** Records each call as the logger received it: level, format string and arguments. */
    private static final class RecordingLogger extends AbstractLogger {
        private static final long serialVersionUID = 1L;
        final List<Object[]> calls = new ArrayList<>();

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String format, Object[] args, Throwable t) {
            calls.add(new Object[] {level, format, args == null ? List.of() : List.of(args)});
        }

        @Override public boolean isTraceEnabled() { return true; }
        @Override public boolean isTraceEnabled(Marker marker) { return true; }
        @Override public boolean isDebugEnabled() { return true; }
        @Override public boolean isDebugEnabled(Marker marker) { return true; }
        @Override public boolean isInfoEnabled() { return true; }
        @Override public boolean isInfoEnabled(Marker marker) { return true; }
        @Override public boolean isWarnEnabled() { return true; }
        @Override public boolean isWarnEnabled(Marker marker) { return true; }
        @Override public boolean isErrorEnabled() { return true; }
        @Override public boolean isErrorEnabled(Marker marker) { return true; }
    }

    @Test
    void levelFollowsSeverityAndTheTextIsAnArgumentNeverTheFormat() {
        RecordingLogger log = new RecordingLogger();
        Slf4jSinkProvider.Slf4jSink sink = new Slf4jSinkProvider.Slf4jSink(log);
        List<Level> expected = List.of(Level.INFO, Level.INFO, Level.WARN, Level.WARN, Level.ERROR);
        for (Severity severity : Severity.values()) {
            // A process name that is a format string: it must come out literally.
            Alert alert = Alert.of(SampleAlerts.access().reader(SampleAlerts.cat().toBuilder().comm("{} %s %n").build()).build(),
                    Rules.ENVIRON_READ, severity, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("r"));
            sink.publish(alert);
            Object[] call = log.calls.get(log.calls.size() - 1);
            assertEquals(expected.get(severity.ordinal()), call[0], severity.name());
            assertEquals("{}", call[1]);
            assertEquals(List.of(AlertText.format(alert)), call[2]);
        }
    }

    @Test
    void logsToTheAlertLogger() {
        assertEquals("io.environguard.alert", Slf4jSinkProvider.LOGGER_NAME);
        assertTrue(new Slf4jSinkProvider().create(GuardConfig.empty()) instanceof Slf4jSinkProvider.Slf4jSink);
        assertTrue(new Slf4jSinkProvider().enabledByDefault(GuardConfig.empty()));
    }

    @Test
    void bothBuiltInSinksAreFoundThroughServiceLoader() {
        List<String> names = ServiceLoader.load(AlertSinkProvider.class).stream()
                .map(p -> p.get().name()).sorted().collect(Collectors.toList());
        assertTrue(names.containsAll(List.of("jsonl", "slf4j")), names.toString());
    }
}
