package io.environguard.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {

    @Test
    void readsAgentKeysAndGuardKeysWithListContinuations() {
        AgentOptions o = AgentOptions.parse("sinks=jsonl,slf4j,scrub=DB_PASSWORD,API_TOKEN,nondumpable=true,"
                + "sink.jsonl.path=/tmp/a.jsonl,environguard.source.targeted.max-marks=512");
        assertEquals(List.of("DB_PASSWORD", "API_TOKEN"), o.scrub());
        assertTrue(o.nonDumpable());
        assertFalse(o.required());
        assertEquals(Map.of("environguard.sinks", "jsonl,slf4j", "environguard.sink.jsonl.path", "/tmp/a.jsonl",
                "environguard.source.targeted.max-marks", "512"), o.guardConfig());
    }

    @Test
    void emptyArgumentsAreTheDefaults() {
        for (String args : new String[] {null, "", " , "}) {
            AgentOptions o = AgentOptions.parse(args);
            assertEquals(Map.of(), o.guardConfig());
            assertEquals(List.of(), o.scrub());
            assertFalse(o.nonDumpable());
        }
    }

    @Test
    void aBareFlagIsTrue() {
        assertTrue(AgentOptions.parse("nondumpable=").nonDumpable());
        assertTrue(AgentOptions.parse("required=yes").required());
    }

    @Test
    void refusesWhatItCannotReadWithoutEchoingValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentOptions.parse("secret-value"));
        assertFalse(e.getMessage().contains("secret-value"));
        e = assertThrows(IllegalArgumentException.class, () -> AgentOptions.parse("nondumpable=secret-value"));
        assertFalse(e.getMessage().contains("secret-value"));
        assertThrows(IllegalArgumentException.class, () -> AgentOptions.parse("=x"));
    }
}
