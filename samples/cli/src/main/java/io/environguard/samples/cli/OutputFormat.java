package io.environguard.samples.cli;

import io.environguard.api.Alert;
import io.environguard.sink.AlertJson;
import io.environguard.sink.AlertOcsf;
import io.environguard.sink.AlertText;
import java.util.Locale;
import java.util.function.Function;

/** How the host monitor writes each alert on stdout: always one line per alert. */
enum OutputFormat {
    /** A short line for a person: who read whose environ, through which path, and why it matters. */
    TEXT,
    /** One JSON object per line ({@link AlertJson}), the contract of DESIGN.md. */
    JSONL,
    /** One OCSF event per line ({@link AlertOcsf}), for a SIEM. */
    OCSF;

    /** The name on the command line. */
    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The formatter for this format; {@code hostname} and {@code version} fill OCSF's device and product. */
    Function<Alert, String> formatter(String hostname, String version) {
        switch (this) {
            case JSONL:
                return AlertJson::toJson;
            case OCSF:
                AlertOcsf ocsf = new AlertOcsf(hostname, version);
                return ocsf::toJson;
            default:
                return AlertText::format;
        }
    }
}
