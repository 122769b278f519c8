package io.environguard.linux.process;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The process table is below every source: sources resolve through it, it knows none of them. */
class ProcessPackageArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.linux");

    @Test
    void theTableKnowsNoSource() {
        noClasses().that().resideInAPackage("io.environguard.linux.process..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.linux.fanotify..",
                        "io.environguard.linux.targeted..", "io.environguard.linux.procfs..",
                        "io.environguard.linux.hardening..", "io.environguard.spi..", "io.environguard.policy..",
                        "io.environguard.sink..", "io.environguard.internal..")
                .check(CLASSES);
    }

    @Test
    void theParsersAndTheBindingsDoNotKnowTheTable() {
        noClasses().that().resideInAnyPackage("io.environguard.linux.proc..", "io.environguard.linux.nativeio..")
                .should().dependOnClassesThat().resideInAPackage("io.environguard.linux.process..")
                .check(CLASSES);
    }
}
