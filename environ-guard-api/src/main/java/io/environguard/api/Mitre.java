package io.environguard.api;

import java.util.Objects;

/**
 * A MITRE ATT&amp;CK tactic and technique.
 *
 * @param tacticId      e.g. {@code TA0007}
 * @param tacticName    e.g. {@code Discovery}
 * @param techniqueId   e.g. {@code T1082}
 * @param techniqueName e.g. {@code System Information Discovery}
 */
public record Mitre(String tacticId, String tacticName, String techniqueId, String techniqueName) {

    /** Reading another process's environment: Discovery / System Information Discovery. */
    public static final Mitre SYSTEM_INFORMATION_DISCOVERY =
            new Mitre("TA0007", "Discovery", "T1082", "System Information Discovery");

    /** Reading another process's memory through procfs: Credential Access / OS Credential Dumping: Proc Filesystem. */
    public static final Mitre PROC_FILESYSTEM_CREDENTIAL_DUMPING =
            new Mitre("TA0006", "Credential Access", "T1003.007", "OS Credential Dumping: Proc Filesystem");

    /**
     * Checks that every field is set.
     *
     * @param tacticId      e.g. {@code TA0007}
     * @param tacticName    e.g. {@code Discovery}
     * @param techniqueId   e.g. {@code T1082}
     * @param techniqueName e.g. {@code System Information Discovery}
     * @throws NullPointerException when a field is {@code null}
     */
    public Mitre {
        Objects.requireNonNull(tacticId, "tacticId");
        Objects.requireNonNull(tacticName, "tacticName");
        Objects.requireNonNull(techniqueId, "techniqueId");
        Objects.requireNonNull(techniqueName, "techniqueName");
    }
}
