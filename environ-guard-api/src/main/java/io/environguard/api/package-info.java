/**
 * The model: what was read ({@link io.environguard.api.EnvironAccess}, {@link io.environguard.api.ProcessInfo}),
 * what the policy made of it ({@link io.environguard.api.Alert}, {@link io.environguard.api.Severity},
 * {@link io.environguard.api.Rules}), what the guard counts ({@link io.environguard.api.GuardStats}) and covers
 * ({@link io.environguard.api.Coverage}), and the configuration ({@link io.environguard.api.GuardConfig},
 * {@link io.environguard.api.ConfigKey}). Pure data: nothing here depends on another package of the library.
 */
package io.environguard.api;
