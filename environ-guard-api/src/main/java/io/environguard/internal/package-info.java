/**
 * The pipeline's implementation: provider loading, source selection, sink assembly, dispatch.
 * <b>Not for public use</b>: classes here may change or disappear in any release, and are left out of the
 * Javadoc. Use {@link io.environguard.EnvironGuard} and the {@code api}, {@code spi}, {@code policy} and
 * {@code sink} packages.
 */
package io.environguard.internal;
