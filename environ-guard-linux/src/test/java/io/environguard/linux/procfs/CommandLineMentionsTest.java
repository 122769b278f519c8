package io.environguard.linux.procfs;

import io.environguard.api.AliasKind;
import io.environguard.api.ProcFile;
import io.environguard.linux.procfs.CommandLineMentions.Found;
import io.environguard.linux.procfs.CommandLineMentions.Mention;
import io.environguard.linux.procfs.CommandLineMentions.Shape;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineMentionsTest {

    private static final List<String> PROC = List.of("/proc");

    private static List<Mention> find(String... args) {
        return CommandLineMentions.find(List.of(args), PROC, PROC).mentions();
    }

    private static Mention only(String... args) {
        List<Mention> m = find(args);
        assertEquals(1, m.size(), () -> "mentions of " + List.of(args) + ": " + m);
        return m.get(0);
    }

    @Example
    void findsExactPathsAnywhereInAnArgument() {
        for (String[] args : List.of(
                new String[] {"cat", "/proc/123/environ"},
                new String[] {"strings", "/proc/123/environ"},
                new String[] {"xargs", "-0", "-a", "/proc/123/environ"},
                new String[] {"sh", "-c", "sleep 2; cat /proc/123/environ > /tmp/x"},
                new String[] {"sh", "-c", "exec 3</proc/123/environ; sleep 3"},
                new String[] {"python3", "-c", "print(open('/proc/123/environ').read())"},
                new String[] {"perl", "-ne", "print", "--file=/proc/123/environ"},
                new String[] {"tr", "\\0", "\\n", "</proc/123/environ"})) {
            Mention m = only(args);
            assertEquals(Shape.EXACT, m.shape(), () -> List.of(args).toString());
            assertEquals("/proc/123/environ", m.text());
            assertEquals(123, m.path().pid());
            assertEquals(AliasKind.PROCESS, m.alias());
            assertEquals(ProcFile.ENVIRON, m.file());
        }
    }

    @Example
    void findsEveryAliasAndMem() {
        assertEquals(AliasKind.TASK, only("cat", "/proc/5/task/6/environ").alias());
        assertEquals(AliasKind.SELF, only("cat", "/proc/self/environ").alias());
        assertEquals(AliasKind.SELF, only("cat", "/proc/thread-self/environ").alias());
        Mention mem = only("dd", "if=/proc/7/mem", "bs=1", "skip=140727357619062");
        assertEquals(ProcFile.MEM, mem.file());
        assertEquals(7, mem.path().pid());
        List<Mention> other = CommandLineMentions.find(List.of("cat", "/run/ctr/proc/1/environ"),
                List.of("/proc", "/run/ctr/proc"), PROC).mentions();
        assertEquals(1, other.size());
        assertEquals(AliasKind.OTHER_PROC_MOUNT, other.get(0).alias());
    }

    @Example
    void patternsAndVariablesHaveNoKnownTarget() {
        for (String[] args : List.of(
                new String[] {"sh", "-c", "strings /proc/*/environ"},
                new String[] {"sh", "-c", "cat /proc/[0-9]*/environ"},
                new String[] {"python3", "-c", "open('/proc/%d/environ' % pid)"},
                new String[] {"sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; done"},
                new String[] {"sh", "-c", "cat ${dir}/environ"})) {
            Mention m = only(args);
            assertEquals(Shape.PATTERN, m.shape(), () -> List.of(args).toString());
            assertEquals(null, m.path());
        }
        assertEquals(AliasKind.TASK, only("sh", "-c", "cat /proc/1/task/*/environ").alias());
    }

    @Example
    void psWithTheBsdOptionEReadsEnvironments() {
        for (String option : List.of("e", "eww", "auxe", "axeww")) {
            Mention m = only("ps", option);
            assertEquals(Shape.PS_ENVIRONMENT, m.shape());
        }
        assertEquals(Shape.PS_ENVIRONMENT, only("/usr/bin/ps", "aux", "e").shape());
        assertTrue(find("ps", "-e").isEmpty(), "-e means every process, not the environment");
        assertTrue(find("ps", "aux").isEmpty());
        assertTrue(find("ps", "-ef").isEmpty());
        assertTrue(find("grep", "e").isEmpty());
        // the rule the policy uses (PsCommandLine): option values are not options, format lists may name environ
        assertTrue(find("ps", "-C", "sleep").isEmpty(), "sleep is the value of -C");
        assertTrue(find("ps", "U", "steve").isEmpty(), "steve is the value of U");
        assertEquals(Shape.PS_ENVIRONMENT, only("ps", "-o", "pid,environ").shape());
    }

    @Example
    void ignoresLookAlikes() {
        for (String[] args : List.of(
                new String[] {"cat", "/proc/123/environment"},
                new String[] {"cat", "/proc/meminfo"},
                new String[] {"cat", "/proc/123/status"},
                new String[] {"cat", "/etc/environ"},
                new String[] {"cat", "$HOME/mem"},
                new String[] {"cat", "/dev/mem"},
                new String[] {"vi", "/home/u/environ"},
                new String[] {"cat", "/proc/1/x/y/environ"},
                new String[] {"echo", "environ"})) {
            assertTrue(find(args).isEmpty(), () -> List.of(args) + " " + find(args));
        }
    }

    @Example
    void capsTheMentionsOfOneCommandLine() {
        List<String> args = new ArrayList<>();
        args.add("strings");
        for (int pid = 1; pid <= CommandLineMentions.MAX_MENTIONS + 10; pid++) {
            args.add("/proc/" + pid + "/environ");
        }
        Found found = CommandLineMentions.find(args, PROC, PROC);
        assertEquals(CommandLineMentions.MAX_MENTIONS, found.mentions().size());
        assertEquals(10, found.omitted());
        assertEquals(1, CommandLineMentions.find(List.of("cat", "/proc/1/environ", "/proc/1/environ"), PROC, PROC)
                .mentions().size(), "the same path twice is one mention");
    }

    @Example
    void theByteFilterLetsEveryMentionThrough() {
        assertTrue(mayMention("cat\0/proc/1/environ\0"));
        assertTrue(mayMention("dd\0if=/proc/1/mem\0"));
        assertTrue(mayMention("ps\0e\0"));
        assertTrue(mayMention("/bin/ps\0e\0"));
        assertFalse(mayMention("sleep\0600\0"));
        assertFalse(mayMention("cps\0e\0"));
        assertFalse(mayMention(""));
    }

    /** Whatever the arguments, the finder returns, and everything it finds is consistent with its shape. */
    @Property
    void neverFailsAndAgreesWithTheByteFilter(@ForAll("commandLines") List<String> args) {
        Found found = CommandLineMentions.find(args, List.of("/proc", "/run/p"), PROC);
        assertNotNull(found);
        for (Mention m : found.mentions()) {
            assertEquals(m.shape() == Shape.EXACT, m.path() != null);
            if (m.shape() != Shape.PS_ENVIRONMENT) {
                assertTrue(m.text().endsWith("/" + m.file().id()), m.text());
            }
        }
        if (!found.mentions().isEmpty()) {
            byte[] raw = String.join("\0", args).getBytes(StandardCharsets.UTF_8);
            assertTrue(CommandLineMentions.mayMention(raw, raw.length), "the byte filter must not drop " + args);
        }
    }

    @Provide
    Arbitrary<List<String>> commandLines() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.of("/proc/", "/run/p/", "environ", "mem", "/environ", "/mem", "task/", "self", "*", "$p",
                        "ps", "e", " ", ";", "'", "=", "/", "1", "42", "0"),
                Arbitraries.strings().ofMaxLength(6));
        return piece.list().ofMaxSize(8).map(p -> String.join("", p)).list().ofMinSize(1).ofMaxSize(4);
    }

    private static boolean mayMention(String raw) {
        byte[] b = raw.getBytes(StandardCharsets.UTF_8);
        return CommandLineMentions.mayMention(b, b.length);
    }
}
