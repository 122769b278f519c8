package io.environguard.samples.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses {@code 500ms}, {@code 60s}, {@code 5m}, {@code 2h}, {@code 1d} or ISO-8601 ({@code PT1M}): the syntax of the configuration keys. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern SIMPLE = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

    @Override
    public Duration convert(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(t);
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms": d = Duration.ofMillis(n); break;
                case "s": d = Duration.ofSeconds(n); break;
                case "m": d = Duration.ofMinutes(n); break;
                case "h": d = Duration.ofHours(n); break;
                default: d = Duration.ofDays(n);
            }
        } else {
            try {
                d = Duration.parse(text.trim());
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("expected a duration such as 500ms, 60s, 5m or 2h");
            }
        }
        if (d.isNegative() || d.isZero()) {
            throw new CommandLine.TypeConversionException("expected a positive duration");
        }
        return d;
    }
}
