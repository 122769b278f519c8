package io.environguard.ci;

/**
 * A process above the guarded tree's root (the guard, the shell that started it, the CI runner): its secrets are
 * what a compromised build is after, so a read of its {@code environ} or {@code mem} by the tree is the worst case.
 *
 * <pre>{@code
 * List<GuardedProcess> above = new ProcLineage(Path.of("/proc")).above(ProcessHandle.current().pid());
 * }</pre>
 *
 * @param id   pid and start time
 * @param uid  real user id, or {@code -1}
 * @param comm the kernel's short name, or {@code null}
 * @param exe  the resolved executable, or {@code null} (another user's process may not say)
 */
public record GuardedProcess(ProcessId id, int uid, String comm, String exe) {
}
