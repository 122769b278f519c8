package io.environguard.linux.readme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Keeps the README's Java snippets and the compiled examples they come from identical.
 *
 * <p>In README.md a Java block is marked by the line before its fence: {@code <!-- snippet: NAME -->}. In a test
 * source, the example is the region between {@code // snippet:start NAME} and {@code // snippet:end}; its first
 * lines may be {@code // imports: a.b.C, static a.b.D.m}, which the README shows as import statements and which
 * must be imports of that source file (so the compiler checks them), and every import of the file that the region
 * uses must be listed. Indentation is compared after removing the common indent; trailing spaces are ignored.
 */
final class ReadmeSnippets {

    static final Pattern MARKER = Pattern.compile("^<!-- snippet: ([a-z0-9-]+) -->$");
    static final Pattern START = Pattern.compile("^\\s*// snippet:start ([a-z0-9-]+)\\s*$");
    static final Pattern END = Pattern.compile("^\\s*// snippet:end\\s*$");
    static final Pattern IMPORTS = Pattern.compile("^\\s*// imports:(.*)$");
    static final Pattern IMPORT = Pattern.compile("^import (static )?([\\w.]+)(\\.\\*)?;\\s*$");
    static final String UPDATE_PROPERTY = "readme.snippets.update";

    private ReadmeSnippets() {
    }

    /** One example in a source file, rendered as the README must show it. */
    record Example(String name, Path file, String text) {
    }

    /** The project root: the nearest directory up from here holding README.md and the API module. */
    static Path projectRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("environ-guard-api"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no README.md above " + Path.of("").toAbsolutePath());
    }

    /** Every example in the test sources of every module under {@code root}, by name. */
    static Map<String, Example> examples(Path root) {
        Map<String, Example> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/java/")
                    && !p.toString().contains("/target/")).sorted().toList()) {
                String source = Files.readString(f, StandardCharsets.UTF_8);
                if (source.contains("// snippet:start")) {
                    for (Example e : examplesIn(f, source)) {
                        if (out.put(e.name(), e) != null) {
                            throw new IllegalStateException("two examples named " + e.name());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The examples of one source file, each rendered as the README shows it (imports first). */
    static List<Example> examplesIn(Path file, String source) {
        List<String> lines = source.lines().toList();
        Set<String> fileImports = new TreeSet<>();
        for (String line : lines) {
            Matcher m = IMPORT.matcher(line);
            if (m.matches()) {
                fileImports.add((m.group(1) == null ? "" : "static ") + m.group(2));
            }
        }
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher start = START.matcher(lines.get(i));
            if (!start.matches()) {
                continue;
            }
            String name = start.group(1);
            List<String> imports = new ArrayList<>();
            List<String> body = new ArrayList<>();
            int j = i + 1;
            for (; j < lines.size() && !END.matcher(lines.get(j)).matches(); j++) {
                Matcher im = IMPORTS.matcher(lines.get(j));
                if (im.matches() && body.isEmpty()) {
                    for (String item : im.group(1).split(",")) {
                        if (!item.isBlank()) {
                            imports.add(item.trim());
                        }
                    }
                } else {
                    body.add(lines.get(j));
                }
            }
            if (j == lines.size()) {
                throw new IllegalStateException(file + ": snippet " + name + " has no // snippet:end");
            }
            checkImports(file, name, imports, fileImports, String.join("\n", body));
            imports.sort(java.util.Comparator.comparing(imp -> !imp.startsWith("static ")));
            StringBuilder text = new StringBuilder();
            imports.forEach(imp -> text.append("import ").append(imp).append(";\n"));
            if (!imports.isEmpty()) {
                text.append('\n');
            }
            text.append(normalize(String.join("\n", body)));
            out.add(new Example(name, file, normalize(text.toString())));
            i = j;
        }
        return out;
    }

    private static void checkImports(Path file, String name, List<String> listed, Set<String> fileImports, String body) {
        for (String imp : listed) {
            if (!fileImports.contains(imp)) {
                throw new IllegalStateException(file + ": snippet " + name + " lists " + imp
                        + " in // imports: but the file does not import it");
            }
        }
        String code = body.replaceAll("//.*", "");
        for (String imp : fileImports) {
            String simple = imp.substring(imp.lastIndexOf('.') + 1);
            if (!listed.contains(imp) && Pattern.compile("\\b" + Pattern.quote(simple) + "\\b").matcher(code).find()) {
                throw new IllegalStateException(file + ": snippet " + name + " uses " + simple + " but its // imports: line"
                        + " does not list " + imp);
            }
        }
    }

    /** The Java blocks of a README that are marked as snippets, by name. */
    static Map<String, String> readmeBlocks(String readme) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> lines = readme.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("```java")) {
                continue;
            }
            Matcher marker = i > 0 ? MARKER.matcher(lines.get(i - 1)) : null;
            if (marker == null || !marker.matches()) {
                throw new IllegalStateException("README.md line " + (i + 1) + ": a Java block without a <!-- snippet: NAME --> line"
                        + " before it; every Java snippet must come from a compiled example");
            }
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).startsWith("```")) {
                j++;
            }
            out.put(marker.group(1), normalize(String.join("\n", lines.subList(i + 1, j))));
            i = j;
        }
        return out;
    }

    /** A list of differences between the README and the examples; empty when they agree. */
    static List<String> differences(String readme, Map<String, Example> examples) {
        Map<String, String> blocks = readmeBlocks(readme);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> b : blocks.entrySet()) {
            Example e = examples.get(b.getKey());
            if (e == null) {
                out.add("README snippet " + b.getKey() + " has no example (// snippet:start " + b.getKey() + " in a test source)");
            } else if (!e.text().equals(b.getValue())) {
                out.add("README snippet " + b.getKey() + " differs from " + e.file() + "; the README block must be:\n```java\n"
                        + e.text() + "\n```\n" + firstDifference(b.getValue(), e.text()));
            }
        }
        for (String name : examples.keySet()) {
            if (!blocks.containsKey(name)) {
                out.add("example " + name + " (" + examples.get(name).file() + ") is not in README.md (<!-- snippet: " + name + " -->)");
            }
        }
        return out;
    }

    /** README.md with every marked block replaced by its example's text. */
    static String updated(String readme, Map<String, Example> examples) {
        List<String> lines = readme.lines().toList();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            out.append(lines.get(i)).append('\n');
            Matcher marker = MARKER.matcher(lines.get(i));
            if (marker.matches() && i + 1 < lines.size() && lines.get(i + 1).startsWith("```java")
                    && examples.containsKey(marker.group(1))) {
                out.append(lines.get(i + 1)).append('\n').append(examples.get(marker.group(1)).text()).append('\n');
                int j = i + 2;
                while (j < lines.size() && !lines.get(j).startsWith("```")) {
                    j++;
                }
                i = j - 1;
            }
        }
        return out.toString();
    }

    private static String firstDifference(String readme, String example) {
        List<String> a = readme.lines().toList();
        List<String> b = example.lines().toList();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String x = i < a.size() ? a.get(i) : "(end)";
            String y = i < b.size() ? b.get(i) : "(end)";
            if (!x.equals(y)) {
                return "first difference, line " + (i + 1) + ":\n  README:  " + x + "\n  example: " + y;
            }
        }
        return "";
    }

    /** Without the common indent, trailing spaces, and leading or trailing blank lines. */
    static String normalize(String text) {
        List<String> lines = new ArrayList<>(text.lines().map(String::stripTrailing).toList());
        while (!lines.isEmpty() && lines.get(0).isEmpty()) {
            lines.remove(0);
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        int indent = lines.stream().filter(l -> !l.isEmpty()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        return String.join("\n", lines.stream().map(l -> l.isEmpty() ? l : l.substring(indent)).toList());
    }
}
