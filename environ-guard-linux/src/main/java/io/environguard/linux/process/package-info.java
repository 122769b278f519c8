/**
 * The process table: every process on the host, one {@link io.environguard.linux.process.ProcessRecord} per
 * generation (pid + start time), captured when it appears (exe with its device and inode, comm, redacted command
 * line, uids, parent, start time, container, namespaces) so that a reader that exits at once can still be named,
 * with its lineage. A {@link io.environguard.linux.process.ProcessTable} is kept current by a
 * {@link io.environguard.linux.process.ProcessFeed}: the kernel's proc connector and exec log
 * ({@link io.environguard.linux.process.ProcConnectorFeed}, needs {@code CAP_NET_ADMIN}), or polling {@code /proc}
 * ({@link io.environguard.linux.process.ProcScanFeed}) where the kernel refuses it. Exited processes stay as
 * tombstones, bounded by {@link io.environguard.linux.process.ProcessTableSettings}.
 *
 * <pre>{@code
 * ProcessTable table = new ProcessTable(ProcessTableSettings.defaults());
 * ProcessRecord reader = table.live(4242);
 * }</pre>
 */
package io.environguard.linux.process;
