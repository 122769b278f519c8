package io.environguard.samples.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import org.junit.jupiter.api.Test;

/** The warm-up's names stay real: a renamed class would silently cost the start its gain. */
class StartUpWarmUpTest {

    @Test
    void everyClassItNamesExistsOnTheMonitorsClassPath() {
        ClassLoader loader = StartUpWarmUp.class.getClassLoader();
        for (String name : StartUpWarmUp.CLASSES) {
            assertDoesNotThrow(() -> Class.forName(name, false, loader), name);
        }
        assertEquals(StartUpWarmUp.CLASSES.size(), new HashSet<>(StartUpWarmUp.CLASSES).size(), "no name twice");
    }

    @Test
    void itNamesNoInternalPackageOfAnotherModule() {
        for (String name : StartUpWarmUp.CLASSES) {
            assertEquals(-1, name.indexOf(".internal."), name);
        }
    }
}
