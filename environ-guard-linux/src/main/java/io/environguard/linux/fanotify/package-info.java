/**
 * The fanotify host source ({@code fanotify}, needs {@code CAP_SYS_ADMIN}): a filesystem mark on every procfs
 * instance, every open of an environ or mem file resolved to its reader and target. Users meet only
 * {@link io.environguard.linux.fanotify.FanotifyHostSourceProvider}, through {@link java.util.ServiceLoader}.
 */
package io.environguard.linux.fanotify;
