/**
 * Reading {@code /proc} in plain Java under a configurable root: {@link io.environguard.linux.proc.ProcessInspector}
 * turns a pid into a {@link io.environguard.api.ProcessInfo}, {@link io.environguard.linux.proc.ProcPaths}
 * classifies the paths the kernel prints, and a parser per file format returns a record or a
 * {@link io.environguard.linux.proc.ProcParseException}, never file content in a message.
 *
 * <pre>{@code
 * ProcessInfo info = new ProcessInspector(Path.of("/proc")).inspect(4242);
 * }</pre>
 */
package io.environguard.linux.proc;
