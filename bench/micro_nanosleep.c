/*
 * micro_nanosleep: how late nanosleep(50 us) returns (median overshoot in us
 * over 200 sleeps, from a created thread). Natively the kernel's hrtimer
 * plus the default 50 us timer slack (prctl PR_SET_TIMERSLACK) give about
 * 50-60 us; DESIGN.md requires libgreen's timers to stay sub-millisecond
 * (libuv timers alone are millisecond-grained).
 */
#include <pthread.h>

#include "micro_common.h"

#define N 200

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *run(void *arg)
{
    (void)arg;
    static double over[N];
    struct timespec ts = { .tv_sec = 0, .tv_nsec = 50000 };
    for (int i = 0; i < N; i++) {
        uint64_t t0 = micro_now_ns();
        if (nanosleep(&ts, NULL) != 0)
            micro_die("nanosleep");
        uint64_t dt = micro_now_ns() - t0;
        if (dt < 50000)
            micro_die("nanosleep returned early");
        over[i] = (double)(dt - 50000) / 1000.0;
    }
    qsort(over, N, sizeof over[0], cmp);
    micro_report("nanosleep_50us_overshoot", over[N / 2], "us");
    return NULL;
}

int main(void)
{
    alarm(30);
    pthread_t th;
    if (pthread_create(&th, NULL, run, NULL) != 0)
        micro_die("pthread_create");
    pthread_join(th, NULL);
    return 0;
}
