package io.environguard.policy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The text form of allow rules: what is written reads back the same; what is garbage fails clearly and quietly. */
class AllowRuleParserPropertyTest {

    /** Planted in garbage: an error message must never repeat it. */
    private static final String SECRET = "s3cr3tVALUEq9";

    /** Characters a value may hold, including every character the syntax gives a meaning to. */
    private static final String VALUE_CHARS = "abcXYZ019/._-;&\\= é@:";

    @Provide
    Arbitrary<AllowRule> rules() {
        Arbitrary<String> path = Arbitraries.strings().withChars(VALUE_CHARS).ofMaxLength(20).map(s -> "/" + s + "x");
        Arbitrary<String> id = Arbitraries.strings().withChars(VALUE_CHARS).ofMaxLength(20).map(s -> "c" + s + "0");
        Arbitrary<Integer> uid = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        return Combinators.combine(path, uid, path, id, path, id, Arbitraries.integers().between(0, 127), path)
                .as((exe, u, parent, container, targetExe, targetContainer, mask, ancestor) -> {
                    AllowRule.Builder b = AllowRule.builder();
                    boolean reader = false;
                    if ((mask & 1) != 0) { b.exe(exe); reader = true; }
                    if ((mask & 2) != 0) { b.uid(u); reader = true; }
                    if ((mask & 4) != 0) { b.parentExe(parent); reader = true; }
                    if ((mask & 8) != 0) { b.containerId(container); reader = true; }
                    if ((mask & 16) != 0) { b.targetExe(targetExe); }
                    if ((mask & 32) != 0) { b.targetContainerId(targetContainer); }
                    if ((mask & 64) != 0) { b.ancestorExe(ancestor); reader = true; }
                    if (!reader) {
                        b.exe(exe);
                    }
                    return b.build();
                });
    }

    @Property
    void writtenRulesReadBackTheSame(@ForAll("ruleLists") List<AllowRule> rules) {
        String text = AllowRule.formatAll(rules);
        assertEquals(rules, AllowRule.parseAll(text), () -> "text: " + text);
        for (AllowRule rule : rules) {
            assertEquals(List.of(rule), AllowRule.parseAll(rule.toString()));
        }
    }

    @Provide
    Arbitrary<List<AllowRule>> ruleLists() {
        return rules().list().ofMaxSize(5);
    }

    /** Pieces of text that parse, pieces that do not, and the planted secret, in any order. */
    @Provide
    Arbitrary<String> garbage() {
        Arbitrary<String> token = Arbitraries.of("exe", "uid", "parent.exe", "Parent-Exe", "ancestor_exe", "container", "target.exe",
                "target_container", "exe=/usr/bin/foo", "uid=1000", "uid=-3", "uid=12a", "exe=relative", "=", "==",
                "&", "&&", ";", ";;", "\\", " ", "target.exe=/x", "bogus", SECRET, "/" + SECRET, "uid=" + SECRET,
                "exe=" + SECRET, SECRET + "=1");
        return token.list().ofMinSize(1).ofMaxSize(12).map(parts -> String.join("", parts));
    }

    @Property
    void garbageFailsWithAClearMessageThatNeverRepeatsTheText(@ForAll("garbage") String text) {
        try {
            AllowRule.parseAll(text);
            Statistics.label("outcome").collect("parsed");
        } catch (IllegalArgumentException e) {
            Statistics.label("outcome").collect("refused");
            String message = e.getMessage();
            assertTrue(message.startsWith("allow rules: rule "), message);
            assertFalse(message.contains(SECRET), () -> "the message repeats the text: " + message);
        }
        Statistics.label("outcome").coverage(c -> c.check("refused").percentage(p -> p > 50));
    }

    @Provide
    Arbitrary<String> brokenRules() {
        return Arbitraries.of(
                "exe",                                  // no '='
                "bogus=" + SECRET,                      // unknown name
                SECRET + "=1",                          // unknown name, the name itself secret
                "exe=/a&exe=/" + SECRET,                // twice
                "exe=",                                 // empty value
                "uid=" + SECRET,                        // not a number
                "uid=-1",                               // negative
                "exe=" + SECRET,                        // not absolute
                "target.exe=/" + SECRET,                // target only
                "exe=/a&&uid=1",                        // empty condition
                "exe=/" + SECRET + "\\");               // dangling backslash
    }

    @Property
    void anErrorNamesTheRuleByPosition(@ForAll("ruleLists") List<AllowRule> valid, @ForAll("brokenRules") String broken) {
        List<String> parts = new ArrayList<>();
        valid.forEach(r -> parts.add(r.toString()));
        parts.add(broken);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AllowRule.parseAll(String.join(";", parts)));
        assertTrue(e.getMessage().startsWith("allow rules: rule " + (valid.size() + 1) + ":")
                || e.getMessage().startsWith("allow rules: rule " + (valid.size() + 1) + ","), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }
}
