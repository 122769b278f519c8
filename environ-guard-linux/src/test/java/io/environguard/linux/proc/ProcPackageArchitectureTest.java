package io.environguard.linux.proc;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The /proc reader is plain Java: no JNA, no logging, and nothing from the sources built on it. */
class ProcPackageArchitectureTest {

    private static final JavaClasses PROC = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.environguard.linux.proc");

    @Test
    void usesNoNativeCode() {
        noClasses().should().dependOnClassesThat().resideInAPackage("com.sun.jna..").check(PROC);
    }

    @Test
    void doesNotDependOnTheSourcesBuiltOnIt() {
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("io.environguard.linux.fanotify..", "io.environguard.linux.procfs..",
                        "io.environguard.internal..", "io.environguard.testkit..")
                .check(PROC);
    }

    @Test
    void logsNothing() {
        noClasses().should().dependOnClassesThat().resideInAPackage("org.slf4j..").check(PROC);
    }
}
