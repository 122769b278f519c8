package io.environguard.linux.proc;

import io.environguard.linux.proc.ProcParseException.FileType;
import io.environguard.linux.proc.ProcParseException.Problem;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code /proc/P/cgroup} and derives the container id from the cgroup paths.
 *
 * <p>Recognised path components (the innermost match wins, so nested containers report the inner one):
 * <ul>
 *   <li>docker: {@code docker-<64hex>.scope} (systemd driver), {@code /docker/<64hex>} (cgroupfs driver)</li>
 *   <li>containerd (CRI): {@code cri-containerd-<64hex>.scope}</li>
 *   <li>podman: {@code libpod-<64hex>.scope}, {@code libpod-<64hex>} (v1, under {@code libpod_parent})</li>
 *   <li>cri-o: {@code crio-<64hex>.scope}, {@code crio-<64hex>}</li>
 *   <li>lxc / LXD: {@code lxc.payload.<name>}, {@code /lxc.payload/<name>}, {@code /lxc/<name>}</li>
 *   <li>any other component of exactly 64 hex digits: runtime {@code kubepods} under a {@code kubepods}
 *       path, else {@code unknown} (e.g. containerd's {@code /default/<64hex>})</li>
 * </ul>
 * Monitor processes that run on the host side ({@code libpod-conmon-*}, {@code crio-conmon-*},
 * {@code lxc.monitor.*}) are not containers. The v2 line ({@code 0::}) is looked at first, then the v1
 * lines in file order. A process in its own cgroup namespace sees {@code /} and reads as the host: the
 * paths are relative to the <em>reader's</em> cgroup namespace.
 *
 * <p>Rules: non-empty, ending with a newline ({@link Problem#TRUNCATED} otherwise), every line
 * {@code digits:controllers:path}; anything else raises {@link ProcParseException}.
 *
 * <pre>{@code
 * CgroupInfo host = CgroupParser.parse("0::/user.slice/user-1000.slice/session-2.scope\n".getBytes(UTF_8));
 * host.containerId();   // null
 * }</pre>
 */
public final class CgroupParser {

    private static final FileType FILE = FileType.CGROUP;
    private static final int ID_LENGTH = 64;

    private CgroupParser() {
    }

    /**
     * Parses a whole {@code cgroup} file.
     *
     * @param bytes the file's content
     * @return its lines, and the container they name, if any
     * @throws ProcParseException when the bytes are empty, cut short or malformed; the message never holds them
     */
    public static CgroupInfo parse(byte[] bytes) throws ProcParseException {
        if (bytes == null || bytes.length == 0) {
            throw new ProcParseException(FILE, Problem.EMPTY, null);
        }
        if (bytes[bytes.length - 1] != '\n') {
            throw new ProcParseException(FILE, Problem.TRUNCATED, "no final newline");
        }
        List<CgroupInfo.Entry> entries = new ArrayList<>();
        int from = 0;
        int line = 0;
        while (from < bytes.length) {
            line++;
            int end = ParseSupport.indexOf(bytes, from, bytes.length, (byte) '\n');
            int first = ParseSupport.indexOf(bytes, from, end, (byte) ':');
            int second = first < 0 ? -1 : ParseSupport.indexOf(bytes, first + 1, end, (byte) ':');
            if (second < 0) {
                throw new ProcParseException(FILE, Problem.MALFORMED, "line " + line + " needs two ':'");
            }
            int id = ParseSupport.parseUnsignedInt(bytes, from, first, FILE, "line " + line + " hierarchy id");
            entries.add(new CgroupInfo.Entry(id, ParseSupport.utf8(bytes, first + 1, second),
                    ParseSupport.utf8(bytes, second + 1, end)));
            from = end + 1;
        }
        Match container = null;
        for (CgroupInfo.Entry entry : entries) {
            if (entry.hierarchyId() == 0 && entry.controllers().isEmpty()) {
                container = containerOf(entry.path());
                break;
            }
        }
        for (int i = 0; container == null && i < entries.size(); i++) {
            container = containerOf(entries.get(i).path());
        }
        return container == null ? new CgroupInfo(entries, null, null) : new CgroupInfo(entries, container.runtime(), container.id());
    }

    private record Match(String runtime, String id) {
    }

    /** The container named by one cgroup path, innermost component first, or {@code null}. */
    static Match containerOf(String path) {
        if (path == null || path.length() < 2) {
            return null;
        }
        String[] parts = path.split("/", -1);
        for (int i = parts.length - 1; i >= 0; i--) {
            String part = parts[i];
            if (part.isEmpty()) {
                continue;
            }
            String previous = i > 0 ? parts[i - 1] : "";
            Match found = match(part, previous, path);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static Match match(String part, String previous, String path) {
        String scopeless = part.endsWith(".scope") ? part.substring(0, part.length() - ".scope".length()) : part;
        String id;
        if ((id = hexAfter(scopeless, "docker-")) != null) {
            return new Match("docker", id);
        }
        if ((id = hexAfter(scopeless, "cri-containerd-")) != null) {
            return new Match("containerd", id);
        }
        if ((id = hexAfter(scopeless, "libpod-")) != null) {
            return new Match("podman", id);
        }
        if ((id = hexAfter(scopeless, "crio-")) != null) {
            return new Match("crio", id);
        }
        if (part.startsWith("lxc.payload.") && part.length() > "lxc.payload.".length()) {
            return new Match("lxc", part.substring("lxc.payload.".length()));
        }
        if (previous.equals("lxc") || previous.equals("lxc.payload")) {
            return new Match("lxc", part);
        }
        if (isHexId(part)) {
            if (previous.equals("docker")) {
                return new Match("docker", part);
            }
            return new Match(path.contains("kubepods") ? "kubepods" : "unknown", part);
        }
        return null;
    }

    private static String hexAfter(String part, String prefix) {
        if (part.length() == prefix.length() + ID_LENGTH && part.startsWith(prefix)) {
            String id = part.substring(prefix.length());
            return isHexId(id) ? id : null;
        }
        return null;
    }

    private static boolean isHexId(String s) {
        if (s.length() != ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
