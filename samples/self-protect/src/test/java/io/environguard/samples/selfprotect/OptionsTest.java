package io.environguard.samples.selfprotect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void defaults() {
        SelfProtectedService.Options o = SelfProtectedService.Options.parse();
        assertEquals(List.of(), o.scrub());
        assertEquals(8080, o.port());
        assertNull(o.duration());
    }

    @Test
    void everyOption() {
        SelfProtectedService.Options o = SelfProtectedService.Options.parse("--scrub", "A", "--scrub", "B",
                "--non-dumpable", "--port", "0", "--duration", "2s");
        assertEquals(List.of("A", "B"), o.scrub());
        assertTrue(o.nonDumpable());
        assertEquals(0, o.port());
        assertEquals(Duration.ofSeconds(2), o.duration());
    }

    @Test
    void refusesWhatItDoesNotKnow() {
        assertThrows(IllegalArgumentException.class, () -> SelfProtectedService.Options.parse("--scrub"));
        assertThrows(IllegalArgumentException.class, () -> SelfProtectedService.Options.parse("--port", "x"));
        assertThrows(IllegalArgumentException.class, () -> SelfProtectedService.Options.parse("--port", "70000"));
        assertThrows(IllegalArgumentException.class, () -> SelfProtectedService.Options.parse("--verbose"));
    }
}
