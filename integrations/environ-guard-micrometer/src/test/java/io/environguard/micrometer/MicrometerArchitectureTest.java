package io.environguard.micrometer;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The binder is built on the public API only: it never reaches into the guard's internals or the Linux module. */
class MicrometerArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.environguard.micrometer");

    @Test
    void usesThePublicApiOnly() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..", "io.environguard.linux..",
                "com.sun.jna..").check(CLASSES);
    }
}
