package io.environguard.samples.cli;

import java.util.List;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Loads and initialises, on a thread of its own, the classes that starting a guard needs (JNA and its native library,
 * the fanotify source, the process table, the pipeline, the CI guard), while the main thread parses the command line.
 * A JVM spends most of a guard's start loading, verifying and initialising about 2,500 classes, nearly all on the main
 * thread; on a machine with two CPUs or more this moves part of that off the path to the command's start.
 *
 * <pre>{@code
 * StartUpWarmUp.begin(args);   // first thing in main: returns at once
 * }</pre>
 *
 * <p>It changes nothing the guard does: a class initialised here is the class the guard would have initialised
 * (class initialisation is once per JVM, and a thread that needs a class another thread is initialising waits for
 * it). A name that no longer exists is skipped. A class whose initialisation fails (JNA cannot load its native library:
 * a {@code noexec} temporary directory, another platform) is logged at WARN with the cause, and the warm-up stops: on
 * Java 17 the guard's own later use of that class only says "Could not initialize class", so the cause is said here.
 * Not started for {@code --help}, {@code --version} and {@code --list-keys}, which start no guard.
 */
final class StartUpWarmUp {

    /**
     * Classes whose loading and static initialisation the guard's start waits for, in the order it needs them; each
     * pulls in its superclasses and interfaces. None of another module's {@code internal} packages (those are its
     * own: {@code EnvironGuard} loads them). JNA's {@code Native} extracts and loads its native library, and the
     * bindings register their functions: the longest single step. A name that goes stale costs only its gain.
     */
    static final List<String> CLASSES = List.of(
            "io.environguard.api.GuardConfig",
            "io.environguard.ci.TreeGuard",
            "io.environguard.ci.ProcLineage",
            "io.environguard.ci.RunJudge",
            "io.environguard.linux.proc.ProcessInspector",
            "io.environguard.policy.PolicyConfig",
            "io.environguard.policy.Policy",
            "io.environguard.EnvironGuard",
            "com.sun.jna.Native",
            "io.environguard.linux.nativeio.LinuxLibC",
            "io.environguard.linux.fanotify.FanotifySupport",
            "io.environguard.linux.fanotify.FanotifyHostSource",
            "io.environguard.linux.process.ProcessTable",
            "io.environguard.linux.process.ProcConnectorFeed",
            "io.environguard.linux.process.ProcEventApplier",
            "io.environguard.linux.process.ExecLog",
            "io.environguard.linux.fanotify.ProcInstanceTracker",
            "io.environguard.linux.fanotify.KernelReader",
            "io.environguard.linux.fanotify.AccessResolver",
            "io.environguard.linux.fanotify.MountNamespaceWatch");

    /** Options after which the monitor starts no guard. */
    private static final Set<String> NO_GUARD = Set.of("-h", "--help", "-V", "--version", "--list-keys");

    private StartUpWarmUp() {
    }

    /**
     * Starts the warm-up on a daemon thread and returns at once; does nothing when {@code args} ask for help, the
     * version or the keys.
     *
     * @param args the monitor's arguments
     */
    static void begin(String[] args) {
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            if (NO_GUARD.contains(a)) {
                return;
            }
        }
        ClassLoader loader = StartUpWarmUp.class.getClassLoader();
        Thread t = new Thread(() -> warmUp(loader), "start-up-warm-up (environguard)");
        t.setDaemon(true);
        t.start();
    }

    private static void warmUp(ClassLoader loader) {
        for (String name : CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException e) {
                // a stale name: the guard loads what it needs itself
            } catch (LinkageError | RuntimeException e) {
                Throwable why = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
                LoggerFactory.getLogger(StartUpWarmUp.class).warn("{} could not be initialised ({}); the guard's start"
                        + " fails on it too", name, why.toString());
                return; // what follows needs it, most likely
            }
        }
    }
}
