package io.environguard.linux.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * README.md's Java blocks are the compiled examples, character for character: the build fails on any drift. To
 * update README.md from the examples, run this test with {@code -Dreadme.snippets.update=true}.
 */
class ReadmeSnippetsTest {

    @Test
    void everyJavaBlockInTheReadmeIsACompiledExample() throws Exception {
        Path root = ReadmeSnippets.projectRoot();
        Path readmeFile = root.resolve("README.md");
        String readme = Files.readString(readmeFile, StandardCharsets.UTF_8);
        Map<String, ReadmeSnippets.Example> examples = ReadmeSnippets.examples(root);
        if (Boolean.getBoolean(ReadmeSnippets.UPDATE_PROPERTY)) {
            Files.writeString(readmeFile, ReadmeSnippets.updated(readme, examples), StandardCharsets.UTF_8);
            readme = Files.readString(readmeFile, StandardCharsets.UTF_8);
        }
        List<String> differences = ReadmeSnippets.differences(readme, examples);
        assertTrue(differences.isEmpty(), String.join("\n\n", differences)
                + "\n\n(edit the example, then run this test with -D" + ReadmeSnippets.UPDATE_PROPERTY + "=true to update README.md)");
        assertTrue(examples.size() >= 5, "examples found: " + examples.keySet());
    }

    private static final String SOURCE = String.join("\n",
            "package x;",
            "import java.util.List;",
            "import java.util.Map;",
            "class X {",
            "    void f() {",
            "        // snippet:start demo",
            "        // imports: java.util.List",
            "        List<String> names = List.of(\"a\");",
            "        // snippet:end",
            "    }",
            "}");

    private static final String README = String.join("\n",
            "text",
            "<!-- snippet: demo -->",
            "```java",
            "import java.util.List;",
            "",
            "List<String> names = List.of(\"a\");",
            "```");

    private static Map<String, ReadmeSnippets.Example> demo(String source) {
        return Map.of("demo", ReadmeSnippets.examplesIn(Path.of("X.java"), source).get(0));
    }

    @Test
    void identicalTextPasses() {
        assertEquals(List.of(), ReadmeSnippets.differences(README, demo(SOURCE)));
    }

    @Test
    void driftInTheSourceFails() {
        List<String> d = ReadmeSnippets.differences(README, demo(SOURCE.replace("List.of(\"a\")", "List.of(\"b\")")));
        assertEquals(1, d.size());
        assertTrue(d.get(0).contains("README snippet demo differs") && d.get(0).contains("List.of(\"b\")"), d.get(0));
    }

    @Test
    void aJavaBlockWithoutAnExampleFails() {
        assertThrows(IllegalStateException.class, () -> ReadmeSnippets.readmeBlocks(README.replace("<!-- snippet: demo -->", "")));
        List<String> d = ReadmeSnippets.differences(README.replace("snippet: demo", "snippet: other"), demo(SOURCE));
        assertEquals(2, d.size(), d.toString());
    }

    @Test
    void importsMustBeRealAndComplete() {
        assertThrows(IllegalStateException.class, () -> demo(SOURCE.replace("// imports: java.util.List", "// imports: java.util.Set")),
                "a listed import the file does not have");
        assertThrows(IllegalStateException.class, () -> demo(SOURCE.replace("// imports: java.util.List", "// imports:")),
                "a used import that is not listed");
    }

    @Test
    void updatingRewritesOnlyTheMarkedBlocks() {
        String updated = ReadmeSnippets.updated(README.replace("List.of(\"a\")", "old"), demo(SOURCE));
        assertEquals(README + "\n", updated);
    }
}
