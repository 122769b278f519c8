package io.environguard.sink;

import io.environguard.EnvironGuard;
import io.environguard.TestSourcesAccess;
import io.environguard.api.GuardConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs in a class loader that has no SLF4J backend (see {@link Slf4jNoBackendTest}): starts a guard whose only sink
 * is {@code slf4j}, feeds it three accesses, closes it, and returns what was written to standard error meanwhile.
 */
public final class NoBackendProbe {

    private NoBackendProbe() {
    }

    /** @return standard error of one guard's start, three alerts and close */
    public static String run() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            TestSourcesAccess source = new TestSourcesAccess();
            try (EnvironGuard guard = EnvironGuard.builder()
                    .config(GuardConfig.of(Map.of("environguard.sinks", "slf4j", "environguard.policy.protect.self", "false")))
                    .addSourceProvider(source.provider()).build().start()) {
                for (int i = 1; i <= 3; i++) {
                    source.read(4240 + i, 40 + i);
                }
            }
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
