package io.environguard.linux.fanotify;

import java.util.List;

/** The keys the fanotify source's settings read, for tests outside this package. */
public final class FanotifyKeysAccess {

    private FanotifyKeysAccess() {
    }

    /** @return {@code FanotifySettings.KEYS} */
    public static List<String> keysRead() {
        return FanotifySettings.KEYS;
    }
}
