/*
 * The C reference listener of the fanotify benchmark: the least a listener can do with the same group
 * and the same mark as environ-guard's fanotify host source, so that the Java source's cost per event
 * can be put next to the kernel's and libc's own.
 *
 *   fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_PIDFD | FAN_REPORT_FD_ERROR
 *                 [| FAN_UNLIMITED_QUEUE], O_RDONLY | O_LARGEFILE | O_CLOEXEC)
 *   fanotify_mark(FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN, AT_FDCWD, "/proc")
 *
 * Per event: readlink of /proc/self/fd/N, a suffix check for /environ or /mem, close of the event fd and
 * of the pidfd. A hit (an environ or mem open) is stamped with CLOCK_MONOTONIC and kept in memory; it is
 * printed only when asked, so that printing costs nothing while events are measured.
 *
 * Usage: reflistener [--unlimited-queue]
 * It prints "ready" once the mark is in place, then answers one line per command on stdin:
 *   stats          -> "stats events=N cpu_ns=N hits=N fd_errors=N overflows=N"
 *   seen PID       -> "seen T" (CLOCK_MONOTONIC ns of the first hit by reader PID) or "seen -1"
 *   count PID      -> "count N": hits by reader PID
 *   dump           -> "hit T PID PATH" per hit since the last dump, then "end"; the hits are forgotten
 *   quit (or EOF)  -> exits
 * Build: gcc -O2 -Wall -o reflistener reflistener.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x00000080
#endif
#ifndef FAN_REPORT_FD_ERROR
#define FAN_REPORT_FD_ERROR 0x00002000 /* Linux 6.13; newer than many installed headers */
#endif
#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD 4
#endif

#define BUFFER_SIZE (64 * 1024)
#define MAX_HITS (1 << 20)
#define MAX_PATH 4096

struct hit {
    int64_t time_ns;
    int32_t pid;
    char path[64]; /* /proc/<pid>/task/<tid>/environ fits; longer paths are cut, which the harness never makes */
};

static struct hit *hits;
static long hit_count;     /* kept since the last dump */
static long hits_total;
static long events;
static long fd_errors;
static long overflows;

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int ends_with(const char *s, ssize_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= (ssize_t) n && memcmp(s + len - n, suffix, n) == 0;
}

static int pidfd_of(const struct fanotify_event_metadata *m)
{
    const char *info = (const char *) m + m->metadata_len;
    const char *end = (const char *) m + m->event_len;
    while (end - info >= (ptrdiff_t) sizeof(struct fanotify_event_info_header)) {
        const struct fanotify_event_info_header *h = (const void *) info;
        if (h->len < sizeof(*h) || h->len > end - info) {
            return -1;
        }
        if (h->info_type == FAN_EVENT_INFO_TYPE_PIDFD && h->len >= 8) {
            int32_t fd;
            memcpy(&fd, info + 4, sizeof(fd));
            return fd;
        }
        info += h->len;
    }
    return -1;
}

static void handle(const struct fanotify_event_metadata *m)
{
    static char link[MAX_PATH];
    char fdpath[32];
    int pidfd = pidfd_of(m);

    events++;
    if (m->mask & FAN_Q_OVERFLOW) {
        overflows++;
    } else if (m->fd < 0) {
        fd_errors++;
    } else {
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", m->fd);
        ssize_t n = readlink(fdpath, link, sizeof(link));
        if (n > 0 && (ends_with(link, n, "/environ") || ends_with(link, n, "/mem"))) {
            if (hit_count < MAX_HITS) {
                struct hit *h = &hits[hit_count++];
                h->time_ns = now_ns(CLOCK_MONOTONIC);
                h->pid = m->pid;
                size_t len = (size_t) n < sizeof(h->path) - 1 ? (size_t) n : sizeof(h->path) - 1;
                memcpy(h->path, link, len);
                h->path[len] = '\0';
            }
            hits_total++;
        }
    }
    if (m->fd >= 0) {
        close(m->fd);
    }
    if (pidfd >= 0) {
        close(pidfd);
    }
}

static void drain(int fan)
{
    static char buf[BUFFER_SIZE] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    for (;;) {
        ssize_t len = read(fan, buf, sizeof(buf));
        if (len < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                fd_errors++; /* ESRCH or EMFILE on the first event of a read: the event is gone */
                continue;
            }
            return;
        }
        if (len == 0) {
            return;
        }
        const struct fanotify_event_metadata *m = (const void *) buf;
        while (FAN_EVENT_OK(m, len)) {
            if (m->vers != FANOTIFY_METADATA_VERSION) {
                fprintf(stderr, "reflistener: fanotify metadata version %d\n", m->vers);
                exit(2);
            }
            handle(m);
            m = FAN_EVENT_NEXT(m, len);
        }
    }
}

static void command(char *line)
{
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, "stats") == 0) {
        printf("stats events=%ld cpu_ns=%lld hits=%ld fd_errors=%ld overflows=%ld\n", events,
               (long long) now_ns(CLOCK_PROCESS_CPUTIME_ID), hits_total, fd_errors, overflows);
    } else if (strncmp(line, "seen ", 5) == 0) {
        int pid = atoi(line + 5);
        long long t = -1;
        for (long i = 0; i < hit_count; i++) {
            if (hits[i].pid == pid) {
                t = hits[i].time_ns;
                break;
            }
        }
        printf("seen %lld\n", t);
    } else if (strncmp(line, "count ", 6) == 0) {
        int pid = atoi(line + 6);
        long n = 0;
        for (long i = 0; i < hit_count; i++) {
            n += hits[i].pid == pid;
        }
        printf("count %ld\n", n);
    } else if (strcmp(line, "dump") == 0) {
        for (long i = 0; i < hit_count; i++) {
            printf("hit %lld %d %s\n", (long long) hits[i].time_ns, hits[i].pid, hits[i].path);
        }
        hit_count = 0;
        printf("end\n");
    } else if (strcmp(line, "quit") == 0) {
        exit(0);
    } else {
        printf("error unknown command\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    unsigned int flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_PIDFD | FAN_REPORT_FD_ERROR;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--unlimited-queue") == 0) {
            flags |= FAN_UNLIMITED_QUEUE;
        } else {
            fprintf(stderr, "usage: reflistener [--unlimited-queue]\n");
            return 2;
        }
    }
    hits = calloc(MAX_HITS, sizeof(*hits));
    if (hits == NULL) {
        perror("reflistener: calloc");
        return 1;
    }
    int fan = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (fan < 0) {
        perror("reflistener: fanotify_init");
        return 1;
    }
    if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN, AT_FDCWD, "/proc") != 0) {
        perror("reflistener: fanotify_mark /proc");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);

    struct pollfd fds[2] = {{.fd = fan, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
    char line[256];
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("reflistener: poll");
            return 1;
        }
        if (fds[0].revents & POLLIN) {
            drain(fan);
        }
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            /* The harness sends one command and waits for its answer, so a line is there whole. */
            ssize_t n = read(STDIN_FILENO, line, sizeof(line) - 1);
            if (n <= 0) {
                return 0;
            }
            line[n] = '\0';
            for (char *cmd = strtok(line, "\n"); cmd != NULL; cmd = strtok(NULL, "\n")) {
                command(cmd);
            }
        }
    }
}
