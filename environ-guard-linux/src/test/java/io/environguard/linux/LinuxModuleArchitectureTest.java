package io.environguard.linux;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Module-wide rules; each package adds its own (see the *PackageArchitectureTest classes). */
class LinuxModuleArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.linux");

    @Test
    void theApiModulesInternalsAreNotUsedFromHere() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..")
                .check(CLASSES);
    }

    @Test
    void sourcesPlugInThroughTheSpiNotTheFacade() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.environguard")
                .check(CLASSES);
    }

    /**
     * The rule above cannot see a compile-time constant: javac copies {@code EnvironGuard.PROC_ROOT} into the class
     * that reads it, leaving no reference in the bytecode (issue 14 found procfs reading it so). So the sources are
     * read too: no main source of this module names the facade in code (comments and strings aside).
     */
    @Test
    void noSourceNamesTheFacadeEvenForAConstant() throws IOException {
        Pattern facade = Pattern.compile("\\bEnvironGuard\\b|\\bio\\.environguard\\.GuardStartException\\b|\\bGuardStartException\\b");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = JavaText.withoutCommentsAndStrings(Files.readString(file, StandardCharsets.UTF_8));
                Matcher m = facade.matcher(code);
                if (m.find()) {
                    offenders.add(file + ": " + m.group());
                }
            }
        }
        if (!offenders.isEmpty()) {
            throw new AssertionError("sources read their keys from the API (GuardConfig), never from the facade: " + offenders);
        }
    }

    @Test
    void theSourceCheckSeesAnInlinedConstant() {
        String procfsSettingsBeforeIssue14 = "import io.environguard.EnvironGuard;\n"
                + "/** reads {@link EnvironGuard#PROC_ROOT} */ class S { String r(GuardConfig c) {"
                + " return c.getString(EnvironGuard.PROC_ROOT, \"/proc\"); } }";
        String code = JavaText.withoutCommentsAndStrings(procfsSettingsBeforeIssue14);
        if (!code.contains("EnvironGuard.PROC_ROOT") || code.contains("/proc") || code.contains("@link")) {
            throw new AssertionError(code);
        }
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.environguard.linux.(*)..").should().beFreeOfCycles().check(CLASSES);
    }
}
