package io.environguard.linux.procfs;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The polling source is plain Java on the /proc reader and the SPI: no JNA, no fanotify, no guard internals. */
class ProcfsArchitectureTest {

    private static final JavaClasses PROCFS = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.linux.procfs");

    @Test
    void usesNoNativeCode() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("com.sun.jna..", "io.environguard.linux.nativeio..")
                .check(PROCFS);
    }

    @Test
    void dependsOnlyOnTheSpiAndTheProcReader() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("io.environguard.linux.fanotify..", "io.environguard.internal..",
                        "io.environguard.policy..", "io.environguard.sink..", "io.environguard.testkit..")
                .check(PROCFS);
    }
}
