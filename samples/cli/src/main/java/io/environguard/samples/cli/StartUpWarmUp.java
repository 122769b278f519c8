package io.environguard.samples.cli;

import java.util.List;

/**
 * Loads and initialises, on a thread of its own, the classes that starting a guard needs (JNA and its native library,
 * the fanotify source, the process table, the pipeline, the CI guard), while the main thread parses the command line.
 * A JVM spends most of a guard's start loading, verifying and initialising about 2,500 classes, nearly all on the main
 * thread; on a machine with two CPUs or more this moves part of that off the path to the command's start.
 *
 * <pre>{@code
 * StartUpWarmUp.begin();   // first thing in main: returns at once
 * }</pre>
 *
 * <p>It changes nothing the guard does: a class initialised here is the class the guard would have initialised
 * (class initialisation is once per JVM, and a thread that needs a class another thread is initialising waits for
 * it). A class that cannot be loaded (another platform, a stale name) is skipped: the guard then loads it itself, or
 * reports why it cannot.
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

    private StartUpWarmUp() {
    }

    /** Starts the warm-up on a daemon thread, at low priority, and returns at once. */
    static void begin() {
        ClassLoader loader = StartUpWarmUp.class.getClassLoader();
        Thread t = new Thread(() -> {
            for (String name : CLASSES) {
                try {
                    Class.forName(name, true, loader);
                } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                    // skipped: the guard loads it itself, or says why it cannot
                }
            }
        }, "start-up-warm-up (environguard)");
        t.setDaemon(true);
        t.start();
    }
}
