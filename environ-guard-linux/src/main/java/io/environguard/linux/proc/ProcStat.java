package io.environguard.linux.proc;

/**
 * The fields environ-guard uses from {@code /proc/P/stat} (see {@code man 5 proc}).
 *
 * <pre>{@code
 * ProcStat stat = ProcStatParser.parse(Files.readAllBytes(Path.of("/proc/self/stat")));
 * long startedAt = stat.startTime();
 * }</pre>
 *
 * @param pid       field 1: the process (or, in a {@code task/} directory, thread) id
 * @param comm      field 2 without its parentheses, decoded as UTF-8 (bad bytes become U+FFFD); may hold
 *                  spaces, parentheses and newlines
 * @param state     field 3: {@code R}, {@code S}, {@code D}, {@code Z}, ...
 * @param ppid      field 4: parent process id ({@code 0} for init and kernel threads' parent)
 * @param startTime field 22: start time in clock ticks since boot
 * @param envStart  field 50: address of the environment block, {@code 0} when the kernel hides it from
 *                  this reader, {@code -1} when the line has no such field (kernels before 3.5)
 * @param envEnd    field 51: end address of the environment block; same conventions as {@code envStart}
 */
public record ProcStat(int pid, String comm, char state, int ppid, long startTime, long envStart, long envEnd) {
}
