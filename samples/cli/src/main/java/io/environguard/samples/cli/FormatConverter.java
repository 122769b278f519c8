package io.environguard.samples.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Reads {@code text}, {@code jsonl} or {@code ocsf} (any case), with an error that lists them in the same spelling. */
final class FormatConverter implements CommandLine.ITypeConverter<OutputFormat> {
    @Override
    public OutputFormat convert(String value) {
        for (OutputFormat f : OutputFormat.values()) {
            if (f.id().equals(value.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new CommandLine.TypeConversionException("expected text, jsonl or ocsf");
    }
}
