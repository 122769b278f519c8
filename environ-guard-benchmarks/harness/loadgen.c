/*
 * The load generator of the fanotify benchmark. It only ever touches processes it forked itself; every
 * child it forks dies with it (PR_SET_PDEATHSIG) and is killed and reaped before it exits.
 *
 *   loadgen opens N
 *       N x open + read + close of /proc/<own pid>/stat, as fast as possible.
 *       -> "opens n=N elapsed_ns=T cpu_ns=C"
 *   loadgen exec N CMD [ARG...]
 *       N x fork + exec + wait of CMD, its output to /dev/null (e.g. "ps aux").
 *       -> "exec n=N elapsed_ns=T cpu_ns=C failures=F" (C: the CPU time of the N children)
 *   loadgen burst LISTENER_PID EVENTS CHILDREN
 *       Forks CHILDREN idle children and lists the /proc/<child>/<file> paths that open (distinct paths, so
 *       that the kernel does not merge queued events), prints "prepared paths=P", waits for "go" on stdin,
 *       stops the listener (SIGSTOP), makes EVENTS opens, opens the environ of its first child last (the
 *       marker: once a listener has seen it, it has drained the backlog), resumes the listener (SIGCONT)
 *       and prints "burst opens=N reader=PID marker_ns=T cont_ns=T". Waits for "done" on stdin (the
 *       children must outlive the drain: an event whose process exited cannot be opened), then cleans up.
 *   loadgen latency SAMPLES GAP_US HOLD_MS
 *       Forks one idle target, then SAMPLES readers, one every GAP_US: each stamps CLOCK_MONOTONIC (and
 *       CLOCK_REALTIME), opens, reads and closes the target's environ, prints
 *       "open READER_PID T_NS TARGET_PID REALTIME_NS", and stays
 *       alive HOLD_MS before it exits (a reader that is still there, as an attacker's shell would be).
 *       Prints "finished", waits for "done" on stdin, then cleans up.
 *   loadgen sweep TARGETS
 *       Forks TARGETS idle children, prints "prepared", waits for "go", then opens + reads + closes the
 *       environ of each, as fast as possible, and prints
 *       "sweep reader=PID targets=K ok=K elapsed_ns=T start_ns=T" (start: CLOCK_MONOTONIC).
 *       Waits for "done" on stdin, then cleans up.
 *
 * Build: gcc -O2 -Wall -o loadgen loadgen.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t *children;
static int child_count;

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* Forks an idle child that dies with this process. */
static pid_t spawn_idle(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        die("loadgen: fork");
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(0); /* the parent died before the death signal was armed */
        }
        for (;;) {
            pause();
        }
    }
    return pid;
}

static void spawn_children(int n)
{
    children = calloc((size_t) n, sizeof(pid_t));
    if (children == NULL) {
        die("loadgen: calloc");
    }
    for (int i = 0; i < n; i++) {
        children[i] = spawn_idle();
        child_count++;
    }
}

static void kill_children(void)
{
    for (int i = 0; i < child_count; i++) {
        kill(children[i], SIGKILL);
    }
    for (int i = 0; i < child_count; i++) {
        waitpid(children[i], NULL, 0);
    }
    child_count = 0;
}

/* Blocks until the harness writes WORD (or closes stdin). */
static void await_word(const char *word)
{
    char line[64];
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, word) == 0) {
            return;
        }
    }
}

static int open_read_close(const char *path, int do_read)
{
    static char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    if (do_read) {
        while (read(fd, buf, sizeof(buf)) > 0) {
        }
    }
    close(fd);
    return 0;
}

static int cmd_opens(long n)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", getpid());
    int64_t c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) {
        if (open_read_close(path, 1) != 0) {
            die("loadgen: open");
        }
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    int64_t c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    printf("opens n=%ld elapsed_ns=%lld cpu_ns=%lld\n", n, (long long) (t1 - t0), (long long) (c1 - c0));
    return 0;
}

static int64_t children_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return ((int64_t) ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
           + ((int64_t) ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static int cmd_exec(long n, char **argv)
{
    long failures = 0;
    int64_t c0 = children_cpu_ns();
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            die("loadgen: fork");
        }
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            if (null >= 0) {
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
            }
            execvp(argv[0], argv);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failures++;
        }
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    int64_t c1 = children_cpu_ns();
    printf("exec n=%ld elapsed_ns=%lld cpu_ns=%lld failures=%ld\n", n, (long long) (t1 - t0), (long long) (c1 - c0),
           failures);
    return failures == 0 ? 0 : 1;
}

/* Files of /proc/<pid>/ that open cheaply for root and never name environ or mem. */
static const char *const PER_PROCESS_FILES[] = {
    "stat", "statm", "status", "cmdline", "comm", "limits", "sched", "schedstat", "wchan", "cgroup",
    "oom_score", "oom_adj", "oom_score_adj", "loginuid", "sessionid", "personality", "io", "maps",
    "smaps_rollup", "mountinfo", "mounts", "cpuset", "timerslack_ns", "auxv", "syscall", "stack",
    "coredump_filter", "uid_map", "gid_map", "setgroups", "timers", "arch_status", "numa_maps",
};

