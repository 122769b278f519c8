package io.environguard.internal;

import io.environguard.api.Alert;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.api.ProcessInfo;
import io.environguard.api.Rules;
import io.environguard.api.Severity;
import io.environguard.api.UntrustedText;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps alerts readable without hiding anything, between the policy and the dispatcher:
 * <ul>
 *   <li><b>Lost events</b> are aggregated per cause: the first report of a cause is alerted at once, later ones are
 *       added up and alerted together once the {@code environguard.alerts.loss.interval} since the last alert of
 *       their cause has passed (one {@code environ_events_lost} alert with the counts of every cause that is due).
 *       Reports the source marks {@link LossReport#certainlyNoRead()} are counted only.</li>
 *   <li><b>Rate limits</b> ({@code environguard.alerts.rate.<rule>=N/DURATION}): within a window of DURATION from a
 *       rule's first alert, its first N alerts pass; the rest are held back, counted, and summarised in one
 *       {@link Rules#ALERTS_SUPPRESSED} alert (how many, their readers and targets) when the window ends.
 *       {@code environ_sweep_ended}, lost-events and summary alerts are never limited.</li>
 * </ul>
 * Nothing held back is ever dropped: {@link #tick()} hands over what is due, {@link #flush()} everything. Thread-safe
 * (one lock); the clock is monotonic and injectable.
 *
 * <pre>{@code
 * NoiseControl noise = NoiseControl.from(config, System::nanoTime);
 * NoiseControl.Decision d = noise.admit(alert);     // d.pass(): dispatch it; d.due(): dispatch these too
 * List<Alert> due = noise.tick();                    // about once a second
 * }</pre>
 */
public final class NoiseControl {

    /** How long lost events of one cause are added up after an alert of that cause; {@code 0s} alerts every report. */
    public static final String LOSS_INTERVAL = "environguard.alerts.loss.interval";
    /** Prefix of the per-rule rate limits: {@code environguard.alerts.rate.environ_read_known_reader=20/1m}. */
    public static final String RATE_PREFIX = "environguard.alerts.rate.";
    public static final Duration DEFAULT_LOSS_INTERVAL = Duration.ofSeconds(60);

    /** Distinct readers and targets a summary lists (it counts them all). */
    static final int MAX_LISTED = 32;
    /** Causes whose aggregation state is kept; a cause beyond them is alerted report by report. */
    private static final int MAX_CAUSES = 256;
    private static final Pattern RATE = Pattern.compile("\\s*(\\d{1,9})\\s*/\\s*(\\S+)\\s*");
    /** Closing alerts account for folded reads, loss and summary alerts for everything else: never limited. */
    private static final Set<String> NEVER_LIMITED = Set.of(Rules.ENVIRON_SWEEP_ENDED, Rules.EVENTS_LOST, Rules.ALERTS_SUPPRESSED);

    /** What to do with one alert: pass it or not, and alerts that fell due meanwhile (dispatch them first). */
    public record Decision(boolean pass, List<Alert> due) {
        static final Decision PASS = new Decision(true, List.of());
    }

    /** A rate limit: at most {@code max} alerts per {@code window}. */
    record RateLimit(long max, Duration window) {
    }

    private final long lossIntervalNanos;
    /** Limits by rule id as configured (normalised: {@code .} for {@code _}, lower case); empty: none. */
    private final Map<String, RateLimit> limits;
    private final LongSupplier nanoClock;
    private final Object lock = new Object();
    private final Map<String, LossState> losses = new LinkedHashMap<>();
    private final Map<String, Window> windows = new LinkedHashMap<>();
    /** Limits by rule id as alerts spell it, looked up once per id. */
    private final Map<String, RateLimit> limitByRule = new LinkedHashMap<>();
    private final Map<String, Long> rateLimited = new TreeMap<>();

    NoiseControl(Duration lossInterval, Map<String, RateLimit> limits, LongSupplier nanoClock) {
        if (lossInterval.isNegative()) {
            throw new IllegalArgumentException("the loss interval must not be negative");
        }
        this.lossIntervalNanos = lossInterval.toNanos();
        this.limits = Map.copyOf(limits);
        this.nanoClock = nanoClock;
    }

    /** No aggregation and no limits: every loss report alerted at once, every alert passed. */
    public static NoiseControl none() {
        return new NoiseControl(Duration.ZERO, Map.of(), System::nanoTime);
    }

    /**
     * Reads {@link #LOSS_INTERVAL} and every {@code environguard.alerts.rate.<rule>} key.
     *
     * @throws IllegalArgumentException naming the key (never its value) when one is malformed
     */
    public static NoiseControl from(GuardConfig config, LongSupplier nanoClock) {
        Duration interval = config.getDuration(LOSS_INTERVAL, DEFAULT_LOSS_INTERVAL);
        if (interval.isNegative()) {
            throw new IllegalArgumentException("configuration key " + LOSS_INTERVAL + ": expected 0s or more");
        }
        Map<String, RateLimit> limits = new LinkedHashMap<>();
        String prefix = GuardConfig.normalize(RATE_PREFIX);
        for (Map.Entry<String, String> e : config.asMap().entrySet()) {
            String key = GuardConfig.normalize(e.getKey());
            if (!key.startsWith(prefix) || key.length() == prefix.length()) {
                continue;
            }
            limits.put(key.substring(prefix.length()), parseRate(e.getKey(), e.getValue()));
        }
        return new NoiseControl(interval, limits, nanoClock);
    }

    private static RateLimit parseRate(String key, String value) {
        Matcher m = RATE.matcher(value == null ? "" : value);
        String expected = "configuration key " + key + ": expected N/DURATION with N at least 1, e.g. 20/1m";
        if (!m.matches()) {
            throw new IllegalArgumentException(expected);
        }
        long max = Long.parseLong(m.group(1));
        Duration window;
        try {
            window = GuardConfig.of(Map.of("x", m.group(2))).getDuration("x", null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(expected);
        }
        if (max < 1 || window == null || window.isZero() || window.isNegative()) {
            throw new IllegalArgumentException(expected);
        }
        return new RateLimit(max, window);
    }

    /** Whether any rate limit is configured: without one, {@link #admit} always passes and costs nothing. */
    public boolean limitsAny() {
        return !limits.isEmpty();
    }

    /** Decides about one alert raised by an access. */
    public Decision admit(Alert alert) {
        if (limits.isEmpty() || NEVER_LIMITED.contains(alert.rule())) {
            return Decision.PASS;
        }
        synchronized (lock) {
            RateLimit limit = limitByRule.computeIfAbsent(alert.rule(), r -> limits.get(GuardConfig.normalize(r)));
            if (limit == null) {
                return Decision.PASS;
            }
            long now = nanoClock.getAsLong();
            List<Alert> due = List.of();
            Window w = windows.get(alert.rule());
            if (w != null && now - w.start >= limit.window.toNanos()) {
                Alert summary = w.summary(alert.rule(), limit);
                due = summary == null ? List.of() : List.of(summary);
                windows.remove(alert.rule());
                w = null;
            }
            if (w == null) {
                w = new Window(now);
                windows.put(alert.rule(), w);
            }
            if (w.passed < limit.max) {
                w.passed++;
                return due.isEmpty() ? Decision.PASS : new Decision(true, due);
            }
            w.holdBack(alert);
            rateLimited.merge(alert.rule(), 1L, Long::sum);
            return new Decision(false, due);
        }
    }

    /** Decides about one loss report: the alerts to raise now (none while its cause is being added up). */
    public List<Alert> onLoss(LossReport loss) {
        if (loss.certainlyNoRead()) {
            return List.of();
        }
        if (lossIntervalNanos == 0) {
            return List.of(lossAlert(Map.of(loss.cause(), loss.count()), List.of(loss.detail()), 0));
        }
        synchronized (lock) {
            long now = nanoClock.getAsLong();
            LossState s = losses.get(loss.cause());
            if (s == null && losses.size() >= MAX_CAUSES) {
                return List.of(lossAlert(Map.of(loss.cause(), loss.count()), List.of(loss.detail()), 0));
            }
            if (s == null || (s.pending == 0 && now - s.lastAlert >= lossIntervalNanos)) {
                if (s == null) {
                    s = new LossState();
                    losses.put(loss.cause(), s);
                }
                s.lastAlert = now;
                return List.of(lossAlert(Map.of(loss.cause(), loss.count()), List.of(loss.detail()), 0));
            }
            s.pending += loss.count();
            s.detail = loss.detail();
            return List.of();
        }
    }

    /** The alerts that fell due: lost events whose interval passed, summaries of windows that ended. */
    public List<Alert> tick() {
        synchronized (lock) {
            return due(nanoClock.getAsLong(), false);
        }
    }

    /** Everything held back, now (the guard is closing). */
    public List<Alert> flush() {
        synchronized (lock) {
            return due(nanoClock.getAsLong(), true);
        }
    }

    /** Alerts held back by rate limits so far, by rule. */
    public Map<String, Long> rateLimitedByRule() {
        synchronized (lock) {
            return Map.copyOf(rateLimited);
        }
    }

    private List<Alert> due(long now, boolean all) {
        List<Alert> out = new ArrayList<>();
        Map<String, Long> counts = new TreeMap<>();
        List<String> details = new ArrayList<>();
        long oldest = now;
        for (Map.Entry<String, LossState> e : losses.entrySet()) {
            LossState s = e.getValue();
            if (s.pending > 0 && (all || now - s.lastAlert >= lossIntervalNanos)) {
                counts.put(e.getKey(), s.pending);
                details.add(s.detail);
                oldest = Math.min(oldest, s.lastAlert);
                s.pending = 0;
                s.lastAlert = now;
            }
        }
        if (!counts.isEmpty()) {
            out.add(lossAlert(counts, details, now - oldest));
        }
        var it = windows.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Window> e = it.next();
            RateLimit limit = limitByRule.get(e.getKey());
            if (all || now - e.getValue().start >= limit.window.toNanos()) {
                Alert summary = e.getValue().summary(e.getKey(), limit);
                if (summary != null) {
                    out.add(summary);
                }
                it.remove();
            }
        }
        return out;
    }

    /** One lost-events alert for {@code counts}; {@code spanNanos} > 0 when they were added up over that time. */
    private static Alert lossAlert(Map<String, Long> counts, List<String> details, long spanNanos) {
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder reason = new StringBuilder().append(total).append(" event(s) lost");
        if (spanNanos > 0) {
            reason.append(" in the last ").append(Duration.ofNanos(spanNanos).toSeconds()).append(" s");
        }
        reason.append(" (");
        String sep = "";
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            reason.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = ", ";
        }
        reason.append(')');
        for (String d : details) {
            if (!d.isEmpty()) {
                reason.append(": ").append(d);
                break; // the first cause's detail; each cause's count is in the alert's lost map
            }
        }
        reason.append("; environ reads in that time may have been missed");
        return new Alert(Instant.now(), Rules.EVENTS_LOST, Severity.HIGH, List.of(reason.toString()), null, null,
                List.of(), total, counts);
    }

    /** The aggregation state of one loss cause. */
    private static final class LossState {
        long lastAlert;
        long pending;
        String detail = "";
    }

    /** One rule's current rate-limit window. */
    private static final class Window {
        final long start;
        long passed;
        long heldBack;
        Severity worst = Severity.INFO;
        Alert last;
        final Map<String, ProcessInfo> readers = new LinkedHashMap<>();
        final Map<String, ProcessInfo> targets = new LinkedHashMap<>();
        long otherReaders;

        Window(long start) {
            this.start = start;
        }

        void holdBack(Alert alert) {
            heldBack++;
            last = alert;
            if (alert.severity().compareTo(worst) > 0) {
                worst = alert.severity();
            }
            List<ProcessInfo> rs = alert.readers().isEmpty() && alert.hasAccess() ? List.of(alert.access().reader()) : alert.readers();
            for (ProcessInfo r : rs) {
                String key = r.pid() + ":" + r.startTime();
                if (!readers.containsKey(key)) {
                    if (readers.size() < MAX_LISTED) {
                        readers.put(key, r);
                    } else {
                        otherReaders++;
                    }
                }
            }
            List<ProcessInfo> ts = alert.targets().isEmpty() && alert.hasAccess() ? List.of(alert.access().target()) : alert.targets();
            for (ProcessInfo t : ts) {
                String key = t.pid() + ":" + t.startTime();
                if (targets.size() < MAX_LISTED) {
                    targets.putIfAbsent(key, t);
                }
            }
        }

        /** The summary of what was held back, or {@code null} when nothing was. */
        Alert summary(String rule, RateLimit limit) {
            if (heldBack == 0) {
                return null;
            }
            StringBuilder names = new StringBuilder();
            for (ProcessInfo r : readers.values()) {
                if (names.length() > 0) {
                    names.append(", ");
                }
                // Names and paths are the readers' own: escaped, so that a crafted name can neither break nor fake a line.
                UntrustedText.appendEscaped(names, r.comm() == null ? "?" : r.comm()).append('[').append(r.pid()).append(']');
                if (r.exe() != null) {
                    UntrustedText.appendEscaped(names.append(" ("), r.exe()).append(')');
                }
            }
            if (otherReaders > 0) {
                names.append(" and ").append(otherReaders).append(" more");
            }
            String reason = heldBack + " alert(s) of rule " + rule + " suppressed by its rate limit (" + RATE_PREFIX
                    + rule + " = " + limit.max + " per " + describe(limit.window) + "); readers: " + names;
            return new Alert(Instant.now(), Rules.ALERTS_SUPPRESSED, worst, List.of(reason), last.mitre(), last.access(),
                    List.copyOf(targets.values()), heldBack, Map.of(), null, List.copyOf(readers.values()));
        }
    }

    private static String describe(Duration d) {
        return d.toString().substring(2).toLowerCase(Locale.ROOT);
    }
}
