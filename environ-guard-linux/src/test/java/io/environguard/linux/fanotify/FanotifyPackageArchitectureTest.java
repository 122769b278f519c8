package io.environguard.linux.fanotify;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The native bindings know nothing of the project; the fanotify source sits on the SPI, never on the guard. */
class FanotifyPackageArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.linux.fanotify", "io.environguard.linux.nativeio");

    @Test
    void nativeBindingsDependOnNothingOfTheProject() {
        noClasses().that().resideInAPackage("io.environguard.linux.nativeio..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.api..", "io.environguard.spi..",
                        "io.environguard.linux.fanotify..", "io.environguard.linux.proc..")
                .check(CLASSES);
    }

    @Test
    void theSourceDependsOnTheSpiNotOnTheGuard() {
        noClasses().that().resideInAPackage("io.environguard.linux.fanotify..")
                .should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..",
                        "io.environguard.policy..", "io.environguard.sink..", "io.environguard.testkit..",
                        "io.environguard.linux.procfs..")
                .check(CLASSES);
    }

    @Test
    void onlyTheProviderAndTheSourceArePublicInTheFanotifyPackage() {
        classes().that().resideInAPackage("io.environguard.linux.fanotify").and().areTopLevelClasses().and().arePublic()
                .should().haveSimpleNameStartingWith("FanotifyHostSource")
                .check(CLASSES);
    }
}