static int cmd_burst(pid_t listener, long events, int nchildren)
{
    spawn_children(nchildren);
    size_t nfiles = sizeof(PER_PROCESS_FILES) / sizeof(PER_PROCESS_FILES[0]);
    char (*paths)[48] = calloc((size_t) nchildren * nfiles, sizeof(*paths));
    if (paths == NULL) {
        die("loadgen: calloc");
    }
    /* Which files exist is asked with stat(), which opens nothing: a listener must meet every file of the
     * burst for the first time, or one that suppresses opens of files it has seen (ignore marks) would be
     * measured on a smaller backlog than the other. */
    long count = 0;
    for (int c = 0; c < nchildren; c++) {
        for (size_t f = 0; f < nfiles; f++) {
            struct stat st;
            snprintf(paths[count], sizeof(paths[count]), "/proc/%d/%s", children[c], PER_PROCESS_FILES[f]);
            if (stat(paths[count], &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRUSR)) {
                count++;
            }
        }
    }
    if (count == 0) {
        fprintf(stderr, "loadgen: no /proc file opened\n");
        kill_children();
        return 1;
    }
    char marker[64];
    snprintf(marker, sizeof(marker), "/proc/%d/environ", children[0]);
    printf("prepared paths=%ld\n", count);
    fflush(stdout);
    await_word("go");

    if (kill(listener, SIGSTOP) != 0) {
        die("loadgen: SIGSTOP to the listener");
    }
    for (long i = 0; i < events; i++) {
        open_read_close(paths[i % count], 0);
    }
    int64_t marker_ns = now_ns(CLOCK_MONOTONIC);
    if (open_read_close(marker, 1) != 0) {
        perror("loadgen: marker");
    }
    int64_t cont_ns = now_ns(CLOCK_MONOTONIC);
    if (kill(listener, SIGCONT) != 0) {
        die("loadgen: SIGCONT to the listener");
    }
    printf("burst opens=%ld reader=%d marker_ns=%lld cont_ns=%lld\n", events, getpid(), (long long) marker_ns,
           (long long) cont_ns);
    fflush(stdout);
    await_word("done");
    kill_children();
    return 0;
}

static int cmd_latency(long samples, long gap_us, long hold_ms)
{
    spawn_children(1);
    pid_t target = children[0];
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/environ", target);
    pid_t *readers = calloc((size_t) samples, sizeof(pid_t));
    if (readers == NULL) {
        die("loadgen: calloc");
    }
    fflush(stdout);
    for (long i = 0; i < samples; i++) {
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
            die("loadgen: fork");
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) {
                _exit(0);
            }
            char line[128];
            int64_t real = now_ns(CLOCK_REALTIME);
            int64_t t = now_ns(CLOCK_MONOTONIC);
            int ok = open_read_close(path, 1) == 0;
            int len = snprintf(line, sizeof(line), "open %d %lld %d %lld%s\n", getpid(), (long long) t, target,
                               (long long) real, ok ? "" : " failed");
            /* One write of less than PIPE_BUF: lines of concurrent readers never interleave. */
            if (write(STDOUT_FILENO, line, (size_t) len) < 0) {
                _exit(1);
            }
            usleep((useconds_t) hold_ms * 1000);
            _exit(0);
        }
        readers[i] = pid;
        usleep((useconds_t) gap_us);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
    }
    for (long i = 0; i < samples; i++) {
        waitpid(readers[i], NULL, 0);
    }
    printf("finished\n");
    fflush(stdout);
    await_word("done");
    kill_children();
    return 0;
}

static int cmd_sweep(int targets)
{
    spawn_children(targets);
    char (*paths)[48] = calloc((size_t) targets, sizeof(*paths));
    if (paths == NULL) {
        die("loadgen: calloc");
    }
    for (int i = 0; i < targets; i++) {
        snprintf(paths[i], sizeof(paths[i]), "/proc/%d/environ", children[i]);
    }
    printf("prepared\n");
    fflush(stdout);
    await_word("go");
    int ok = 0;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < targets; i++) {
        if (open_read_close(paths[i], 1) == 0) {
            ok++;
        }
    }
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    printf("sweep reader=%d targets=%d ok=%d elapsed_ns=%lld start_ns=%lld\n", getpid(), targets, ok,
           (long long) (t1 - t0), (long long) t0);
    fflush(stdout);
    await_word("done");
    kill_children();
    return 0;
}

static long arg_long(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "loadgen: bad number %s (expected %ld..%ld)\n", s, min, max);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    /* Children would inherit a line-buffered copy of unflushed output; keep stdout flushed at each fork. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "opens") == 0) {
        return cmd_opens(arg_long(argv[2], 1, 100000000));
    }
    if (argc >= 4 && strcmp(argv[1], "exec") == 0) {
        return cmd_exec(arg_long(argv[2], 1, 100000), argv + 3);
    }
    if (argc == 5 && strcmp(argv[1], "burst") == 0) {
        return cmd_burst((pid_t) arg_long(argv[2], 2, 1 << 22), arg_long(argv[3], 1, 100000000),
                         (int) arg_long(argv[4], 1, 4000));
    }
    if (argc == 5 && strcmp(argv[1], "latency") == 0) {
        return cmd_latency(arg_long(argv[2], 1, 100000), arg_long(argv[3], 0, 1000000), arg_long(argv[4], 0, 10000));
    }
    if (argc == 3 && strcmp(argv[1], "sweep") == 0) {
        return cmd_sweep((int) arg_long(argv[2], 1, 4000));
    }
    fprintf(stderr, "usage: loadgen opens N | exec N CMD... | burst LISTENER_PID EVENTS CHILDREN"
                    " | latency SAMPLES GAP_US HOLD_MS | sweep TARGETS\n");
    return 2;
}
