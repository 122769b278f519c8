package io.environguard.linux.fanotify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.environguard.api.GuardConfig;
import io.environguard.linux.fanotify.MountNamespaceWatch.Mode;
import io.environguard.linux.fanotify.MountNamespaceWatch.Refusal;
import io.environguard.linux.fanotify.MountNamespaceWatch.State;
import io.environguard.linux.fanotify.MountNamespaceWatch.Watched;
import io.environguard.linux.nativeio.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** What {@code coverage()} says about mount namespaces in each state, and the parsing of namespace links. */
class MountNamespaceCoverageTest {

    private static final FanotifySettings DEFAULTS = FanotifySettings.defaults();

    private static State state(Mode mode, String reason, long beyondCap, List<Refusal> refusals) {
        List<Watched> table = List.of(new Watched(4, 4026531832L, 1234, true, true, false),
                new Watched(12, 4026532175L, 5678, true, false, true));
        return new State(mode, reason, 2, 1, 7, 3, beyondCap, beyondCap > 0 ? 1 : 0, 9, 2, 0, refusals, table);
    }

    private static List<List<String>> describe(State s, long announced, long dropped, FanotifySettings settings) {
        List<String> watching = new ArrayList<>();
        List<String> blind = new ArrayList<>();
        MountNamespaceCoverage.describe(s, announced, dropped, settings, watching, blind);
        return List.of(watching, blind);
    }

    @Test
    void withMountEventsItSaysWhatIsWatchedAndTheWindowThatRemains() {
        List<List<String>> c = describe(state(Mode.MOUNT_EVENTS, null, 0, List.of()), 5, 0, DEFAULTS);
        String watching = String.join("\n", c.get(0));
        assertTrue(watching.contains("FAN_MNT_ATTACH") && watching.contains("and 1 other(s)")
                && watching.contains("1 of them owned by another user namespace"), watching);
        assertTrue(watching.contains("9 attach event(s), 2 of them procfs"), watching);
        assertTrue(watching.contains("watchMountNamespaceOf: 5 announcement(s)"), watching);
        String blind = String.join("\n", c.get(1));
        assertTrue(blind.contains("until the namespace is announced") && blind.contains("every 10000 ms"), blind);
        assertTrue(!blind.contains("nothing has announced"), blind);
        assertTrue(!blind.contains("without mount events"), blind);
    }

    @Test
    void withNoAnnouncementsYetItSaysTheRescanIsAllThereIs() {
        String blind = String.join("\n", describe(state(Mode.MOUNT_EVENTS, null, 0, List.of()), 0, 0, DEFAULTS).get(1));
        assertTrue(blind.contains("nothing has announced a namespace yet, so today that is the rescan"), blind);
    }

    @Test
    void withoutMountEventsItNamesTheFallbackAndWhy() {
        List<List<String>> c = describe(state(Mode.POLLING, "fanotify_init(FAN_REPORT_MNT) failed with EINVAL", 0,
                List.of()), 1, 0, DEFAULTS);
        assertTrue(c.get(0).stream().anyMatch(l -> l.contains("POLLPRI on /proc/self/mountinfo")
                && l.contains("FAN_REPORT_MNT) failed with EINVAL")), c.get(0).toString());
        assertTrue(c.get(1).stream().anyMatch(l -> l.startsWith("without mount events")), c.get(1).toString());
    }

    @Test
    void refusalsTheCapAndDroppedAnnouncementsAreBlindSpots() {
        Refusal eperm = new Refusal(Errno.EPERM, 3, "mnt:[4026532200]", 4242);
        List<List<String>> c = describe(state(Mode.MOUNT_EVENTS, null, 2, List.of(eperm)), 9, 4,
                FanotifySettings.from(GuardConfig.of(Map.of(FanotifySettings.MAX_MOUNT_NAMESPACES, "16"))));
        String blind = String.join("\n", c.get(1));
        assertTrue(blind.contains("FAN_MARK_MNTNS refused for 3 mount namespace(s) (the last mnt:[4026532200], process"
                + " 4242): EPERM") && blind.contains("CAP_SYS_ADMIN in the user namespace that owns it"), blind);
        assertTrue(blind.contains("2 mount namespace(s) came beyond the cap of 16") && blind.contains("1 of them alive"),
                blind);
        assertTrue(blind.contains("4 announcement(s) of mount namespaces came while 4096 were waiting"), blind);
    }

    @Test
    void withOtherNamespacesOffOnlyItsOwnIsWatched() {
        List<List<String>> c = describe(state(Mode.MOUNT_EVENTS, null, 0, List.of()), 0, 0,
                FanotifySettings.from(GuardConfig.of(Map.of(FanotifySettings.OTHER_NAMESPACES, "false"))));
        assertTrue(c.get(0).stream().noneMatch(l -> l.contains("other(s)")), c.get(0).toString());
        assertTrue(c.get(1).stream().anyMatch(l -> l.contains("other-namespaces=false")), c.get(1).toString());
        assertTrue(c.get(1).stream().noneMatch(l -> l.contains("until the namespace is announced")), c.get(1).toString());
    }

    @Test
    void everyMarkFailureIsExplained() {
        for (int errno : new int[] {Errno.EPERM, Errno.EINVAL, Errno.EOPNOTSUPP, Errno.ENOSPC, Errno.ENOMEM, 77}) {
            assertTrue(!MountNamespaceCoverage.explainMarkFailure(errno).isEmpty());
        }
        assertTrue(MountNamespaceCoverage.explainMarkFailure(Errno.ENOSPC).contains("max_user_marks"));
    }

    @Property
    void namespaceLinksGiveTheirInode(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long inode) {
        assertEquals(inode, MountNamespaceWatch.inodeOf("mnt:[" + inode + "]"));
    }

    @Property
    void anythingElseGivesMinusOne(@ForAll String link) {
        if (!link.matches("mnt:\\[[0-9]+\\]")) {
            assertEquals(-1, MountNamespaceWatch.inodeOf(link));
        }
    }

    @Test
    void oddLinks() {
        assertEquals(-1, MountNamespaceWatch.inodeOf("net:[4026531840]"));
        assertEquals(-1, MountNamespaceWatch.inodeOf("mnt:[99999999999999999999999]"));
        assertEquals(-1, MountNamespaceWatch.inodeOf("mnt:[]"));
        assertEquals(-1, MountNamespaceWatch.inodeOf("mnt:[12] "));
    }
}
