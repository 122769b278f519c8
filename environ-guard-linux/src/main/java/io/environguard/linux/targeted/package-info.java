/**
 * The targeted fanotify source ({@code targeted}, works unprivileged for the caller's own processes): inode marks
 * on every alias of chosen processes' environ and mem. Users meet only
 * {@link io.environguard.linux.targeted.TargetedFanotifySourceProvider}, through {@link java.util.ServiceLoader}.
 */
package io.environguard.linux.targeted;
