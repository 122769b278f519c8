package io.environguard.sink.otel;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A sink plugin uses the guard's public API only: no internals, no Linux module, no JNA. */
class OtelSinkArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() throws URISyntaxException {
        // The plugin's own classes only (their dependencies are still seen as references): scanning the whole class
        // path, broker and all, would take most of this test's time.
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPath(Path.of(OtelSinkProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
    }

    @Test
    void usesOnlyThePublicApi() {
        noClasses().that().resideInAPackage("io.environguard.sink.otel..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..", "io.environguard.linux..",
                        "io.environguard.policy..", "com.sun.jna..")
                .check(classes);
    }

    @Test
    void neverReachesTheFacade() {
        noClasses().that().resideInAPackage("io.environguard.sink.otel..")
                .should().dependOnClassesThat().resideInAPackage("io.environguard")
                .check(classes);
    }
}
