/**
 * The procfs polling source ({@code procfs}, no privilege and no native code): scans {@code /proc} for descriptors
 * held open on environ and mem files and for command lines naming them. Configured by
 * {@link io.environguard.linux.procfs.ProcfsSettings}.
 */
package io.environguard.linux.procfs;
