package io.environguard.sink;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.environguard.api.Alert;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A secret that reaches an alert the way an environment value could (on a command line, as
 * {@code --password=...}, {@code TOKEN=...}, after {@code --api-key}, inside a URL) never comes out of a
 * sink. The redaction lives in {@code ProcessInfo}; this guards the whole path to the bytes written.
 */
class NoEnvironmentValueTest {

    /** Forms in which a secret shows up on command lines; {@code %s} is the secret. */
    private static final List<List<String>> LEAKS = List.of(
            List.of("mysql", "--password=%s"),
            List.of("env", "TOKEN=%s", "sh"),
            List.of("env", "AWS_SECRET_ACCESS_KEY=%s", "aws"),
            List.of("psql", "PGPASSWORD=%s"),
            List.of("curl", "--api-key", "%s", "https://example.test/"),
            List.of("git", "clone", "https://user:%s@example.test/repo.git"),
            List.of("java", "-Dapp.client-secret=%s", "-jar", "app.jar"),
            List.of("sh", "-c", "GITHUB_TOKEN=%s"));

    @Provide
    Arbitrary<String> secrets() {
        // Long and random enough that no other part of the alert contains it by chance.
        return Arbitraries.strings().alpha().numeric().ofMinLength(16).ofMaxLength(40).map(s -> "S3cr" + s);
    }

    @Provide
    Arbitrary<List<Integer>> leakForms() {
        return Arbitraries.integers().between(0, LEAKS.size() - 1).list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<Integer> shapes() {
        return Arbitraries.integers().between(0, 3);
    }

    @Property
    void noSinkOutputContainsTheSecret(@ForAll("secrets") String secret, @ForAll("leakForms") List<Integer> forms,
                                       @ForAll("shapes") int shape) throws Exception {
        List<String> cmdline = new ArrayList<>();
        for (int form : forms) {
            for (String arg : LEAKS.get(form)) {
                cmdline.add(arg.replace("%s", secret));
            }
        }
        ProcessInfo reader = ProcessInfo.builder(4242).comm("cat").exe("/usr/bin/cat").cmdline(cmdline)
                .ancestors(SampleAlerts.shellLineage()).build();
        ProcessInfo candidate = reader.toBuilder().build();
        EnvironAccess access = SampleAlerts.access().reader(reader)
                .target(ProcessInfo.builder(42).comm("sleep").cmdline(cmdline).build())
                .possibleReaders(List.of(candidate)).build();
        Alert alert;
        switch (shape) {
            case 0:
                alert = Alert.of(access, Rules.ENVIRON_READ, Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("r"));
                break;
            case 1:
                alert = new Alert(access.time(), Rules.ENVIRON_SWEEP, Severity.CRITICAL, List.of("r"),
                        Mitre.SYSTEM_INFORMATION_DISCOVERY, access, List.of(access.target(), reader), 2, Map.of());
                break;
            case 2:
                alert = Alert.of(SampleAlerts.access().reader(ProcessInfo.unknown()).possibleReaders(List.of(candidate)).build(),
                        Rules.ENVIRON_READ, Severity.MEDIUM, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of());
                break;
            default:
                // a family's sweep end: the parent and every reader carry the command line too
                ProcessInfo parent = ProcessInfo.builder(812).comm("bash").cmdline(cmdline).build();
                alert = new Alert(access.time(), Rules.ENVIRON_SWEEP_ENDED, Severity.CRITICAL, List.of("r"),
                        Mitre.SYSTEM_INFORMATION_DISCOVERY, access, List.of(access.target()), 3, Map.of(), parent,
                        List.of(reader, candidate));
        }

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new JsonlSink(bytes, false, "memory").publish(alert);
        String jsonl = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(jsonl.contains(secret), jsonl);
        assertFalse(AlertJson.toJson(alert).contains(secret));
        String text = AlertText.format(alert);
        assertFalse(text.contains(secret), text);
        String ocsf = new AlertOcsf("h", "1").toJson(alert);
        assertFalse(ocsf.contains(secret), ocsf);
    }
}
