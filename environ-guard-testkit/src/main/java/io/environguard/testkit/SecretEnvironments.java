package io.environguard.testkit;

import io.environguard.api.Alert;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Environments (name to secret value) and alerts that carry their values where a careless sink could leak them:
 * on the reader's, the target's, the candidates' and a sweep's readers' command lines, in every form a secret
 * takes there ({@code --password=}, {@code NAME=value}, {@code --api-key value}, URL user info, {@code -D...secret=}).
 * What the guard promises is that none of them reaches a sink's output: a sink plugin's property test feeds these
 * alerts through the sink and looks for every value in what it wrote.
 *
 * <pre>{@code
 * // the body of a jqwik property over SecretEnvironments.environments() and a shape from 0 to 5
 * for (Alert a : SecretEnvironments.alertsCarrying(env, shape)) {
 *     String out = mySink.render(a);
 *     env.values().forEach(v -> assertFalse(out.contains(v)));
 * }
 * }</pre>
 */
public final class SecretEnvironments {

    /** Names whose values are secrets by their look; the generator adds prefixes to them. */
    private static final List<String> SECRET_NAMES = List.of("PASSWORD", "DB_PASSWORD", "API_TOKEN", "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY", "STRIPE_SECRET_KEY", "SESSION_COOKIE", "OAUTH_CLIENT_SECRET", "PGPASSWORD",
            "PRIVATE_KEY", "BEARER", "SLACK_API_KEY");

    private SecretEnvironments() {
    }

    /**
     * One to six variables; each value is long and random enough that no other part of an alert holds it by chance.
     * No {@code /}: in a URL's user info it would have to be percent-encoded, so a raw one is not a password there.
     *
     * @return environments of secret-looking names (e.g. {@code DB_PASSWORD}, {@code X_API_TOKEN}) to values
     *         starting {@code S3cr}
     */
    public static Arbitrary<Map<String, String>> environments() {
        Arbitrary<String> names = Combinators.combine(
                        Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(0).ofMaxLength(6),
                        Arbitraries.of(SECRET_NAMES))
                .as((prefix, name) -> prefix.isEmpty() ? name : prefix + "_" + name);
        Arbitrary<String> values = Arbitraries.strings().alpha().numeric().withChars("+_.~")
                .ofMinLength(12).ofMaxLength(40).map(v -> "S3cr" + v);
        return Arbitraries.maps(names, values).ofMinSize(1).ofMaxSize(6);
    }

    /**
     * A command line that passes every variable of {@code env} in one of the forms secrets take on command lines.
     *
     * @param program the first argument
     * @param env     the variables to pass
     * @param shape   which form the first variable takes (the next ones take the following forms, cyclically)
     * @return {@code program}, the variables, then {@code /proc/42/environ}
     */
    public static List<String> commandLine(String program, Map<String, String> env, int shape) {
        List<String> args = new ArrayList<>();
        args.add(program);
        int i = shape;
        for (Map.Entry<String, String> e : env.entrySet()) {
            switch (i++ % 6) {
                case 0 -> args.add(e.getKey() + "=" + e.getValue());
                case 1 -> args.add("--password=" + e.getValue());
                case 2 -> {
                    args.add("--api-key");
                    args.add(e.getValue());
                }
                case 3 -> args.add("https://deploy:" + e.getValue() + "@git.example.test/repo.git");
                case 4 -> args.add("-Dapp." + e.getKey().toLowerCase(java.util.Locale.ROOT) + "=" + e.getValue());
                default -> args.add("--" + e.getKey().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + "=" + e.getValue());
            }
        }
        args.add("/proc/42/environ");
        return args;
    }

    /**
     * A single read, a family sweep (with readers and an actor) and a read by a hidden reader, all carrying
     * {@code env} on every command line they hold.
     *
     * @param env   the variables whose values must never reach a sink's output
     * @param shape the form of the first variable on each command line (see {@link #commandLine})
     * @return three alerts
     */
    public static List<Alert> alertsCarrying(Map<String, String> env, int shape) {
        ProcessInfo reader = ProcessInfo.builder(4242).tid(4242).ppid(812).uid(1000).comm("cat").exe("/usr/bin/cat")
                .cmdline(commandLine("cat", env, shape)).startTime(777)
                .ancestors(List.of(new Ancestor(812, 9, "bash", "/usr/bin/bash"))).build();
        ProcessInfo target = ProcessInfo.builder(42).uid(1000).comm("app").exe("/srv/app")
                .cmdline(commandLine("app", env, shape + 1)).startTime(5).build();
        ProcessInfo sibling = reader.toBuilder().cmdline(commandLine("cat", env, shape + 2)).build();
        ProcessInfo actor = ProcessInfo.builder(812).comm("bash").exe("/usr/bin/bash")
                .cmdline(commandLine("bash", env, shape + 3)).startTime(9).build();
        EnvironAccess access = EnvironAccess.builder().time(Instant.parse("2026-12-03T10:00:00Z")).source("test")
                .path("/proc/42/environ").reader(reader).target(target).build();
        EnvironAccess hidden = EnvironAccess.builder().time(access.time()).source("test").path("/proc/42/environ")
                .reader(ProcessInfo.unknown()).target(target).possibleReaders(List.of(sibling)).build();
        return List.of(
                Alert.of(access, Rules.ENVIRON_READ, Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of("r")),
                new Alert(access.time(), Rules.ENVIRON_SWEEP, Severity.CRITICAL, List.of("sweep"),
                        Mitre.SYSTEM_INFORMATION_DISCOVERY, access, List.of(target), 3, Map.of(), actor, List.of(reader, sibling)),
                Alert.of(hidden, Rules.PROTECTED_TARGET, Severity.CRITICAL, Mitre.SYSTEM_INFORMATION_DISCOVERY, List.of()));
    }
}
