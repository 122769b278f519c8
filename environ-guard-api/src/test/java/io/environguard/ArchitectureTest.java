package io.environguard;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API module stays pure Java, acyclic, and layered: model, SPI, policy and sinks never reach the pipeline. */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.environguard");
    }

    @Test
    void theApiNeverSeesJnaNorTheLinuxModule() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("com.sun.jna..", "io.environguard.linux..")
                .check(classes);
    }

    @Test
    void theApiNeverSeesMicrometer() {
        // Metrics live in environ-guard-micrometer, on top of AlertObserver and stats(): the API stays dependency-free.
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.micrometer..", "io.prometheus..")
                .check(classes);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.environguard.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void publicPackagesDoNotReachIntoInternalOrTheFacade() {
        noClasses().that().resideInAnyPackage("io.environguard.api..", "io.environguard.spi..",
                        "io.environguard.policy..", "io.environguard.sink..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..", "io.environguard")
                .check(classes);
    }

    @Test
    void theModelDependsOnNothingElseOfOurs() {
        noClasses().that().resideInAPackage("io.environguard.api..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.spi..", "io.environguard.policy..",
                        "io.environguard.sink..", "io.environguard.internal..")
                .check(classes);
    }
}
