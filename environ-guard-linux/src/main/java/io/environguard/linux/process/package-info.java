/**
 * The process table every Linux source resolves readers and targets through: {@link
 * io.environguard.linux.process.ProcessTable} (one record per process generation, pid + start time, tombstones
 * after exit), kept current by the kernel's proc connector ({@link io.environguard.linux.process.ProcConnectorFeed})
 * or, without it, by polling {@code /proc} ({@link io.environguard.linux.process.ProcScanFeed}); {@link
 * io.environguard.linux.process.ProcessLookup} turns a pid into an alert's {@code ProcessInfo} with its lineage.
 * Configured by {@link io.environguard.linux.process.ProcessTableSettings} ({@code environguard.process-table.}).
 *
 * <pre>{@code
 * ProcessTable table = new ProcessTable(ProcessTableSettings.defaults());
 * ProcessRecord reader = table.live(4242);
 * }</pre>
 */
package io.environguard.linux.process;
