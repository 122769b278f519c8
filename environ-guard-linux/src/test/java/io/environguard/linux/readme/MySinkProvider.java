package io.environguard.linux.readme;

import io.environguard.api.ConfigKey;
import io.environguard.api.GuardConfig;
import io.environguard.spi.AlertSink;
import io.environguard.spi.AlertSinkProvider;
import java.util.List;

// snippet:start sink-plugin
// imports: io.environguard.api.ConfigKey, io.environguard.api.GuardConfig, io.environguard.spi.AlertSink
// imports: io.environguard.spi.AlertSinkProvider, java.util.List
public final class MySinkProvider implements AlertSinkProvider {
    static final String PREFIX = "environguard.sink.mine.prefix";

    @Override
    public String name() {
        return "mine";                                  // environguard.sinks=mine; its keys: environguard.sink.mine.*
    }

    @Override
    public List<ConfigKey> keys() {                     // a misspelt key is warned about; describeConfiguration() lists these
        return List.of(ConfigKey.of(PREFIX, "ALERT", "text before each alert"));
    }

    @Override
    public AlertSink create(GuardConfig config) {       // called once per guard start, on the starting thread
        String prefix = config.getString(PREFIX, "ALERT");
        return alert -> System.out.println(prefix + " " + alert.severity() + " " + alert.rule());
    }
}
// snippet:end
