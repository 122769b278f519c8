/**
 * In-process self-protection: {@link io.environguard.linux.hardening.Hardening#makeNonDumpable()} and
 * {@link io.environguard.linux.hardening.Hardening#scrub(String...)} keep this JVM's environment from other
 * processes.
 */
package io.environguard.linux.hardening;
