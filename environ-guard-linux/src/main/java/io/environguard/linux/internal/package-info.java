/**
 * Helpers the Linux sources share that are neither native nor about {@code /proc}.
 * <b>Not for public use</b>: classes here may change or disappear in any release, and are left out of the
 * Javadoc.
 */
package io.environguard.linux.internal;
