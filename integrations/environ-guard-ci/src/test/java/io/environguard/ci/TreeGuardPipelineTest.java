package io.environguard.ci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.environguard.api.AliasKind;
import io.environguard.api.Ancestor;
import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.ProcFile;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.testkit.ScriptedEventSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.maven.plugin.surefire.log.api.NullConsoleLogger;
import org.apache.maven.plugins.surefire.report.ReportTestCase;
import org.apache.maven.plugins.surefire.report.ReportTestSuite;
import org.apache.maven.plugins.surefire.report.TestSuiteXmlParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The judge through the real pipeline (policy, dispatcher, the judge's sink), fed by a scripted source whose accesses
 * carry lineage as the kernel-fed process table gives it. The guard runs in this JVM; the tree's root is a real child
 * ({@code sleep}); the processes above are this JVM's real ancestors; readers are made up around them.
 */
class TreeGuardPipelineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Process child;
    private final List<Finding> live = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startRoot() throws IOException {
        child = new ProcessBuilder("sleep", "60").start();
    }

    @AfterEach
    void stopRoot() throws InterruptedException {
        child.destroy();
        child.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void readsByTheTreeAreFindingsAndTheRestIsNot() throws Exception {
        ProcLineage proc = new ProcLineage(Path.of("/proc"));
        ProcessId self = proc.idOf(ProcessHandle.current().pid());
        List<GuardedProcess> above = proc.above(ProcessHandle.current().pid());
        assertFalse(above.isEmpty(), "this JVM has a parent");
        GuardedProcess parent = above.get(0);

        // Before the tree is known: an outsider's read and a loss wait for it, then are judged.
        ProcessInfo earlyOutsider = reader(900_001, "cat", "/usr/bin/cat", List.of(), lineage(self, above));
        ScriptedEventSource source = ScriptedEventSource.of(List.of(
                ScriptedEventSource.Step.access(read(earlyOutsider, target(parent), ProcFile.ENVIRON)),
                ScriptedEventSource.Step.loss(new LossReport("target_exited", 3, "test"))));
        TreeGuard guard = startGuard(source);
        RunVerdict verdict;
        CommandTree tree;
        try {
            assertEquals(GuardMode.OTHER, guard.mode());
            source.awaitReplayed(Duration.ofSeconds(10));
            tree = guard.rootIs(child.pid());
            ProcessId root = tree.root();
            assertTrue(root.hasStartTime(), "the root's start time was read");

            List<Ancestor> underRoot = new ArrayList<>();
            underRoot.add(new Ancestor(910_000, 1, "sh", "/usr/bin/dash"));       // the command's child shell
            underRoot.add(new Ancestor(root.pid(), root.startTime(), "sleep", "/usr/bin/sleep"));
            underRoot.addAll(lineage(self, above));
            ProcessInfo grandchild = reader(910_001, "cat", "/usr/bin/cat", List.of("cat", "/proc/x/environ"), underRoot);
            ProcessInfo python = reader(910_002, "python3", "/usr/bin/python3.11", List.of("python3", "dump.py"), underRoot);
            ProcessInfo psAux = reader(910_003, "ps", "/usr/bin/ps", List.of("ps", "aux"), underRoot);
            ProcessInfo psEww = reader(910_004, "ps", "/usr/bin/ps", List.of("ps", "eww"), underRoot);
            ProcessInfo outsider = reader(910_005, "cat", "/usr/bin/cat", List.of(), lineage(self, above));
            List<Ancestor> impostorLineage = List.of(new Ancestor(root.pid(), root.startTime() + 100, "sleep", null),
                    new Ancestor(1, 0, "systemd", "/usr/lib/systemd/systemd"));
            ProcessInfo impostor = reader(910_006, "cat", "/usr/bin/cat", List.of(), impostorLineage);
            ProcessInfo other = ProcessInfo.builder(910_100).comm("postgres").exe("/usr/lib/postgresql/bin/postgres")
                    .startTime(50).build();
            ProcessInfo reusedParentPid = ProcessInfo.builder(parent.id().pid()).comm("later").exe("/usr/bin/later")
                    .startTime(parent.id().startTime() + 100).build();

            source.emit(read(grandchild, target(parent), ProcFile.ENVIRON));          // 1 ancestor read
            source.emit(read(python, selfTarget(self), ProcFile.MEM));                // 2 ancestor read: the guard's mem
            source.emit(read(psAux, target(parent), ProcFile.ENVIRON));               // - ordinary ps
            source.emit(read(psEww, target(parent), ProcFile.ENVIRON));               // 3 ps eww prints environments
            source.emit(read(grandchild, other, ProcFile.ENVIRON));                   // 4 the tree reads another process
            source.emit(read(outsider, target(parent), ProcFile.ENVIRON));            // - not the tree's
            source.emit(read(impostor, target(parent), ProcFile.ENVIRON));            // - pid reuse of the root
            source.emit(EnvironAccess.builder().source("test").path("/proc/" + parent.id().pid() + "/environ")
                    .alias(AliasKind.PROCESS).reader(ProcessInfo.unknown()).target(target(parent))
                    .possibleReaders(List.of(grandchild, outsider)).build());      // 5 unnamed reader
            source.emit(read(python, reusedParentPid, ProcFile.ENVIRON));             // 6 a later process, not the parent
            verdict = guard.finish();
        } finally {
            guard.close();
        }

        List<Finding> findings = verdict.findings();
        assertEquals(List.of(FindingKind.ANCESTOR_READ, FindingKind.ANCESTOR_READ, FindingKind.ANCESTOR_READ,
                FindingKind.TREE_READ, FindingKind.UNATTRIBUTED_READ, FindingKind.TREE_READ),
                findings.stream().map(Finding::kind).toList(), () -> findings.toString());
        assertEquals(findings, List.copyOf(live), "each finding was told as it was made");
        assertTrue(verdict.failed());
        assertEquals(0, verdict.judgeMissed());

        Finding first = findings.get(0);
        assertEquals(Rules.PROTECTED_TARGET, first.alert().rule());
        assertEquals(Severity.CRITICAL, first.alert().severity());
        assertEquals(parent, first.target());
        assertEquals(910_001, first.reader().pid());
        assertEquals(self, findings.get(1).target().id(), "the guard's own mem");
        assertEquals(ProcFile.MEM, findings.get(1).alert().access().file());
        assertEquals(910_004, findings.get(2).reader().pid());
        assertNull(findings.get(3).target());
        assertEquals(List.of(910_001), findings.get(4).possibleReaders().stream().map(ProcessInfo::pid).toList(),
                "only the possible readers of the tree are named");
        assertNull(findings.get(5).target(), "a process that reused the parent's pid is not the parent");

        RunJudge.Tally t = verdict.tally();
        assertEquals(3, t.outsideCount(), "the early outsider, the outsider and the impostor");
        assertEquals(1, t.knownReaderCount(), "ps aux");
        assertEquals(Map.of("target_exited", 3L), t.lost());

        // The text report names the reader's lineage, marking the command and the guard.
        List<String> lines = Reports.findingLines(first, 1, findings.size(), tree, "the command");
        String text = String.join("\n", lines);
        assertTrue(text.contains("lineage:  cat[910001] <- sh[910000] <- sleep[" + tree.root().pid() + "] (the command) <- "
                + "?[" + self.pid() + "] (the guard)") || text.contains("(the command) <- java[" + self.pid() + "] (the guard)"), text);
        assertTrue(text.contains("target:   "), text);
        assertTrue(text.contains("a process above the command"), text);
        assertTrue(text.contains("file:     environ /proc/" + parent.id().pid() + "/environ"), text);
        assertTrue(lines.get(0).contains("CRITICAL environ_read_protected_target at "), lines.get(0));
        List<String> summary = Reports.summary(verdict, "the command");
        assertTrue(summary.get(0).startsWith("6 findings"), summary.toString());
        assertTrue(summary.stream().anyMatch(l -> l.startsWith("3 event(s) lost (target_exited 3)")), summary.toString());
        assertTrue(summary.stream().anyMatch(l -> l.contains("3 alert(s) of readers outside the tree")), summary.toString());

        // JUnit XML: Maven's own report parser reads one failed test case per finding.
        Path xml = tmp.resolve("reports/TEST-environ-guard.xml");
        JUnitReport.write(xml, verdict, "the command", Duration.ofMillis(1234));
        List<ReportTestSuite> suites = new TestSuiteXmlParser(new NullConsoleLogger()).parse(xml.toString());
        assertEquals(1, suites.size());
        List<ReportTestCase> cases = suites.get(0).getTestCases();
        assertEquals(6, cases.size());
        assertTrue(cases.stream().allMatch(ReportTestCase::hasFailure));
        assertEquals(Rules.PROTECTED_TARGET, cases.get(0).getFailureType());
        assertTrue(cases.get(0).getFailureDetail().contains("lineage:"), cases.get(0).getFailureDetail());
        assertEquals(6, suites.get(0).getNumberOfFailures());
        // ... and the attributes Jenkins and GitLab count on
        Element suite = parse(xml).getDocumentElement();
        assertEquals("testsuite", suite.getTagName());
        assertEquals("6", suite.getAttribute("tests"));
        assertEquals("6", suite.getAttribute("failures"));
        assertEquals("0", suite.getAttribute("errors"));
        assertEquals("1.234", suite.getAttribute("time"));
        NodeList testcases = suite.getElementsByTagName("testcase");
        for (int i = 0; i < testcases.getLength(); i++) {
            Element tc = (Element) testcases.item(i);
            assertEquals(JUnitReport.SUITE, tc.getAttribute("classname"));
            assertFalse(tc.getAttribute("name").isEmpty());
            assertEquals(1, tc.getElementsByTagName("failure").getLength());
        }

        // JSON lines: the jsonl alert format, one line per finding.
        Path jsonl = tmp.resolve("findings.jsonl");
        try (JsonlFindings out = JsonlFindings.create(jsonl)) {
            findings.forEach(out::write);
        }
        List<String> jsonLines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
        assertEquals(6, jsonLines.size());
        JsonNode j = JSON.readTree(jsonLines.get(0));
        assertEquals(Rules.PROTECTED_TARGET, j.get("rule").asText());
        assertEquals(910_001, j.get("reader").get("pid").asInt());
        assertEquals(parent.id().pid(), j.get("target").get("pid").asInt());
    }

    @Test
    void aReaderWhoseLineageWasCutShortIsTracedAgainFromTheSourceAtTheEnd() throws Exception {
        // Accesses resolved while the process table was behind name their reader but carry no lineage, and the reader
        // has exited (the live /proc cannot extend it): unattributed when judged. At the end of the run the source's
        // table has caught up; what it knows then places each reader, and only the tree's reader becomes its finding.
        ProcLineage proc = new ProcLineage(Path.of("/proc"));
        ProcessId self = proc.idOf(ProcessHandle.current().pid());
        List<GuardedProcess> above = proc.above(ProcessHandle.current().pid());
        GuardedProcess parent = above.get(0);
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        TreeGuard guard = startGuard(source);
        RunVerdict verdict;
        CommandTree tree;
        try {
            tree = guard.rootIs(child.pid());
            ProcessId root = tree.root();
            List<Ancestor> underRoot = new ArrayList<>();
            underRoot.add(new Ancestor(920_000, 1, "sh", "/usr/bin/dash"));
            underRoot.add(new Ancestor(root.pid(), root.startTime(), "sleep", "/usr/bin/sleep"));
            underRoot.addAll(lineage(self, above));
            ProcessInfo treeReader = reader(920_001, "cat", "/usr/bin/cat", List.of(), List.of());
            ProcessInfo outsider = reader(920_002, "cat", "/usr/bin/cat", List.of(), List.of());
            ProcessInfo neverKnown = reader(920_003, "cat", "/usr/bin/cat", List.of(), List.of());
            source.setLineage(treeReader.pid(), underRoot);
            source.setLineage(outsider.pid(), lineage(self, above));
            source.emit(read(treeReader, target(parent), ProcFile.ENVIRON));
            source.emit(read(outsider, target(parent), ProcFile.ENVIRON));
            source.emit(read(neverKnown, target(parent), ProcFile.ENVIRON));
            verdict = guard.finish();
        } finally {
            guard.close();
        }

        assertEquals(List.of(FindingKind.UNATTRIBUTED_READ, FindingKind.UNATTRIBUTED_READ, FindingKind.UNATTRIBUTED_READ),
                live.stream().map(Finding::kind).toList(), "as judged at the read: " + live);
        List<Finding> findings = verdict.findings();
        assertEquals(List.of(FindingKind.ANCESTOR_READ, FindingKind.UNATTRIBUTED_READ, FindingKind.UNATTRIBUTED_READ),
                findings.stream().map(Finding::kind).toList(), () -> findings.toString());
        assertEquals(920_001, findings.get(0).reader().pid());
        assertEquals(920_000, findings.get(0).reader().ancestors().get(0).pid(), "the lineage the source knew at the end");
        assertEquals(List.of(920_002, 920_003), findings.subList(1, 3).stream().map(f -> f.reader().pid()).toList(),
                "an outsider's read of a guarded process stays unattributed, as does a reader nobody can place");
        String report = String.join("\n", Reports.findingLines(findings.get(0), 1, 3, tree, "the command"));
        assertTrue(report.contains("lineage:") && report.contains("(the command)"), report);
        assertTrue(verdict.failed());
    }

    @Test
    void aRunWithoutFindingsIsOnePassingTestCase() throws Exception {
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RunVerdict verdict;
        try (TreeGuard guard = TreeGuard.builder().config(GuardConfig.of(Map.of("environguard.source", "scripted")))
                .addSourceProvider(source).settle(Duration.ofSeconds(2)).start()) {
            guard.rootIs(child.pid());
            verdict = guard.finish();
        }
        assertFalse(verdict.failed());
        Path xml = tmp.resolve("TEST-environ-guard.xml");
        JUnitReport.write(xml, verdict, "the command", Duration.ofSeconds(2));
        List<ReportTestSuite> suites = new TestSuiteXmlParser(new NullConsoleLogger()).parse(xml.toString());
        List<ReportTestCase> cases = suites.get(0).getTestCases();
        assertEquals(1, cases.size());
        assertTrue(cases.get(0).isSuccessful());
        assertEquals("1", parse(xml).getDocumentElement().getAttribute("tests"));
        assertTrue(Reports.summary(verdict, "the command").get(0).startsWith("no process of the command read"));
    }

    @Test
    void aCraftedProcessNameCannotBreakTheXml() throws Exception {
        ProcLineage proc = new ProcLineage(Path.of("/proc"));
        ProcessId self = proc.idOf(ProcessHandle.current().pid());
        List<GuardedProcess> above = proc.above(ProcessHandle.current().pid());
        ScriptedEventSource source = ScriptedEventSource.of(List.of());
        RunVerdict verdict;
        try (TreeGuard guard = TreeGuard.builder().config(GuardConfig.of(Map.of("environguard.source", "scripted")))
                .addSourceProvider(source).settle(Duration.ofSeconds(5)).start()) {
            CommandTree tree = guard.rootIs(child.pid());
            List<Ancestor> underRoot = new ArrayList<>();
            underRoot.add(new Ancestor(tree.root().pid(), tree.root().startTime(), "sleep", null));
            underRoot.addAll(lineage(self, above));
            String evil = "x\u0000y\u001b[31m</failure>\uFFFE\uFFFF\ud800]]>\n\u202e";
            ProcessInfo reader = reader(920_001, evil, "/tmp/" + evil, List.of(evil), underRoot);
            source.emit(read(reader, ProcessInfo.builder(920_100).comm(evil).startTime(9).build(), ProcFile.ENVIRON));
            verdict = guard.finish();
        }
        assertEquals(1, verdict.findings().size());
        Path xml = tmp.resolve("TEST-evil.xml");
        JUnitReport.write(xml, verdict, "the command", Duration.ZERO);
        Document doc = parse(xml);
        assertEquals("1", doc.getDocumentElement().getAttribute("failures"));
        List<ReportTestSuite> suites = new TestSuiteXmlParser(new NullConsoleLogger()).parse(xml.toString());
        assertEquals(1, suites.get(0).getNumberOfFailures());
        for (String line : Reports.findingLines(verdict.findings().get(0), 1, 1, verdict.tree(), "the command")) {
            assertFalse(line.contains("\n") || line.contains("\u001b") || line.contains("\u202e"), line);
        }
    }

    private static Document parse(Path xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(xml.toFile());
    }

    /** A guard over {@code source} whose findings are told to {@link #live}. */
    private TreeGuard startGuard(ScriptedEventSource source) throws Exception {
        return TreeGuard.builder()
                .config(GuardConfig.of(Map.of("environguard.source", "scripted")))
                .addSourceProvider(source)
                .onFinding(live::add)
                .settle(Duration.ofSeconds(5))
                .start();
    }

    /** This JVM and the processes above it, as ancestors. */
    private static List<Ancestor> lineage(ProcessId self, List<GuardedProcess> above) {
        List<Ancestor> out = new ArrayList<>();
        out.add(new Ancestor(self.pid(), self.startTime(), null, null));
        for (GuardedProcess g : above) {
            out.add(new Ancestor(g.id().pid(), g.id().startTime(), g.comm(), g.exe()));
        }
        return out;
    }

    private static ProcessInfo reader(int pid, String comm, String exe, List<String> cmdline, List<Ancestor> ancestors) {
        return ProcessInfo.builder(pid).comm(comm).exe(exe).uid(0).startTime(pid % 1000 + 100).cmdline(cmdline)
                .ppid(ancestors.isEmpty() ? -1 : ancestors.get(0).pid()).ancestors(ancestors).build();
    }

    private static ProcessInfo target(GuardedProcess g) {
        return ProcessInfo.builder(g.id().pid()).comm(g.comm()).exe(g.exe()).uid(g.uid()).startTime(g.id().startTime()).build();
    }

    private static ProcessInfo selfTarget(ProcessId self) {
        return ProcessInfo.builder(self.pid()).comm("java").startTime(self.startTime()).build();
    }

    private static EnvironAccess read(ProcessInfo reader, ProcessInfo target, ProcFile file) {
        return EnvironAccess.builder().source("test").file(file).path("/proc/" + target.pid() + "/" + file.id())
                .alias(AliasKind.PROCESS).reader(reader).target(target).build();
    }
}
