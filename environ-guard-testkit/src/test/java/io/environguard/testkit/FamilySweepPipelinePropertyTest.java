package io.environguard.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.EnvironGuard;
import io.environguard.api.AccessOutcome;
import io.environguard.api.Alert;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.GuardStats;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.policy.PolicyConfig;
import io.environguard.sink.AlertJson;
import io.environguard.sink.AlertOcsf;
import io.environguard.sink.AlertText;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Through the real pipeline (scripted source, policy, dispatcher, recording sink), under generated lineages: a
 * family of short-lived readers sweeps as one, blamed on its parent; closing the guard delivers the sweep's end,
 * which lists every target; the stats account for every access; every format of every alert holds the lineage
 * and stays one line.
 */
class FamilySweepPipelinePropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Provide
    Arbitrary<List<Ancestor>> lineages() {
        // a parent that is neither host init nor kthreadd: lineages of two or more whose parent is not pid 1
        return ProcArbitraries.lineages().filter(l -> l.size() >= 2 && l.get(0).pid() > 2);
    }

    @Provide
    Arbitrary<Integer> readers() {
        return Arbitraries.integers().between(10, 40);
    }

    @Property(tries = 40)
    void aLoopOfShortLivedReadersIsOneSweepBlamingTheirParentAndItsEndListsEveryTarget(
            @ForAll("lineages") List<Ancestor> lineage, @ForAll("readers") int n) throws Exception {
        Instant now = Instant.now();
        List<ScriptedEventSource.Step> steps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ProcessInfo reader = ProcessInfo.builder(100_000 + i).comm("cat").exe("/usr/bin/cat").uid(0)
                    .ppid(lineage.get(0).pid()).startTime(lineage.get(0).startTime() + 1 + i).ancestors(lineage).build();
            ProcessInfo target = ProcessInfo.builder(200_000 + i).comm("svc").exe("/usr/sbin/svc").startTime(7).build();
            steps.add(ScriptedEventSource.Step.access(EnvironAccess.builder().time(now.plusMillis(i)).source("scripted")
                    .path("/proc/" + target.pid() + "/environ").alias(AliasKind.PROCESS).reader(reader).target(target)
                    .build()));
        }
        ScriptedEventSource source = ScriptedEventSource.of(steps);
        RecordingSink sink = new RecordingSink();
        EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.empty())
                .set(EnvironGuard.SOURCE, ScriptedEventSource.NAME).set(PolicyConfig.SWEEP_WINDOW, "1h")
                .set(PolicyConfig.PROTECT_SELF, "false")   // a generated pid may be this JVM's
                .addSourceProvider(source).addSink("recorder", sink).build().start();
        try {
            source.awaitReplayed(WAIT);
            sink.awaitMatching(a -> a.rule().equals(Rules.ENVIRON_SWEEP), 1, WAIT);
        } finally {
            guard.close();
        }
        List<Alert> alerts = sink.alerts();
        List<Alert> sweeps = alerts.stream().filter(a -> a.rule().equals(Rules.ENVIRON_SWEEP)).toList();
        assertEquals(1, sweeps.size());
        Alert sweep = sweeps.get(0);
        assertEquals(lineage.get(0).pid(), sweep.actor().pid());
        assertEquals(lineage.get(0).startTime(), sweep.actor().startTime());
        assertEquals(lineage.subList(1, lineage.size()), sweep.actor().ancestors());
        assertEquals(PolicyConfig.DEFAULT_SWEEP_THRESHOLD, sweep.readers().size());
        List<Alert> ends = alerts.stream().filter(a -> a.rule().equals(Rules.ENVIRON_SWEEP_ENDED)).toList();
        assertEquals(1, ends.size(), "close() ended the sweep");
        Alert end = ends.get(0);
        assertEquals(n, end.targets().size());
        assertEquals(n, end.readers().size());
        assertEquals(n, end.count());
        assertEquals(Rules.ENVIRON_SWEEP_ENDED, alerts.get(alerts.size() - 1).rule(), "the end comes last");

        GuardStats stats = guard.stats();
        assertEquals(n, stats.accesses());
        assertEquals(Map.of("alerted", 10L, "self_read", 0L, "allowed", 0L, "deduped", 0L, "folded", (long) n - 10),
                stats.outcomes());
        assertEquals(11, stats.alerts());

        for (Alert a : alerts) {
            String jsonl = AlertJson.toJson(a);
            String ocsf = new AlertOcsf("host", "1").toJson(a);
            String text = AlertText.format(a);
            for (String line : List.of(jsonl, ocsf, text)) {
                assertFalse(line.contains("\n") || line.contains("\r") || line.contains("\u2028"), line);
            }
            JsonNode reader = JSON.readTree(jsonl).get("reader");
            assertEquals(lineage.size(), reader.get("ancestors").size());
            for (int i = 0; i < lineage.size(); i++) {
                assertEquals(lineage.get(i).pid(), reader.get("ancestors").get(i).get("pid").asInt());
                assertEquals(lineage.get(i).comm(), reader.get("ancestors").get(i).get("comm").asText());
            }
            JsonNode process = JSON.readTree(ocsf).get("actor").get("process");
            assertEquals(lineage.size() + 1, process.get("lineage").size());
            JsonNode p = process;
            for (Ancestor an : lineage) {
                p = p.get("parent_process");
                assertEquals(an.pid(), p.get("pid").asInt());
            }
            assertNull(p.get("parent_process"));
            assertTrue(text.contains(" > cat[" + a.access().reader().pid() + "]") || a.actor() != null, text);
        }
    }

    @Provide
    Arbitrary<List<Ancestor>> anyLineage() {
        return ProcArbitraries.lineages();
    }

    @Property(tries = 200)
    void anAncestorRuleAllowsEveryDescendantOfItsExecutableAndNoOneElse(@ForAll("anyLineage") List<Ancestor> lineage,
                                                                        @ForAll("levels") int level) {
        Ancestor chosen = lineage.get(level % lineage.size());
        // a rule's value is trimmed: a path that ends in a space cannot be named by one
        String exe = chosen.exe() == null || !chosen.exe().equals(chosen.exe().trim()) ? "/opt/not/in/the/lineage"
                : chosen.exe();
        io.environguard.policy.Policy policy = new io.environguard.policy.Policy(PolicyConfig.builder()
                .allowAncestorExe(exe).protectSelf(false).build(), 1, pid -> exe);
        ProcessInfo reader = ProcessInfo.builder(50).exe("/usr/bin/cat").startTime(1).ppid(1).ancestors(lineage).build();
        policy.evaluate(EnvironAccess.builder().time(Instant.EPOCH).path("/proc/60/environ").reader(reader)
                .target(ProcessInfo.builder(60).build()).build());
        boolean inLineage = lineage.stream().anyMatch(a -> exe.equals(a.exe()));
        assertEquals(inLineage ? AccessOutcome.ALLOWED : AccessOutcome.ALERTED, policy.lastOutcome(),
                "the look-up (which would allow anything) is never asked for a reader with lineage");
    }

    @Provide
    Arbitrary<Integer> levels() {
        return Arbitraries.integers().between(0, 20);
    }
}
