/**
 * The JNA bindings and the small native helpers the Linux sources share (libc by direct mapping, fanotify's ABI,
 * pidfds, poll). <b>Not for public use</b>: classes here may change or disappear in any release, and are left out of
 * the Javadoc; they are public only so that the source packages of this module can share them.
 */
package io.environguard.linux.nativeio;
