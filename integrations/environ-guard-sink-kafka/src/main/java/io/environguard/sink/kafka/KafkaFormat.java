package io.environguard.sink.kafka;

import java.util.Locale;

/** What a record's value holds: the {@code jsonl} sink's JSON object, or an OCSF event. */
public enum KafkaFormat {
    /** {@link io.environguard.sink.AlertJson}: one JSON object, the {@code jsonl} sink's line. */
    JSONL,
    /** {@link io.environguard.sink.AlertOcsf}: one OCSF 1.3.0 event. */
    OCSF;

    /** @return the lower-case name used in configuration and in the {@code environguard.format} header: {@code jsonl}, {@code ocsf} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code jsonl} or {@code ocsf}; the error names the key and the choices, never the value. */
    static KafkaFormat parse(String key, String text) {
        for (KafkaFormat f : values()) {
            if (f.id().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IllegalArgumentException(key + ": expected jsonl or ocsf");
    }
}
