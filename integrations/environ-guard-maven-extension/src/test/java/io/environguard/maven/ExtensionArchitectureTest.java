package io.environguard.maven;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The extension builds on the CI guard and the public API only: no internals, no sources, no JNA of its own. */
class ExtensionArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.maven");

    @Test
    void usesOnlyTheCiGuardAndThePublicApi() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..",
                        "io.environguard.linux..", "com.sun.jna..")
                .check(CLASSES);
    }
}
