package io.environguard.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every package of a published module has a package-info; a package that is not for public use says so there and
 * is left out of the Javadoc (the parent POM's excludePackageNames).
 */
class PublishedPackagesTest {

    /** The core modules; every module under {@code integrations/} is published too (see {@link #published()}). */
    private static final List<String> CORE = List.of("environ-guard-api", "environ-guard-linux", "environ-guard-testkit");
    /** Not for public use: public only so that other packages of the same module can share them. */
    private static final Set<String> INTERNAL = Set.of("io.environguard.internal", "io.environguard.linux.internal",
            "io.environguard.linux.nativeio");

    private static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("environ-guard-api")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no project root above " + Path.of("").toAbsolutePath());
    }

    /** The core modules and every module in {@code integrations/} (a folder with a pom.xml and main sources). */
    private static List<String> published() throws IOException {
        List<String> out = new ArrayList<>(CORE);
        try (Stream<Path> dirs = Files.list(root().resolve("integrations"))) {
            dirs.filter(d -> Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("src/main/java")))
                    .map(d -> "integrations/" + d.getFileName()).sorted().forEach(out::add);
        }
        return out;
    }

    @Test
    void everyPackageHasAPackageInfoAndInternalOnesSaySo() throws IOException {
        List<String> missing = new ArrayList<>();
        Set<String> internal = new TreeSet<>();
        for (String module : published()) {
            Path src = root().resolve(module).resolve("src/main/java");
            try (Stream<Path> dirs = Files.walk(src)) {
                for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                    boolean hasClasses;
                    try (Stream<Path> files = Files.list(dir)) {
                        hasClasses = files.anyMatch(f -> f.toString().endsWith(".java"));
                    }
                    if (!hasClasses) {
                        continue;
                    }
                    String pkg = src.relativize(dir).toString().replace('/', '.');
                    Path info = dir.resolve("package-info.java");
                    if (!Files.isRegularFile(info)) {
                        missing.add(module + ": " + pkg);
                    } else if (Files.readString(info, StandardCharsets.UTF_8).contains("<b>Not for public use</b>")) {
                        internal.add(pkg);
                    }
                }
            }
        }
        assertEquals(List.of(), missing, "packages without a package-info.java");
        assertEquals(INTERNAL, internal, "packages marked not for public use");
    }

    @Test
    void internalPackagesAreLeftOutOfTheJavadoc() throws IOException {
        String pom = Files.readString(root().resolve("pom.xml"), StandardCharsets.UTF_8);
        int from = pom.indexOf("<excludePackageNames>");
        String excluded = pom.substring(from, pom.indexOf("</excludePackageNames>", from));
        assertTrue(excluded.contains("*.internal") && excluded.contains("io.environguard.linux.nativeio"), excluded);
    }
}
