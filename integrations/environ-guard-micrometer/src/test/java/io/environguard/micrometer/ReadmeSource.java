package io.environguard.micrometer;

import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.ProcessInfo;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import io.environguard.testkit.ScriptedEventSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The only source this module's tests can discover through {@link java.util.ServiceLoader} (the Linux module is not
 * on their class path): it replays one read, so that the README's example, which adds no source, runs as written.
 */
public final class ReadmeSource implements EventSourceProvider {

    /** Each script a guard started, for the test to wait on. */
    static final List<ScriptedEventSource> STARTED = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
        return "readme-script";
    }

    @Override
    public int priority() {
        return 1;
    }

    @Override
    public Availability availability() {
        return Availability.available("replays one read");
    }

    @Override
    public EventSource create(GuardConfig config) {
        ScriptedEventSource script = ScriptedEventSource.ofAccesses(List.of(EnvironAccess.builder().source(name())
                .path("/proc/42/environ").alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(4242).exe("/usr/bin/cat").startTime(7).build())
                .target(ProcessInfo.builder(42).exe("/usr/bin/sleep").startTime(3).build())
                .build()));
        STARTED.add(script);
        return script.create(config);
    }
}
