package io.environguard;

import io.environguard.TestSources.ManualSourceProvider;
import io.environguard.api.AliasKind;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcessInfo;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSourceProvider;

/** A manual source for tests outside this package: a provider, and a way to report a read through it. */
public final class TestSourcesAccess {

    private final ManualSourceProvider provider = new ManualSourceProvider("manual", 1, Availability.available("test"));

    /** @return the provider to add to a builder */
    public EventSourceProvider provider() {
        return provider;
    }

    /** Reports that {@code readerPid} opened the environ of {@code targetPid}; the guard must have started. */
    public void read(int readerPid, int targetPid) {
        provider.listener.get().onAccess(EnvironAccess.builder().source("manual").path("/proc/" + targetPid + "/environ")
                .alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(readerPid).exe("/usr/bin/cat").comm("cat").uid(1000).startTime(100).build())
                .target(ProcessInfo.builder(targetPid).exe("/usr/bin/sleep").comm("sleep").uid(1000).startTime(50).build())
                .build());
    }
}
