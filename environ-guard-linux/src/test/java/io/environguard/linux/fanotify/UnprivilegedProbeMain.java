package io.environguard.linux.fanotify;

import io.environguard.api.EnvironAccess;
import io.environguard.api.GuardConfig;
import io.environguard.api.LossReport;
import io.environguard.spi.AccessListener;
import io.environguard.spi.Availability;
import io.environguard.spi.EventSource;
import io.environguard.spi.EventSourceProvider;
import java.io.IOException;
import java.util.ServiceLoader;

/**
 * Run by {@link FanotifyUnprivilegedKernelTest} in a child JVM as an ordinary user: finds the provider
 * through the ServiceLoader, as the guard does, and prints what it says and what {@code start} throws.
 */
public final class UnprivilegedProbeMain {

    private UnprivilegedProbeMain() {
    }

    public static void main(String[] args) {
        EventSourceProvider provider = ServiceLoader.load(EventSourceProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("fanotify"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no provider named fanotify"));
        Availability availability = provider.availability();
        System.out.println("priority=" + provider.priority());
        System.out.println("available=" + availability.available());
        System.out.println("detail=" + availability.detail());
        try (EventSource source = provider.create(GuardConfig.empty())) {
            source.start(new AccessListener() {
                @Override
                public void onAccess(EnvironAccess access) {
                }

                @Override
                public void onLoss(LossReport loss) {
                }
            });
            System.out.println("start=started");
        } catch (IOException e) {
            System.out.println("start=" + e.getMessage());
        }
    }
}
