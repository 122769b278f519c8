package io.environguard.ci;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The CI guard is published and built on the public API: never on the API's or the Linux module's internals, and
 * never on JNA itself (native calls stay in the Linux module).
 */
class CiArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.ci");

    @Test
    void usesOnlyPublicApis() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..",
                        "io.environguard.linux.internal..", "io.environguard.linux.fanotify..",
                        "io.environguard.linux.targeted..", "io.environguard.linux.procfs..", "com.sun.jna..")
                .check(CLASSES);
    }
}
