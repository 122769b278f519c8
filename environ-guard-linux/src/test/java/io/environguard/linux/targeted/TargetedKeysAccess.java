package io.environguard.linux.targeted;

import java.util.List;

/** The keys the targeted source's settings read, for tests outside this package. */
public final class TargetedKeysAccess {

    private TargetedKeysAccess() {
    }

    /** @return {@code TargetedSettings.KEYS} */
    public static List<String> keysRead() {
        return TargetedSettings.KEYS;
    }
}
