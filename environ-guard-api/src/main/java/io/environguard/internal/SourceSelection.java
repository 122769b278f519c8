package io.environguard.internal;

import io.environguard.api.GuardConfig;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSourceProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Picks the one source a guard runs.
 *
 * <ol>
 *   <li>{@code environguard.source=NAME}: that provider; start fails with its reason when it is unavailable. When
 *       providers were added in code, NAME must be one of them: code and configuration naming different sources
 *       is an error, never a silent choice.</li>
 *   <li>{@code auto} (or unset) with providers added in code: the available one of highest priority among them;
 *       discovered providers are not considered, so that a test's scripted source is never replaced by a
 *       host-wide monitor.</li>
 *   <li>{@code auto} otherwise: the available discovered provider of highest priority.</li>
 * </ol>
 *
 * <pre>{@code
 * SourceSelection.Choice c = SourceSelection.choose(config, addedInCode, discovered, loadFailures);
 * EventSource source = c.provider().create(config);
 * }</pre>
 */
public final class SourceSelection {

    /** Names the source, or {@code auto}. */
    public static final String SOURCE = "environguard.source";

    private SourceSelection() {
    }

    /**
     * The chosen provider and why it was chosen.
     *
     * @param provider the provider
     * @param name     its name
     * @param reason   why it runs, for the start-up log line
     */
    public record Choice(EventSourceProvider provider, String name, String reason) {
    }

    /**
     * Chooses the source.
     *
     * @param config       the configuration ({@value #SOURCE})
     * @param added        providers added in code ({@code Builder.addSourceProvider}), in order
     * @param discovered   providers found by {@link java.util.ServiceLoader}
     * @param loadFailures one line per provider that could not be loaded, for the error message
     * @return the choice
     * @throws StartFailure naming what is unavailable and why
     */
    public static Choice choose(GuardConfig config, List<EventSourceProvider> added, List<EventSourceProvider> discovered,
                                List<String> loadFailures) throws StartFailure {
        String wanted = config.getString(SOURCE, "auto").trim().toLowerCase(Locale.ROOT);
        if (!wanted.equals("auto")) {
            return chooseByName(config, wanted, added, discovered, loadFailures);
        }
        if (!added.isEmpty()) {
            return chooseByPriority(added, "added in code with addSourceProvider", loadFailures,
                    "no source added with addSourceProvider can run (discovered sources are not tried when one is added in code):\n  ");
        }
        if (discovered.isEmpty()) {
            throw new StartFailure("no event source is on the classpath; add environ-guard-linux (fanotify and procfs sources)"
                    + failuresSuffix(loadFailures));
        }
        return chooseByPriority(discovered, "the available source of highest priority", loadFailures,
                "no event source can run here:\n  ");
    }

    private static Choice chooseByName(GuardConfig config, String wanted, List<EventSourceProvider> added,
                                       List<EventSourceProvider> discovered, List<String> loadFailures) throws StartFailure {
        String by = SOURCE + config.origin(SOURCE).map(o -> ", from " + o).orElse("");
        EventSourceProvider match = find(wanted, added);
        if (match == null) {
            match = find(wanted, discovered);
            if (match == null) {
                List<EventSourceProvider> all = new ArrayList<>(added);
                all.addAll(discovered);
                throw new StartFailure("no source named " + wanted + " (" + by + "); known sources: "
                        + names(all) + failuresSuffix(loadFailures));
            }
            if (!added.isEmpty()) {
                throw new StartFailure(SOURCE + " names " + wanted + " (" + config.origin(SOURCE).orElse("set") + "), but source "
                        + names(added) + " was added in code with addSourceProvider; a source added in code runs only when "
                        + SOURCE + " is unset, auto, or names it: remove the key or name an added source");
            }
        }
        Availability a = ProviderCalls.availability(match);
        if (!a.available()) {
            throw new StartFailure("source " + wanted + " (chosen by " + by + ") is unavailable: " + a.detail());
        }
        return new Choice(match, wanted, "chosen by " + by);
    }

    private static Choice chooseByPriority(List<EventSourceProvider> candidates, String reason, List<String> loadFailures,
                                           String noneCanRun) throws StartFailure {
        List<EventSourceProvider> byPriority = new ArrayList<>(candidates);
        byPriority.sort(Comparator.comparingInt(ProviderCalls::priority).reversed());
        List<String> why = new ArrayList<>();
        for (EventSourceProvider p : byPriority) {
            Availability a = ProviderCalls.availability(p);
            if (a.available()) {
                return new Choice(p, ProviderCalls.name(p), reason);
            }
            why.add(ProviderCalls.name(p) + ": " + a.detail());
        }
        throw new StartFailure(noneCanRun + String.join("\n  ", why) + failuresSuffix(loadFailures));
    }

    private static EventSourceProvider find(String name, List<EventSourceProvider> providers) {
        for (EventSourceProvider p : providers) {
            if (name.equals(ProviderCalls.name(p))) {
                return p;
            }
        }
        return null;
    }

    private static String names(List<EventSourceProvider> all) {
        return all.isEmpty() ? "none" : all.stream().map(ProviderCalls::name).toList().toString();
    }

    private static String failuresSuffix(List<String> failures) {
        return failures.isEmpty() ? "" : "\n  (also: " + String.join("; ", failures) + ")";
    }
}
