package io.environguard.linux;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Module-wide rules; each package adds its own (see the *PackageArchitectureTest classes). */
class LinuxModuleArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.linux");

    @Test
    void theApiModulesInternalsAreNotUsedFromHere() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.environguard.internal..")
                .check(CLASSES);
    }

    @Test
    void sourcesPlugInThroughTheSpiNotTheFacade() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.environguard")
                .check(CLASSES);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.environguard.linux.(*)..").should().beFreeOfCycles().check(CLASSES);
    }
}
