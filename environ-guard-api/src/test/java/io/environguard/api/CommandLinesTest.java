package io.environguard.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class CommandLinesTest {

    @Provide
    Arbitrary<String> secretKeys() {
        return Arbitraries.of("--password", "--db-password", "-passwd", "token", "--api-key", "AWS_SECRET_ACCESS_KEY",
                "GITHUB_TOKEN", "--client-secret", "PGPASSWORD", "--auth-token", "private_key", "x-Api_Key");
    }

    @Provide
    Arbitrary<String> secretValues() {
        return Arbitraries.strings().withCharRange('!', '~').ofMinLength(6).ofMaxLength(40)
                .filter(v -> !v.contains("=") && !v.contains("*") && !v.startsWith("-"));
    }

    @Property
    void aKeyValueSecretNeverSurvives(@ForAll("secretKeys") String key, @ForAll("secretValues") String value,
                                      @ForAll @Size(max = 5) List<@net.jqwik.api.constraints.AlphaChars String> others) {
        List<String> args = new ArrayList<>(others);
        args.add(key + "=" + value);
        List<String> out = CommandLines.redact(args);
        assertFalse(String.join(" ", out).contains(value), out::toString);
        assertTrue(out.contains(key + "=" + CommandLines.MASK));
    }

    @Property
    void theValueAfterASecretFlagNeverSurvives(@ForAll("secretKeys") String key, @ForAll("secretValues") String value) {
        String flag = key.startsWith("-") ? key : "--" + key;
        List<String> out = CommandLines.redact(List.of("mysql", flag, value, "db"));
        assertEquals(List.of("mysql", flag, CommandLines.MASK, "db"), out);
    }

    @Property
    void redactionIsIdempotent(@ForAll @Size(max = 64) List<String> args) {
        List<String> once = CommandLines.redact(args);
        // A list redact returned comes back as it is; a copy of it (it lost the mark) is redacted to the same.
        org.junit.jupiter.api.Assertions.assertSame(once, CommandLines.redact(once));
        assertEquals(once, CommandLines.redact(new java.util.ArrayList<>(once)));
    }

    @Example
    void aRedactedListIsUnmodifiable() {
        List<String> out = CommandLines.redact(List.of("mysql", "--password=hunter2"));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> out.set(1, "x"));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> out.add("x"));
        assertEquals(List.of("mysql", "--password=***"), out);
    }

    @Property
    void outputIsCapped(@ForAll @Size(max = 200) List<String> args) {
        List<String> out = CommandLines.redact(args);
        assertTrue(out.size() <= CommandLines.MAX_ARGS + 1);
        out.forEach(a -> assertTrue(a.length() <= CommandLines.MAX_ARG_CHARS + 1));
        if (args.size() > CommandLines.MAX_ARGS) {
            assertEquals("…(" + (args.size() - CommandLines.MAX_ARGS) + " more)", out.get(out.size() - 1));
        }
    }

    @Example
    void urlPasswordsAreMasked() {
        assertEquals(List.of("psql", "postgres://app:***@db:5432/app"),
                CommandLines.redact(List.of("psql", "postgres://app:hunter2@db:5432/app")));
    }

    @Example
    void ordinaryArgumentsAreKept() {
        List<String> args = List.of("cat", "/proc/42/environ", "--color=auto", "-n");
        assertEquals(args, CommandLines.redact(args));
    }
}
