/*
 * What one hand-off between threads costs on this machine, for the open -> alert latency goal of issue 11: a
 * thread stamps CLOCK_MONOTONIC and wakes a sleeping thread through a futex (what a Java LockSupport.unpark comes
 * down to); the woken thread stamps again. The hand-offs are spaced (1 ms by default), so the woken thread is
 * asleep each time, as the guard's resolver and sink threads are between two lone opens. CHAIN threads in a row
 * give the latency of CHAIN hand-offs (the guard's path from the kernel-read thread to a sink has two: resolver,
 * sink lane). Prints p50, p90 and p99 in microseconds.
 *
 * Usage: handoff [COUNT] [SPACING_US] [CHAIN]      (defaults 3000, 1000, 1)
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -o handoff handoff.c
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHAIN 8

static atomic_int word[MAX_CHAIN + 1];
static int64_t *stamp_start, *stamp_end;
static int count, chain;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void wake(atomic_int *w) {
    atomic_store(w, 1);
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void wait_for(atomic_int *w) {
    while (atomic_load(w) == 0) {
        syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    }
    atomic_store(w, 0);
}

static void *link_thread(void *arg) {
    int i = (int)(intptr_t)arg; /* waits on word[i], wakes word[i + 1]; the last one stamps */
    for (int n = 0; n < count; n++) {
        wait_for(&word[i]);
        if (i == chain - 1) {
            stamp_end[n] = now_ns();
            wake(&word[chain]); /* back to the main thread, not timed */
        } else {
            wake(&word[i + 1]);
        }
    }
    return NULL;
}

static int cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    count = argc > 1 ? atoi(argv[1]) : 3000;
    int spacing = argc > 2 ? atoi(argv[2]) : 1000;
    chain = argc > 3 ? atoi(argv[3]) : 1;
    if (count < 1 || count > 1000000 || spacing < 0 || chain < 1 || chain > MAX_CHAIN) {
        fprintf(stderr, "usage: handoff [COUNT 1..1000000] [SPACING_US] [CHAIN 1..%d]\n", MAX_CHAIN);
        return 2;
    }
    size_t slots = (unsigned)count; /* 1..1000000, checked above */
    stamp_start = calloc(slots, sizeof(int64_t));
    stamp_end = calloc(slots, sizeof(int64_t));
    pthread_t threads[MAX_CHAIN];
    for (int i = 0; i < chain; i++) {
        pthread_create(&threads[i], NULL, link_thread, (void *)(intptr_t)i);
    }
    usleep(100000);
    for (int n = 0; n < count; n++) {
        usleep(spacing);
        stamp_start[n] = now_ns();
        wake(&word[0]);
        wait_for(&word[chain]);
    }
    for (int i = 0; i < chain; i++) {
        pthread_join(threads[i], NULL);
    }
    int64_t *lat = calloc(slots, sizeof(int64_t));
    for (int n = 0; n < count; n++) {
        lat[n] = stamp_end[n] - stamp_start[n];
    }
    qsort(lat, count, sizeof(int64_t), cmp);
    printf("handoff: %d x %d hand-off(s), %d us apart: p50 %.1f us, p90 %.1f us, p99 %.1f us\n", count, chain, spacing,
           lat[count / 2] / 1e3, lat[count * 9 / 10] / 1e3, lat[count * 99 / 100] / 1e3);
    return 0;
}
