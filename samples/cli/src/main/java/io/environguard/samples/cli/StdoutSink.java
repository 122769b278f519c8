package io.environguard.samples.cli;

import io.environguard.api.Alert;
import io.environguard.spi.AlertSink;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Writes each alert as one line on the monitor's stdout, flushed at once so that a reader of the pipe sees it
 * without delay. Not {@link System#out}: a {@link java.io.PrintStream} swallows write errors, and a closed pipe
 * (the reader exited) must stop the monitor instead of going unnoticed.
 */
final class StdoutSink implements AlertSink {

    private final Function<Alert, String> format;
    private final Writer out;
    private final Consumer<IOException> onBroken;
    private boolean broken;

    /**
     * @param format   one alert to one line, without a line break
     * @param out      where lines go (the process's stdout)
     * @param onBroken told once, when writing fails
     */
    StdoutSink(Function<Alert, String> format, OutputStream out, Consumer<IOException> onBroken) {
        this.format = format;
        this.out = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 8192);
        this.onBroken = onBroken;
    }

    @Override
    public void publish(Alert alert) throws IOException {
        String line = format.apply(alert);
        try {
            out.write(line);
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            if (!broken) {
                broken = true;
                onBroken.accept(e);
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (!broken) {
            out.flush();
        }
    }
}
