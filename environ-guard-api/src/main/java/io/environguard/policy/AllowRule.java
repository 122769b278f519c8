package io.environguard.policy;

import io.environguard.api.ProcessInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One allow rule: a read whose reader matches every condition set here is not an alert, unless the
 * target is protected (see {@link Policy}). Conditions that are {@code null} (or {@link #ANY_UID}) match
 * anything; the ones that are set must all hold.
 *
 * <p>Reader conditions (at least one is required): the reader's resolved executable ({@code /proc/P/exe},
 * never its {@code comm}, which any process can set), its real uid, its parent's resolved executable, the
 * resolved executable of any of its ancestors ("anything started by this daemon"), its container id.
 *
 * <p>Parent and ancestor conditions are exact when the source gives the reader's lineage
 * ({@link ProcessInfo#ancestors()}, from a process table that saw each process start): the parent is the one
 * that started the reader, even after it exited, its pid was reused, or the reader was re-parented to init or a
 * subreaper. For a reader without lineage, the policy falls back to a best-effort look-up of the current parent
 * pid (see {@link Policy}); an ancestor condition is then checked against that parent only.
 *
 * <p>Target conditions (optional) narrow a rule to reads of certain targets: the target's
 * executable and/or container id. A rule made only of target conditions is refused: it would let every
 * process read those targets, which is what this library exists to notice.
 *
 * <p>A container id matches when it equals the process's container id, or when it has at least
 * {@value #MIN_CONTAINER_PREFIX} characters and the process's container id starts with it (the short ids
 * that {@code docker ps} shows).
 *
 * <h2>Text form ({@code environguard.policy.allow.rules})</h2>
 * <pre>
 * rules     = rule *( ";" rule )          empty rules (";;", a trailing ";") are ignored
 * rule      = condition *( "&amp;" condition )
 * condition = name "=" value              the first "=" separates; later ones belong to the value
 * name      = exe | uid | parent.exe | ancestor.exe | container | target.exe | target.container
 * </pre>
 * Names are case-insensitive and {@code -}/{@code _} mean {@code .} ({@code parent-exe} is {@code parent.exe}).
 * Whitespace around names and values is ignored. In a value, a backslash makes the next character literal:
 * write {@code \;}, {@code \&amp;} and {@code \\} for those characters. Example:
 * <pre>{@code
 * List<AllowRule> rules = AllowRule.parseAll(
 *         "exe=/usr/bin/foo&target.exe=/usr/bin/bar; uid=1000&target.container=abc123def456");
 * // rules.get(0): /usr/bin/foo may read the environ of /usr/bin/bar processes
 * // rules.get(1): uid 1000 may read the environ of processes in container abc123def456...
 * String text = AllowRule.formatAll(rules);   // parses back to the same rules
 * }</pre>
 *
 * @param exe               the reader's resolved executable path, or {@code null}
 * @param uid               the reader's real uid, or {@link #ANY_UID}
 * @param parentExe         the resolved executable of the reader's parent, or {@code null}
 * @param ancestorExe       the resolved executable of any ancestor of the reader (parent, grandparent... up to
 *                          {@value ProcessInfo#MAX_ANCESTORS} levels), or {@code null}
 * @param containerId       the reader's container id (or a prefix of it), or {@code null}
 * @param targetExe         the target's resolved executable path, or {@code null}
 * @param targetContainerId the target's container id (or a prefix of it), or {@code null}
 */
public record AllowRule(String exe, int uid, String parentExe, String ancestorExe, String containerId,
                        String targetExe, String targetContainerId) {

    /** The {@link #uid} of a rule that does not look at the uid. */
    public static final int ANY_UID = -1;
    /** A container id shorter than this must match exactly; a longer one may be a prefix. */
    public static final int MIN_CONTAINER_PREFIX = 12;

    /** The condition names of the text form, in the order {@link #toString} writes them. */
    public static final List<String> CONDITION_NAMES =
            List.of("exe", "uid", "parent.exe", "ancestor.exe", "container", "target.exe", "target.container");

    /**
     * Validates and trims.
     *
     * @param exe               the reader's resolved executable path, or {@code null}
     * @param uid               the reader's real uid, or {@link #ANY_UID}
     * @param parentExe         the resolved executable of the reader's parent, or {@code null}
     * @param ancestorExe       the resolved executable of any ancestor of the reader, or {@code null}
     * @param containerId       the reader's container id (or a prefix of it), or {@code null}
     * @param targetExe         the target's resolved executable path, or {@code null}
     * @param targetContainerId the target's container id (or a prefix of it), or {@code null}
     * @throws IllegalArgumentException naming the field, never its value: a path that is empty or not absolute, a
     *                                  container id that is empty, a uid below {@link #ANY_UID}, or no condition on
     *                                  the reader
     */
    public AllowRule {
        exe = clean(exe, "exe", true);
        parentExe = clean(parentExe, "parent.exe", true);
        ancestorExe = clean(ancestorExe, "ancestor.exe", true);
        containerId = clean(containerId, "container", false);
        targetExe = clean(targetExe, "target.exe", true);
        targetContainerId = clean(targetContainerId, "target.container", false);
        if (uid < ANY_UID) {
            throw new IllegalArgumentException("allow rule: uid must be a non-negative integer");
        }
        if (exe == null && uid == ANY_UID && parentExe == null && ancestorExe == null && containerId == null) {
            throw new IllegalArgumentException("allow rule: needs at least one condition on the reader "
                    + "(exe, uid, parent.exe, ancestor.exe or container); target.exe and target.container only narrow a rule");
        }
    }

    /**
     * A rule without an ancestor condition (the form before lineage).
     *
     * @param exe               the reader's resolved executable path, or {@code null}
     * @param uid               the reader's real uid, or {@link #ANY_UID}
     * @param parentExe         the resolved executable of the reader's parent, or {@code null}
     * @param containerId       the reader's container id (or a prefix of it), or {@code null}
     * @param targetExe         the target's resolved executable path, or {@code null}
     * @param targetContainerId the target's container id (or a prefix of it), or {@code null}
     * @throws IllegalArgumentException naming the field, never its value: a path that is empty or not absolute, a
     *                                  container id that is empty, a uid below {@link #ANY_UID}, or no condition on
     *                                  the reader
     */
    public AllowRule(String exe, int uid, String parentExe, String containerId, String targetExe,
                     String targetContainerId) {
        this(exe, uid, parentExe, null, containerId, targetExe, targetContainerId);
    }

    /**
     * @param path the reader's resolved executable, an absolute path
     * @return a rule allowing every read by the executable at {@code path}
     * @throws IllegalArgumentException when {@code path} is empty or not absolute
     */
    public static AllowRule exe(String path) {
        return builder().exe(path).build();
    }

    /**
     * @param uid a real user id, 0 or more
     * @return a rule allowing every read by processes of real uid {@code uid}
     * @throws IllegalArgumentException when {@code uid} is negative
     */
    public static AllowRule uid(int uid) {
        return builder().uid(uid).build();
    }

    /**
     * @param path the parent's resolved executable, an absolute path
     * @return a rule allowing every read by children of the executable at {@code path}
     * @throws IllegalArgumentException when {@code path} is empty or not absolute
     */
    public static AllowRule parentExe(String path) {
        return builder().parentExe(path).build();
    }

    /**
     * A rule allowing every read by descendants of the executable at {@code path}: its children, their children,
     * up to {@value ProcessInfo#MAX_ANCESTORS} levels. Every process descends from init: listing init's executable
     * (or {@code systemd}, which is also every user's session manager) allows nearly everything.
     *
     * @param path the ancestor's resolved executable, an absolute path
     * @return the rule
     * @throws IllegalArgumentException when {@code path} is empty or not absolute
     */
    public static AllowRule ancestorExe(String path) {
        return builder().ancestorExe(path).build();
    }

    /**
     * @param id a container id, or a prefix of at least {@value #MIN_CONTAINER_PREFIX} characters
     * @return a rule allowing every read by processes in container {@code id} (or an id starting with it)
     * @throws IllegalArgumentException when {@code id} is empty
     */
    public static AllowRule container(String id) {
        return builder().containerId(id).build();
    }

    /**
     * Starts a builder with no condition set; {@link Builder#build()} requires at least one on the reader.
     *
     * <pre>{@code
     * AllowRule r = AllowRule.builder().exe("/usr/bin/prometheus-node-exporter").uid(65534).build();
     * }</pre>
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return whether this rule looks at the reader's parent or ancestors (which may cost a look-up) */
    public boolean needsLineage() {
        return parentExe != null || ancestorExe != null;
    }

    /**
     * Every condition except {@link #parentExe} and {@link #ancestorExe} holds for this reader and target.
     * Allocation-free; the policy checks the lineage last because, without lineage, looking the parent up may
     * read {@code /proc}.
     */
    boolean matchesIgnoringLineage(ProcessInfo reader, ProcessInfo target) {
        return (exe == null || exe.equals(reader.exe()))
                && (uid == ANY_UID || uid == reader.uid())
                && (containerId == null || containerMatches(containerId, reader.containerId()))
                && (targetExe == null || targetExe.equals(target.exe()))
                && (targetContainerId == null || containerMatches(targetContainerId, target.containerId()));
    }

    private static boolean containerMatches(String wanted, String actual) {
        if (actual == null) {
            return false;
        }
        return wanted.length() >= MIN_CONTAINER_PREFIX ? actual.startsWith(wanted) : actual.equals(wanted);
    }

    /** The text form of this one rule, which {@link #parseAll} reads back to an equal rule. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        appendCondition(out, "exe", exe);
        appendCondition(out, "uid", uid == ANY_UID ? null : Integer.toString(uid));
        appendCondition(out, "parent.exe", parentExe);
        appendCondition(out, "ancestor.exe", ancestorExe);
        appendCondition(out, "container", containerId);
        appendCondition(out, "target.exe", targetExe);
        appendCondition(out, "target.container", targetContainerId);
        return out.toString();
    }

    /**
     * @param rules rules, in order
     * @return the text form of {@code rules}, joined by {@code ;}, which {@link #parseAll} reads back to equal rules;
     *         empty for no rules
     */
    public static String formatAll(List<AllowRule> rules) {
        StringBuilder out = new StringBuilder();
        for (AllowRule rule : rules) {
            if (out.length() > 0) {
                out.append(';');
            }
            out.append(rule);
        }
        return out.toString();
    }

    /**
     * Parses the text form (see the class comment). Errors name the rule and condition by position
     * ("rule 2, condition 1: ...") and never repeat any of the text, which may hold private paths or ids.
     *
     * @param text rules in the text form; empty for none
     * @return the rules, in order, unmodifiable
     * @throws IllegalArgumentException if the text is not a valid list of rules
     */
    public static List<AllowRule> parseAll(String text) {
        Objects.requireNonNull(text, "text");
        List<AllowRule> rules = new ArrayList<>();
        List<String[]> conditions = new ArrayList<>();
        StringBuilder name = new StringBuilder();
        StringBuilder value = new StringBuilder();
        boolean inValue = false;
        int ruleNo = 1;
        int i = 0;
        while (i <= text.length()) {
            char c = i < text.length() ? text.charAt(i) : ';';
            if (i < text.length() && c == '\\') {
                if (i + 1 >= text.length()) {
                    throw new IllegalArgumentException("allow rules: rule " + ruleNo
                            + ": a backslash at the end has nothing to escape (write \\\\ for a backslash)");
                }
                (inValue ? value : name).append(text.charAt(i + 1));
                i += 2;
                continue;
            }
            if (c == '&' || c == ';') {
                conditions.add(new String[] {name.toString(), inValue ? value.toString() : null});
                name.setLength(0);
                value.setLength(0);
                inValue = false;
                if (c == ';') {
                    AllowRule rule = buildRule(conditions, ruleNo);
                    if (rule != null) {
                        rules.add(rule);
                    }
                    conditions.clear();
                    ruleNo++;
                }
            } else if (c == '=' && !inValue) {
                inValue = true;
            } else {
                (inValue ? value : name).append(c);
            }
            i++;
        }
        return Collections.unmodifiableList(rules);
    }

    /** One rule from its raw (name, value-or-null) pairs; {@code null} for an empty rule. */
    private static AllowRule buildRule(List<String[]> conditions, int ruleNo) {
        if (conditions.size() == 1 && conditions.get(0)[1] == null && conditions.get(0)[0].isBlank()) {
            return null;
        }
        Builder b = builder();
        boolean[] seen = new boolean[CONDITION_NAMES.size()];
        for (int c = 0; c < conditions.size(); c++) {
            String where = "allow rules: rule " + ruleNo + ", condition " + (c + 1) + ": ";
            String rawName = conditions.get(c)[0];
            String value = conditions.get(c)[1];
            if (value == null) {
                throw new IllegalArgumentException(where + (rawName.isBlank()
                        ? "is empty" : "has no '='; expected name=value"));
            }
            int index = CONDITION_NAMES.indexOf(normalizeName(rawName));
            if (index < 0) {
                throw new IllegalArgumentException(where + "unknown name; expected one of "
                        + String.join(", ", CONDITION_NAMES));
            }
            String canonical = CONDITION_NAMES.get(index);
            if (seen[index]) {
                throw new IllegalArgumentException(where + canonical + " is given twice in one rule");
            }
            seen[index] = true;
            String v = value.trim();
            if (v.isEmpty()) {
                throw new IllegalArgumentException(where + canonical + " has an empty value");
            }
            try {
                switch (canonical) {
                    case "exe": b.exe(v); break;
                    case "uid": b.uid(parseUid(v)); break;
                    case "parent.exe": b.parentExe(v); break;
                    case "ancestor.exe": b.ancestorExe(v); break;
                    case "container": b.containerId(v); break;
                    case "target.exe": b.targetExe(v); break;
                    default: b.targetContainerId(v); break;
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + stripPrefix(e.getMessage()), e);
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("allow rules: rule " + ruleNo + ": " + stripPrefix(e.getMessage()), e);
        }
    }

    private static int parseUid(String v) {
        // digits only: Integer.parseInt would accept "+5", and a negative uid means "any" internally
        if (v.length() > 10 || !v.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new IllegalArgumentException("allow rule: uid must be a non-negative integer");
        }
        long n = Long.parseLong(v);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("allow rule: uid must be a non-negative integer");
        }
        return (int) n;
    }

    private static String normalizeName(String raw) {
        return raw.trim().toLowerCase(Locale.ROOT).replace('_', '.').replace('-', '.');
    }

    private static String stripPrefix(String message) {
        return message.startsWith("allow rule: ") ? message.substring("allow rule: ".length()) : message;
    }

    private static String clean(String value, String field, boolean path) {
        if (value == null) {
            return null;
        }
        String v = value.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("allow rule: " + field + " must not be empty");
        }
        if (path && v.charAt(0) != '/') {
            throw new IllegalArgumentException("allow rule: " + field
                    + " must be an absolute path (the resolved executable, as in /proc/PID/exe)");
        }
        return v;
    }

    private static void appendCondition(StringBuilder out, String name, String value) {
        if (value == null) {
            return;
        }
        if (out.length() > 0) {
            out.append('&');
        }
        out.append(name).append('=');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == '&' || c == ';') {
                out.append('\\');
            }
            out.append(c);
        }
    }

    /** Builds {@link AllowRule}s; {@link #build} validates. */
    public static final class Builder {
        private String exe;
        private int uid = ANY_UID;
        private String parentExe;
        private String ancestorExe;
        private String containerId;
        private String targetExe;
        private String targetContainerId;

        private Builder() {
        }

        /**
         * @param exe the reader's resolved executable path, or {@code null} for any
         * @return this builder
         */
        public Builder exe(String exe) { this.exe = exe; return this; }

        /**
         * @param uid the reader's real uid, or {@link #ANY_UID}
         * @return this builder
         */
        public Builder uid(int uid) { this.uid = uid; return this; }

        /**
         * @param parentExe the resolved executable of the reader's parent, or {@code null} for any
         * @return this builder
         */
        public Builder parentExe(String parentExe) { this.parentExe = parentExe; return this; }

        /**
         * @param ancestorExe the resolved executable of any ancestor of the reader, or {@code null} for any
         * @return this builder
         */
        public Builder ancestorExe(String ancestorExe) { this.ancestorExe = ancestorExe; return this; }

        /**
         * @param containerId the reader's container id (or a prefix of it), or {@code null} for any
         * @return this builder
         */
        public Builder containerId(String containerId) { this.containerId = containerId; return this; }

        /**
         * @param targetExe the target's resolved executable path, or {@code null} for any
         * @return this builder
         */
        public Builder targetExe(String targetExe) { this.targetExe = targetExe; return this; }

        /**
         * @param targetContainerId the target's container id (or a prefix of it), or {@code null} for any
         * @return this builder
         */
        public Builder targetContainerId(String targetContainerId) { this.targetContainerId = targetContainerId; return this; }

        /**
         * @return the rule
         * @throws IllegalArgumentException naming the field, never its value, as the record's constructor does
         */
        public AllowRule build() {
            return new AllowRule(exe, uid, parentExe, ancestorExe, containerId, targetExe, targetContainerId);
        }
    }
}
