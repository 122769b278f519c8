package io.environguard.linux.proc;

import io.environguard.linux.proc.ProcParseException.FileType;
import io.environguard.linux.proc.ProcParseException.Problem;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Parses {@code /proc/P/mountinfo}: one mount per line,
 * {@code ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS}.
 *
 * <p>Rules: the content must be non-empty and end with a newline ({@link Problem#TRUNCATED} otherwise:
 * the last mount may be cut); each line needs six fields, the {@code -} separator and three fields after
 * it (more are ignored, for future kernels); ids are decimal; the device is {@code digits:digits}. Any
 * violation fails the whole file with its line number: a mount table with a hole could hide a proc mount.
 * The kernel escapes space, tab, newline and backslash in paths as {@code \040}, {@code \011},
 * {@code \012}, {@code \134}; these are decoded (bytes that are not UTF-8 then become U+FFFD).
 *
 * <pre>{@code
 * List<MountInfo> mounts = MountInfoParser.parse(Files.readAllBytes(Path.of("/proc/self/mountinfo")));
 * }</pre>
 */
public final class MountInfoParser {

    private static final FileType FILE = FileType.MOUNTINFO;

    private MountInfoParser() {
    }

    /**
     * Parses a whole {@code mountinfo} file.
     *
     * @param bytes the file's content
     * @return one entry per line, unmodifiable, in file order
     * @throws ProcParseException when the bytes are empty, cut short or malformed; the message never holds them
     */
    public static List<MountInfo> parse(byte[] bytes) throws ProcParseException {
        if (bytes == null || bytes.length == 0) {
            throw new ProcParseException(FILE, Problem.EMPTY, null);
        }
        if (bytes[bytes.length - 1] != '\n') {
            throw new ProcParseException(FILE, Problem.TRUNCATED, "no final newline");
        }
        List<MountInfo> mounts = new ArrayList<>();
        int from = 0;
        int line = 0;
        while (from < bytes.length) {
            line++;
            int end = ParseSupport.indexOf(bytes, from, bytes.length, (byte) '\n');
            mounts.add(parseLine(bytes, from, end, line));
            from = end + 1;
        }
        return Collections.unmodifiableList(mounts);
    }

    private static MountInfo parseLine(byte[] bytes, int from, int end, int line) throws ProcParseException {
        List<int[]> fields = new ArrayList<>(12);
        int i = from;
        while (i <= end) {
            int to = ParseSupport.indexOf(bytes, i, end, (byte) ' ');
            if (to < 0) {
                to = end;
            }
            if (to == i) {
                throw new ProcParseException(FILE, Problem.MALFORMED, "line " + line + " has an empty field");
            }
            fields.add(new int[] {i, to});
            i = to + 1;
        }
        int separator = -1;
        for (int f = 6; f < fields.size(); f++) {
            int[] field = fields.get(f);
            if (field[1] - field[0] == 1 && bytes[field[0]] == '-') {
                separator = f;
                break;
            }
        }
        if (fields.size() < 6 || separator < 0 || fields.size() < separator + 4) {
            throw new ProcParseException(FILE, Problem.MALFORMED, "line " + line + " has too few fields");
        }
        String where = "line " + line + " ";
        int mountId = ParseSupport.parseUnsignedInt(bytes, fields.get(0)[0], fields.get(0)[1], FILE, where + "mount id");
        int parentId = ParseSupport.parseUnsignedInt(bytes, fields.get(1)[0], fields.get(1)[1], FILE, where + "parent id");
        int[] dev = fields.get(2);
        int colon = ParseSupport.indexOf(bytes, dev[0], dev[1], (byte) ':');
        if (colon < 0) {
            throw new ProcParseException(FILE, Problem.MALFORMED, where + "device");
        }
        ParseSupport.parseUnsignedInt(bytes, dev[0], colon, FILE, where + "device major");
        ParseSupport.parseUnsignedInt(bytes, colon + 1, dev[1], FILE, where + "device minor");
        List<String> optional = new ArrayList<>(separator - 6);
        for (int f = 6; f < separator; f++) {
            optional.add(text(bytes, fields.get(f)));
        }
        return new MountInfo(mountId, parentId, ParseSupport.utf8(bytes, dev[0], dev[1]),
                text(bytes, fields.get(3)), text(bytes, fields.get(4)), text(bytes, fields.get(5)), optional,
                text(bytes, fields.get(separator + 1)), text(bytes, fields.get(separator + 2)),
                text(bytes, fields.get(separator + 3)));
    }

    private static String text(byte[] bytes, int[] field) {
        return ParseSupport.decodeOctalEscapes(bytes, field[0], field[1]);
    }
}
