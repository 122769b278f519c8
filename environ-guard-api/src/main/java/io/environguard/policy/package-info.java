/**
 * The policy: turns each {@link io.environguard.api.EnvironAccess} into an {@link io.environguard.api.Alert}
 * or nothing. {@link io.environguard.policy.Policy} holds the rules and their order,
 * {@link io.environguard.policy.PolicyConfig} the settings and their configuration keys,
 * {@link io.environguard.policy.AllowRule} the allow rules and their text form.
 */
package io.environguard.policy;
