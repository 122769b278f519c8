package io.environguard.sink;

import io.environguard.api.AccessKind;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.Mitre;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Fixed alerts for example-based tests: cat (4242) reads the environ of sleep (42). */
final class SampleAlerts {

    static final Instant TIME = Instant.parse("2025-01-02T03:04:05.123Z");

    private SampleAlerts() {
    }

    static ProcessInfo cat() {
        return ProcessInfo.builder(4242).tid(4243).ppid(1).uid(1000).gid(1000).comm("cat").exe("/usr/bin/cat")
                .cmdline(List.of("cat", "/proc/42/environ")).startTime(777).build();
    }

    static ProcessInfo sleep() {
        return ProcessInfo.builder(42).uid(1000).comm("sleep").exe("/usr/bin/sleep").containerId("c0ffee").build();
    }

    /** bash (812) started by sshd (400) started by systemd (1). */
    static List<Ancestor> shellLineage() {
        return List.of(new Ancestor(812, 90210, "bash", "/usr/bin/bash"),
                new Ancestor(400, 3000, "sshd", "/usr/sbin/sshd"),
                new Ancestor(1, 1, "systemd", "/usr/lib/systemd/systemd"));
    }

    /** A cat started by the shell of {@link #shellLineage()}. */
    static ProcessInfo catOfShell(int pid) {
        return ProcessInfo.builder(pid).tid(pid).ppid(812).uid(0).comm("cat").exe("/usr/bin/cat")
                .startTime(90300 + pid).ancestors(shellLineage()).build();
    }

    static EnvironAccess.Builder access() {
        return EnvironAccess.builder().time(TIME).source("fanotify").kind(AccessKind.OPEN).path("/proc/42/environ")
                .alias(AliasKind.PROCESS).reader(cat()).target(sleep());
    }

    static Alert single() {
        return Alert.of(access().build(), Rules.ENVIRON_READ, Severity.HIGH, Mitre.SYSTEM_INFORMATION_DISCOVERY,
                List.of("no allow rule matches", "second reason"));
    }

    static Alert sweep(int targets) {
        List<ProcessInfo> all = new java.util.ArrayList<>();
        for (int i = 0; i < targets; i++) {
            all.add(ProcessInfo.builder(100 + i).build());
        }
        return new Alert(TIME, Rules.ENVIRON_SWEEP, Severity.CRITICAL, List.of("one reader, many targets"),
                Mitre.SYSTEM_INFORMATION_DISCOVERY, access().build(), all, targets + 2L, Map.of());
    }

    /** A shell loop: {@code readers} cats under bash reading one target each; the sweep blames bash. */
    static Alert familySweep(String rule, int readers) {
        List<ProcessInfo> cats = new java.util.ArrayList<>();
        List<ProcessInfo> targets = new java.util.ArrayList<>();
        for (int i = 0; i < readers; i++) {
            cats.add(catOfShell(901 + i));
            targets.add(ProcessInfo.builder(100 + i).startTime(50).build());
        }
        ProcessInfo bash = ProcessInfo.builder(812).startTime(90210).comm("bash").exe("/usr/bin/bash").ppid(400)
                .ancestors(shellLineage().subList(1, 3)).complete(false).build();
        return new Alert(TIME, rule, Severity.CRITICAL, List.of("a family of readers"), Mitre.SYSTEM_INFORMATION_DISCOVERY,
                access().reader(cats.get(cats.size() - 1)).path("/proc/" + (99 + readers) + "/environ").build(),
                targets, readers, Map.of(), bash, cats);
    }

    static Alert lost() {
        return new Alert(TIME, Rules.EVENTS_LOST, Severity.HIGH, List.of("events may have been missed"), null, null,
                List.of(), 17, Map.of("target_exited", 5L, "queue_overflow", 12L));
    }
}
