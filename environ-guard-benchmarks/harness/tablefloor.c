// The floor of the process table's cost on a fork+exec workload (issue 11): listens to the kernel the way the
// guard's feed does and does nothing with what it gets, so the workload's slow-down measured beside it is what the
// kernel and the wake-ups cost, with no Java in it. run-table-floor.sh drives it; BENCHMARKS.md has the figures.
//
// usage: tablefloor MODE SECONDS [WINDOW_MICROS]
//   perf         the exec log's perf side-band events (mmap, mmap2, comm, comm_exec; one per CPU), read every window
//   cn           the proc connector, woken by every message (poll, then read what is there)
//   gathercn     woken by a message, then lets more gather for WINDOW (2000 us) before reading: the guard's feed
//   timercn      looks every WINDOW on its own timer while messages come, waits in poll only after an empty look
//   gatherboth, timerboth, both: the same with the perf events as well
#define _GNU_SOURCE
#include <linux/connector.h>
#include <linux/cn_proc.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define PAGES 32
static long msgs, recs, wakes;
static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static int cn_open(void) {
    int s = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = getpid()};
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0) { perror("cn"); exit(1); }
    int rcv = 4 << 20; setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);
    struct { struct nlmsghdr h; struct cn_msg c; enum proc_cn_mcast_op op; } __attribute__((packed)) m;
    memset(&m, 0, sizeof m);
    m.h.nlmsg_len = sizeof m; m.h.nlmsg_pid = getpid(); m.h.nlmsg_type = NLMSG_DONE;
    m.c.id.idx = CN_IDX_PROC; m.c.id.val = CN_VAL_PROC; m.c.len = sizeof m.op; m.op = PROC_CN_MCAST_LISTEN;
    if (send(s, &m, sizeof m, 0) < 0) { perror("listen"); exit(1); }
    return s;
}

static int pfds[64]; static void *maps[64]; static int ncpu;
static void perf_open(void) {
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < ncpu; c++) {
        struct perf_event_attr at; memset(&at, 0, sizeof at);
        at.type = PERF_TYPE_SOFTWARE; at.size = sizeof at; at.config = PERF_COUNT_SW_DUMMY;
        at.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
        at.mmap = 1; at.comm = 1; at.sample_id_all = 1; at.mmap2 = 1; at.comm_exec = 1; at.use_clockid = 1;
        at.clockid = CLOCK_MONOTONIC;
        int fd = syscall(SYS_perf_event_open, &at, -1, c, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) { perror("perf"); exit(1); }
        void *m = mmap(NULL, (PAGES + 1) * 4096L, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) { perror("mmap"); exit(1); }
        pfds[c] = fd; maps[c] = m;
    }
}
static void perf_drain(void) {
    for (int c = 0; c < ncpu; c++) {
        struct perf_event_mmap_page *p = maps[c];
        unsigned long head = __atomic_load_n(&p->data_head, __ATOMIC_ACQUIRE), tail = p->data_tail;
        char *data = (char *)maps[c] + 4096;
        while (tail < head) {
            struct perf_event_header *h = (void *)(data + (tail % (PAGES * 4096L)));
            tail += h->size; recs++;
        }
        __atomic_store_n(&p->data_tail, tail, __ATOMIC_RELEASE);
    }
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: tablefloor MODE SECONDS [WINDOW_MICROS]\n"); return 2; }
    int cn = -1, perf = 0, mode = 0;
    int gather = argc > 3 ? atoi(argv[3]) : 2000;
    if (!strncmp(argv[1], "gather", 6)) { mode = 1; argv[1] += 6; }
    else if (!strncmp(argv[1], "timer", 5)) { mode = 2; argv[1] += 5; }
    if (!strcmp(argv[1], "cn") || !strcmp(argv[1], "both")) cn = cn_open();
    if (!strcmp(argv[1], "perf") || !strcmp(argv[1], "both")) { perf_open(); perf = 1; }
    int secs = atoi(argv[2]);
    struct timespec t0, t; clock_gettime(CLOCK_MONOTONIC, &t0);
    char buf[65536];
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec >= secs) break;
        if (cn >= 0 && mode == 0) {
            struct pollfd pf = {.fd = cn, .events = POLLIN};
            if (poll(&pf, 1, 2) > 0) while (recv(cn, buf, sizeof buf, MSG_DONTWAIT) > 0) msgs++;
        } else if (cn >= 0 && mode == 1) {
            struct pollfd pf = {.fd = cn, .events = POLLIN};
            if (poll(&pf, 1, 2) > 0) { usleep(gather); while (recv(cn, buf, sizeof buf, MSG_DONTWAIT) > 0) msgs++; }
        } else if (cn >= 0 && mode == 2) {
            usleep(gather); int n = 0;
            while (recv(cn, buf, sizeof buf, MSG_DONTWAIT) > 0) { msgs++; n++; }
            if (n == 0) { struct pollfd pf = {.fd = cn, .events = POLLIN}; if (poll(&pf, 1, 100) > 0) wakes++; }
        } else usleep(2000);
        if (perf) perf_drain();
    }
    fprintf(stderr, "tablefloor %s mode %d: %ld proc connector messages, %ld perf records, %ld idle wakes\n", argv[1], mode, msgs, recs, wakes);
    return 0;
}
