package io.environguard.samples.cli;

import io.environguard.linux.nativeio.LinuxLibC;
import io.environguard.linux.nativeio.Pidfds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Passes SIGINT, SIGTERM and SIGHUP sent to the guard on to the command it runs, as a CI runner that cancels a job
 * expects of a wrapper. The JVM's own handlers for these (which start its shutdown) are replaced through
 * {@link sun.misc.Signal} while the command runs, and put back by {@link #close}. The signal is sent through a pidfd
 * taken when the command started ({@code pidfd_send_signal}), so it can never reach another process that reused the
 * command's pid.
 *
 * <p>Not forwarded: SIGKILL and SIGSTOP (no process can catch them: the guard dies or stops, the command goes on);
 * SIGQUIT (the JVM prints its thread dump); SIGUSR1/SIGUSR2 (reserved by the JVM); SIGTSTP, SIGTTIN, SIGTTOU and
 * SIGCONT (job control: a terminal sends them to the whole foreground process group, the command included). A
 * Ctrl-C at a terminal reaches the command twice, directly (it is in the terminal's foreground process group) and
 * through the guard; commands stop on the first.
 *
 * <p>A signal that arrives before the command started is remembered ({@link #pendingSignal}), so that the caller can
 * decline to start it.
 *
 * <pre>{@code
 * try (SignalForwarder signals = SignalForwarder.install()) {
 *     Process command = builder.start();
 *     signals.forwardTo(command);
 *     status = command.waitFor();
 * }
 * }</pre>
 */
final class SignalForwarder implements AutoCloseable {

    /** The signals passed on, by name. */
    static final List<String> FORWARDED = List.of("INT", "TERM", "HUP");

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private int pidfd = -1;
    private ProcessHandle command;
    private int pending;

    private SignalForwarder() {
    }

    /** Installs the handlers; signals the JVM does not let a program handle are skipped. */
    static SignalForwarder install() {
        SignalForwarder f = new SignalForwarder();
        for (String name : FORWARDED) {
            Signal signal = new Signal(name);
            try {
                f.previous.put(signal, Signal.handle(signal, f::onSignal));
            } catch (IllegalArgumentException e) {
                // the JVM keeps this one (e.g. run with -Xrs): it is not forwarded
            }
        }
        return f;
    }

    /** From now on, signals go to process {@code pid} (the command just started). */
    synchronized void forwardTo(Process process) {
        command = process.toHandle();
        try {
            int fd = Pidfds.open((int) process.pid(), false);
            pidfd = fd >= 0 ? fd : -1;
        } catch (LinkageError e) {
            pidfd = -1; // no native access: SIGTERM still goes through the JDK (below), the others are not passed on
        }
    }

    /** The number of the first signal that arrived before {@link #forwardTo}, or 0. */
    synchronized int pendingSignal() {
        return pending;
    }

    private synchronized void onSignal(Signal signal) {
        if (command == null) {
            if (pending == 0) {
                pending = signal.getNumber();
            }
            return;
        }
        if (pidfd >= 0) {
            Pidfds.sendSignal(pidfd, signal.getNumber()); // ESRCH: the command has ended; nothing to pass on
        } else if (signal.getName().equals("TERM")) {
            command.destroy(); // SIGTERM, to this process only (the JDK checks it has not been reaped)
        }
    }

    /** Puts the JVM's handlers back and releases the pidfd. */
    @Override
    public synchronized void close() {
        previous.forEach((signal, handler) -> {
            try {
                Signal.handle(signal, handler);
            } catch (IllegalArgumentException e) {
                // cannot happen: it was handled a moment ago
            }
        });
        previous.clear();
        if (pidfd >= 0) {
            LinuxLibC.close(pidfd);
            pidfd = -1;
        }
    }
}
