package io.environguard.testkit;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The testkit is published: it builds on the public API only, never on internals, JNA or the Linux module. */
class TestkitArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.testkit");

    @Test
    void usesOnlyThePublicApi() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..",
                        "io.environguard.linux..", "com.sun.jna..")
                .check(CLASSES);
    }
}
