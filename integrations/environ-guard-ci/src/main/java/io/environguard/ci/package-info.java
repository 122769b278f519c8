/**
 * Guarding a process tree (a CI command, a build): {@link io.environguard.ci.TreeGuard} starts a guard (the fanotify
 * host source with root; without root, the targeted source on the guard's JVM and the processes above it that its
 * user owns), {@link io.environguard.ci.CommandTree} places each reader in the tree or outside it by its lineage
 * (pid and start time, from the process table), and {@link io.environguard.ci.RunJudge} turns the tree's reads of
 * another process's environ or mem into {@link io.environguard.ci.Finding}s. {@link io.environguard.ci.Reports},
 * {@link io.environguard.ci.JUnitReport} and {@link io.environguard.ci.JsonlFindings} write them for people and CI
 * servers. The host monitor's {@code environ-guard run -- <command>} and the Maven extension are built on it.
 *
 * <pre>{@code
 * try (TreeGuard guard = TreeGuard.builder().config(GuardConfig.load()).start()) {
 *     Process command = new ProcessBuilder("make", "test").inheritIO().start();
 *     guard.rootIs(command.pid());
 *     command.waitFor();
 *     RunVerdict verdict = guard.finish();
 * }
 * }</pre>
 */
package io.environguard.ci;
