package io.environguard.samples.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine;

/**
 * Where {@code --metrics-address} serves: {@code 9464} (loopback, the default host), {@code 127.0.0.1:9464},
 * {@code [::1]:9464}, {@code 0.0.0.0:9464} (every interface: only when asked for by name). Port 0 takes a free one.
 *
 * @param host a literal address or a name; never empty
 * @param port 0 to 65535
 */
record MetricsAddress(String host, int port) {

    /** The host when none is given: loopback, so that the counters are not published to the network by default. */
    static final String LOOPBACK = "127.0.0.1";

    static MetricsAddress parse(String text) {
        String t = text.trim();
        String host = LOOPBACK;
        String port = t;
        int colon = t.lastIndexOf(':');
        if (colon >= 0) {
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("write an IPv6 address in brackets, e.g. [::1]:9464");
            }
            if (host.isEmpty()) {
                host = LOOPBACK;
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected HOST:PORT or PORT, e.g. 127.0.0.1:9464");
        }
        if (p < 0 || p > 65_535) {
            throw new IllegalArgumentException("the port must be 0 to 65535");
        }
        return new MetricsAddress(host, p);
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    /** For picocli. */
    static final class Converter implements CommandLine.ITypeConverter<MetricsAddress> {
        @Override
        public MetricsAddress convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
