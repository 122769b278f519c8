/**
 * The guard: {@link io.environguard.EnvironGuard} wires one event source, the policy and the sinks together.
 *
 * <pre>{@code
 * try (EnvironGuard guard = EnvironGuard.builder().config(GuardConfig.load()).build().start()) {
 *     System.err.println(guard.coverage());
 * }
 * }</pre>
 *
 * <p>The model and configuration are in {@link io.environguard.api}, the plug-in interfaces in
 * {@link io.environguard.spi}, the rules in {@link io.environguard.policy}, the built-in sinks and alert formats in
 * {@link io.environguard.sink}.
 */
package io.environguard;
