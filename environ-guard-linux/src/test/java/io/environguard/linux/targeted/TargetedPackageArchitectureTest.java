package io.environguard.linux.targeted;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The targeted source and the hardening API sit on the SPI and the native bindings, never on the guard or each other's internals. */
class TargetedPackageArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.linux.targeted", "io.environguard.linux.hardening");

    @Test
    void theSourceDependsOnTheSpiNotOnTheGuardNorTheHostSource() {
        noClasses().that().resideInAPackage("io.environguard.linux.targeted..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..",
                        "io.environguard.policy..", "io.environguard.sink..", "io.environguard.testkit..",
                        "io.environguard.linux.fanotify..", "io.environguard.linux.procfs..",
                        "io.environguard.linux.hardening..")
                .check(CLASSES);
    }

    @Test
    void hardeningNeedsNoSourceAndNoGuard() {
        noClasses().that().resideInAPackage("io.environguard.linux.hardening..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.spi..", "io.environguard.internal..",
                        "io.environguard.policy..", "io.environguard.sink..", "io.environguard.linux.fanotify..",
                        "io.environguard.linux.targeted..")
                .check(CLASSES);
    }

    @Test
    void onlyTheProviderAndTheSourceArePublicInTheTargetedPackage() {
        classes().that().resideInAPackage("io.environguard.linux.targeted").and().areTopLevelClasses().and().arePublic()
                .should().haveSimpleNameStartingWith("TargetedFanotifySource")
                .check(CLASSES);
    }
}
