package io.environguard.sink;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code jsonl} sink: one JSON object per alert per line ({@link AlertJson}), written to standard
 * output or appended to a file, each line handed to the operating system as soon as it is written.
 *
 * <p>Configuration: {@value #PATH_KEY} is {@code -} (standard output, the default) or a file path. A new
 * file is created with mode {@code 0600}; an existing file is appended to, with a warning if group or
 * others may access it (alerts name users, processes and command lines). Closing the sink closes the
 * file, never standard output. The sink runs by default when {@value #PATH_KEY} is set.
 *
 * <pre>{@code
 * GuardConfig config = GuardConfig.builder()
 *         .set("environguard.sinks", "slf4j,jsonl")
 *         .set(JsonlSinkProvider.PATH_KEY, "/var/log/environ-guard/alerts.jsonl")
 *         .build();
 * }</pre>
 */
public final class JsonlSinkProvider implements AlertSinkProvider {

    /** The sink's name in {@code environguard.sinks}. */
    public static final String NAME = "jsonl";
    /** Where alerts go: {@code -} for standard output, or a file path. */
    public static final String PATH_KEY = "environguard.sink.jsonl.path";
    /** The {@value #PATH_KEY} value meaning standard output. */
    public static final String STDOUT = "-";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public AlertSink create(GuardConfig config) throws IOException {
        String value = config.getString(PATH_KEY, STDOUT).trim();
        if (value.equals(STDOUT)) {
            return JsonlSink.toStandardOutput(System.out);
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException("configuration key " + PATH_KEY + ": expected a file path or - for standard output");
        }
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("configuration key " + PATH_KEY + ": expected a valid file path", e);
        }
        return JsonlSink.appendingTo(path);
    }

    /** {@value #PATH_KEY}. */
    @Override
    public List<ConfigKey> keys() {
        return List.of(ConfigKey.of(PATH_KEY, STDOUT, "- for standard output, or a file to append to (created with mode 0600)"));
    }

    /** When {@value #PATH_KEY} is set: naming a destination is asking for the sink. */
    @Override
    public boolean enabledByDefault(GuardConfig config) {
        return config.contains(PATH_KEY);
    }
}
