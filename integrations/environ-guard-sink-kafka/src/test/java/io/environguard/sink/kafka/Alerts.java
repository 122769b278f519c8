package io.environguard.sink.kafka;

import io.environguard.EnvironGuard;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.SinkStats;
import io.environguard.testkit.ScriptedEventSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/** Accesses for the scripted source, and waits on a guard's sink counters. */
final class Alerts {

    private Alerts() {
    }

    /**
     * {@code cat} (pid {@code readerPid}, start time {@code readerPid * 10}) opening {@code /proc/<targetPid>/environ}.
     * Each reader has a parent of its own ({@code readerPid + 100000}), so that readers are never one family whose
     * reads the policy folds into a family sweep.
     */
    static EnvironAccess read(int readerPid, int targetPid) {
        int parent = readerPid + 100_000;
        return EnvironAccess.builder()
                .time(Instant.parse("2026-12-03T10:00:00.123456789Z").plusMillis(readerPid))
                .source(ScriptedEventSource.NAME)
                .path("/proc/" + targetPid + "/environ")
                .alias(AliasKind.PROCESS)
                .reader(ProcessInfo.builder(readerPid).tid(readerPid).ppid(parent).uid(1000).gid(1000).comm("cat")
                        .exe("/usr/bin/cat").cmdline(List.of("cat", "/proc/" + targetPid + "/environ"))
                        .startTime(readerPid * 10L)
                        .ancestors(List.of(new Ancestor(parent, parent * 10L, "bash", "/usr/bin/bash"))).build())
                .target(ProcessInfo.builder(targetPid).uid(1000).comm("sleep").exe("/usr/bin/sleep")
                        .containerId("3f2a9c1b7d4e").startTime(5).build())
                .build();
    }

    /** As {@link #read}, of {@code /proc/<targetPid>/mem}. */
    static EnvironAccess memRead(int readerPid, int targetPid) {
        EnvironAccess r = read(readerPid, targetPid);
        return EnvironAccess.builder().time(r.time()).source(r.source()).path("/proc/" + targetPid + "/mem")
                .file(ProcFile.MEM).alias(AliasKind.PROCESS).reader(r.reader()).target(r.target()).build();
    }

    static SinkStats sinkStats(EnvironGuard guard, String sink) {
        return guard.stats().sinks().stream().filter(s -> s.sink().equals(sink)).findFirst()
                .orElseThrow(() -> new AssertionError("no sink " + sink + " in " + guard.stats().sinks()));
    }

    static SinkStats awaitSinkStats(EnvironGuard guard, String sink, Predicate<SinkStats> condition, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SinkStats s = sinkStats(guard, sink);
            if (condition.test(s)) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("sink " + sink + " stats never matched within " + timeout + ": " + s);
            }
            Thread.sleep(20);
        }
    }

    static long total(SinkStats s) {
        return s.delivered() + s.dropped() + s.failed() + s.undelivered();
    }
}
